from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts import services as accounts
from actions import rules, services
from actions.models import Action, CheckIn

_names = itertools.count(1)


def member(name: str | None = None) -> User:
    name = name or f"member{next(_names)}"
    return accounts.create_member(name, "a-long-test-password", name.title())


def guest(name: str = "Guest") -> User:
    return accounts.create_guest(name)


def established(name: str = "Regular", days: int = 30) -> User:
    """A member whose account is `days` old: one who counts on public maps."""
    user = member(name.lower())
    User.objects.filter(pk=user.pk).update(date_joined=timezone.now() - timedelta(days=days))
    user.refresh_from_db()
    return user


def launch_input(**overrides: Any) -> rules.LaunchInput:
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
    return rules.LaunchInput(**fields)


def action(organizer: User | None = None, **overrides: Any) -> Action:
    return services.launch_action(organizer or member(), launch_input(**overrides))


def move_clock(target: Action, *, starts_in: timedelta, duration: timedelta = timedelta(minutes=15)) -> Action:
    """Shift an action's window relative to now (the row, not the clock)."""
    starts_at = timezone.now() + starts_in
    Action.objects.filter(pk=target.pk).update(starts_at=starts_at, ends_at=starts_at + duration)
    target.refresh_from_db()
    return target


SPOT = {"lat": 50.0617, "lon": 19.9373, "accuracy_m": 12}


def live_action():
    return move_clock(action(member("olga")), starts_in=timedelta(minutes=-1))


async def live_action_and_token() -> tuple[object, str]:
    action = await sync_to_async(live_action)()
    token = await sync_to_async(accounts.issue_token)(await sync_to_async(guest)("Fast"))
    return action, token


def action_body(**overrides):
    body = {
        "title": "Plant a bulb",
        "deed": "Plant one tulip bulb in the verge.",
        "place_name": "Park",
        "lat": 51.5,
        "lon": -0.12,
        "radius_m": 200,
        "starts_at": (timezone.now() + timedelta(minutes=5)).isoformat(),
        "duration_minutes": 10,
        "goal": 20,
    }
    body.update(overrides)
    return body


def deed_done(action: Action, person: User, key: str) -> None:
    """A verified check-in at the spot and the deed marked done, with a live worker about:
    its verification task may have taken the check-in first (skip-locked rows are passed
    over, not waited for), so wait on the row's lock, never on a clock."""
    checkin, _ = services.check_in(action, person, services.CheckInInput(key, **SPOT))
    services.verify_pending(action.pk)
    with transaction.atomic():
        CheckIn.objects.select_for_update().get(pk=checkin.pk)
    services.mark_deed_done(action, person)
