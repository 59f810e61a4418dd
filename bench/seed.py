"""Bench data made through the real services (Django must be set up)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone

from actions import services
from actions.models import Action

SPOT = {"lat": 52.5163, "lon": 13.3777}


def seed_action(pledges: int = 0, duration_minutes: int = 180) -> Action:
    organizer = services.create_guest("Bench Organizer")
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
        services.pledge(action, services.create_guest(f"Runner {n}"))
    return action
