from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from actions import services
from actions.models import Action

_names = itertools.count(1)


def member(name: str | None = None) -> User:
    name = name or f"member{next(_names)}"
    return services.create_member(name, "a-long-test-password", name.title())


def guest(name: str = "Guest") -> User:
    return services.create_guest(name)


def launch_input(**overrides: Any) -> services.LaunchInput:
    fields: dict[str, Any] = {
        "title": "Litter pick",
        "deed": "Pick up one piece of litter.",
        "place_name": "Market Square",
        "lat": 50.0617,
        "lon": 19.9373,
        "radius_m": 150,
        "starts_at": timezone.now() + timedelta(minutes=10),
        "duration_minutes": 15,
        "goal": 50,
        "capacity": None,
    }
    fields.update(overrides)
    return services.LaunchInput(**fields)


def action(organizer: User | None = None, **overrides: Any) -> Action:
    return services.launch_action(organizer or member(), launch_input(**overrides))


def move_clock(target: Action, *, starts_in: timedelta, duration: timedelta = timedelta(minutes=15)) -> Action:
    """Shift an action's window relative to now (the row, not the clock)."""
    starts_at = timezone.now() + starts_in
    Action.objects.filter(pk=target.pk).update(starts_at=starts_at, ends_at=starts_at + duration)
    target.refresh_from_db()
    return target
