"""A person's webhook endpoints are theirs to see in their export (never the secrets);
deleting the account deletes them (the foreign key cascades)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from accounts import personal
from common.times import iso

from .models import Endpoint


@personal.exporter
def export(user: User) -> dict[str, Any]:
    endpoints = Endpoint.objects.filter(owner=user).order_by("pk")
    return {
        "webhooks": [
            {"url": e.url, "events": e.events, "active": e.active, "created_at": iso(e.created_at)} for e in endpoints
        ]
    }
