"""Launching an action: a slug, a join code, the row, and `action.launched` on commit."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from common.codes import random_string
from common.errors import Conflict, Forbidden

from .. import events, rules, selectors
from ..models import Action, Dispatch, Movement

SLUG_SUFFIX_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def launch_action(
    organizer: User,
    data: rules.LaunchInput,
    *,
    forked_from: Action | None = None,
    movement: Movement | None = None,
    dispatch: rules.DispatchInput | None = None,
) -> Action:
    now = timezone.now()
    data = rules.clean_launch(data, now)
    starts_at = max(data.starts_at, now)
    if dispatch is not None:
        dispatch = rules.clean_dispatch(dispatch, replace(data, starts_at=starts_at), now)
        # DESIGN.md section 7: strangers are alerted only for someone with a track record.
        if not selectors.has_track_record(organizer, now):
            raise Forbidden(
                "no_track_record",
                "Nearby dispatch needs a track record: a verified deed on someone else's action, "
                f"or an earlier action of yours with {rules.TRACK_RECORD_DEEDS} verified deeds.",
            )
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
                if dispatch is not None:
                    Dispatch.objects.create(
                        action=action,
                        wanted=dispatch.people,
                        max_radius_km=dispatch.max_radius_km,
                        begins_at=dispatch.begins_at or now,
                    )
                events.emit(events.Launched(action.pk))
                return action
        except IntegrityError:
            continue  # slug or join code collided; draw again
    raise Conflict("busy", "Could not allocate a join code; try again.")
