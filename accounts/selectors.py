"""Readers of people: the names everyone else sees."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from .models import Profile


def display_name(user: User) -> str:
    profile = getattr(user, "profile", None)
    return profile.display_name if profile else user.get_username()


def handle_of(user: User | AnonymousUser) -> str:
    profile = getattr(user, "profile", None)
    return profile.handle if profile else user.get_username()


def person(user: User) -> dict[str, str]:
    return {"handle": handle_of(user), "name": display_name(user)}


def get_profile(handle: str) -> Profile | None:
    return Profile.objects.select_related("user").filter(handle=handle.lower()).first()
