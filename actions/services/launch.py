"""Launching an action: a slug, a join code, the row, and `action.launched` on commit."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from common.codes import random_string
from common.errors import Conflict

from .. import events, rules
from ..models import Action, Movement

SLUG_SUFFIX_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def launch_action(
    organizer: User, data: rules.LaunchInput, *, forked_from: Action | None = None, movement: Movement | None = None
) -> Action:
    now = timezone.now()
    data = rules.clean_launch(data, now)
    starts_at = max(data.starts_at, now)
    slug_base = slugify(data.title)[:40].strip("-") or "action"
    for _ in range(10):
        try:
            with transaction.atomic():
                action = Action.objects.create(
                    slug=f"{slug_base}-{random_string(SLUG_SUFFIX_ALPHABET, 5)}",
                    join_code=random_string(rules.JOIN_CODE_ALPHABET, rules.JOIN_CODE_LENGTH),
                    organizer=organizer,
                    title=data.title,
                    deed=data.deed,
                    place_name=data.place_name,
                    lat=data.lat,
                    lon=data.lon,
                    radius_m=data.radius_m,
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(minutes=data.duration_minutes),
                    goal=data.goal,
                    capacity=data.capacity,
                    forked_from=forked_from,
                    movement=movement,
                )
                events.emit(events.Launched(action.pk))
                return action
        except IntegrityError:
            continue  # slug or join code collided; draw again
    raise Conflict("busy", "Could not allocate a join code; try again.")
