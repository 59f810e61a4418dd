"""Bench data made through the real services (Django must be set up)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone

from accounts import services as accounts
from actions import services
from actions.models import Action

SPOT = {"lat": 52.5163, "lon": 13.3777}


def seed_action(pledges: int = 0, duration_minutes: int = 180) -> Action:
    organizer = accounts.create_guest("Bench Organizer")
    action = services.launch_action(
        organizer,
        services.LaunchInput(
            title=f"Bench {uuid.uuid4().hex[:6]}",
            deed="Measure, honestly.",
            place_name="Pariser Platz",
            radius_m=150,
            starts_at=timezone.now() + timedelta(seconds=1),
            duration_minutes=duration_minutes,
            goal=100_000,
            **SPOT,
        ),
    )
    for n in range(pledges):
        services.pledge(action, accounts.create_guest(f"Runner {n}"))
    return action


def bulk_participants(count: int) -> list[tuple[int, str]]:
    """Many guests at once, with API tokens: (user id, token). Bulk inserts of the same
    rows create_guest and issue_token make, so seeding 60,000 takes seconds."""
    import secrets

    from django.contrib.auth.models import User
    from django.db import transaction

    from accounts.models import ApiToken, Profile

    tag = uuid.uuid4().hex[:6]
    with transaction.atomic():
        users = User.objects.bulk_create(
            [User(username=f"bench-{tag}-{n}", password="!unusable") for n in range(count)], batch_size=2000
        )
        Profile.objects.bulk_create(
            [
                Profile(user=u, handle=f"b{tag}-{n}", display_name=f"Runner {n}", is_guest=True)
                for n, u in enumerate(users)
            ],
            batch_size=2000,
        )
        keys = [secrets.token_urlsafe(24) for _ in users]
        ApiToken.objects.bulk_create(
            [ApiToken(user=u, key_hash=accounts.hash_token(k)) for u, k in zip(users, keys, strict=True)],
            batch_size=2000,
        )
    return [(u.pk, k) for u, k in zip(users, keys, strict=True)]


def bulk_pledges(action: Action, count: int) -> list[int]:
    """`count` new guests pledged to the action, by bulk inserts: their pledges' ids, in order."""
    from actions.models import Pledge

    made = Pledge.objects.bulk_create(
        [Pledge(action=action, user_id=uid) for uid, _ in bulk_participants(count)], batch_size=2000
    )
    return [pledge.pk for pledge in made]


def bulk_checkins(action: Action, pledge_ids: list[int], status: str, *, deed_every: int = 0) -> None:
    """A check-in at the spot for each pledge; with `deed_every`, every n-th one's deed done."""
    from actions.models import CheckIn

    now = timezone.now()
    CheckIn.objects.bulk_create(
        [
            CheckIn(
                pledge_id=pk,
                action=action,
                idempotency_key=f"seed-{pk}",
                status=status,
                received_at=now,
                accuracy_m=8,
                deed_done_at=now if deed_every and n % deed_every == 0 else None,
                **SPOT,
            )
            for n, pk in enumerate(pledge_ids)
        ],
        batch_size=2000,
    )
