"""A person's data, theirs to take and to delete.

Other apps hold data about people too (pledges and check-ins, follows). They register an
exporter and an eraser here in their AppConfig.ready(), so this app gathers everything
without importing the apps built on it.

Deleting keeps what tallies count: the user row stays, detached from any identity (no
name, email, password, handle, tokens or sessions), so every pledge, check-in and deed
it made still counts and every tally stays exact.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from common.times import iso_or_none

from . import revocation
from .models import ApiToken, Profile
from .selectors import person

Exporter = Callable[[User], dict[str, Any]]
Eraser = Callable[[User], None]

_exporters: list[Exporter] = []
_erasers: list[Eraser] = []

DELETED_NAME = "Deleted account"


def exporter(fn: Exporter) -> Exporter:
    if fn not in _exporters:
        _exporters.append(fn)
    return fn


def eraser(fn: Eraser) -> Eraser:
    if fn not in _erasers:
        _erasers.append(fn)
    return fn


def export(user: User) -> dict[str, Any]:
    """Everything kept about this person, as plain JSON-ready data."""
    profile = Profile.objects.filter(user=user).first()
    data: dict[str, Any] = {
        "exported_at": iso_or_none(timezone.now()),
        "account": {
            "username": user.get_username(),
            "email": user.email,
            "email_verified": bool(profile and profile.email_verified),
            "joined": iso_or_none(user.date_joined),
            "last_login": iso_or_none(user.last_login),
            "is_guest": bool(profile and profile.is_guest),
            **person(user),
        },
        "api_tokens": [
            {"name": t.name, "created_at": iso_or_none(t.created_at), "last_used_at": iso_or_none(t.last_used_at)}
            for t in ApiToken.objects.filter(user=user).order_by("created_at")
        ],
    }
    for fn in _exporters:
        data.update(fn(user))
    return data


def delete_account(user: User) -> None:
    """Erase the person; keep, detached, the rows that tallies count."""
    anonymous = f"deleted-{secrets.token_hex(6)}"
    with transaction.atomic():
        for fn in _erasers:
            fn(user)
        ApiToken.objects.filter(user=user).delete()
        Profile.objects.filter(user=user).update(
            handle=anonymous, display_name=DELETED_NAME, email_verified=False, is_guest=True
        )
        user.username = anonymous
        user.email = ""
        user.first_name = user.last_name = ""
        user.is_active = False  # its sessions stop working: Django refuses inactive users
        user.is_staff = user.is_superuser = False
        user.set_unusable_password()  # and the session hash changes with it
        user.save()
        user.user_permissions.clear()
        user.groups.clear()
        revocation.announce()
