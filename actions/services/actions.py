"""Actions: launch, pledge, phases, cancel and end."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from .. import broadcast, selectors
from ..errors import Conflict, Forbidden, Invalid
from ..models import Action, Follow, Phase, Pledge
from .people import HANDLE_SUFFIX_ALPHABET, random_string
from .tallies import request_snapshot

log = logging.getLogger(__name__)

# No 0/O, 1/I/L: codes are read aloud on streams and typed on phones.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
TITLE_MAX = 120
DEED_MAX = 280
PLACE_NAME_MAX = 120
DURATION_MAX = 180
GOAL_MAX = 10_000_000
CAPACITY_MAX = 1_000_000
RADIUS_MIN, RADIUS_MAX = 10, 50_000


@dataclass(frozen=True)
class LaunchInput:
    title: str
    deed: str
    starts_at: datetime
    duration_minutes: int
    goal: int
    place_name: str = ""
    lat: float | None = None
    lon: float | None = None
    radius_m: int | None = None
    capacity: int | None = None


def validate_launch(data: LaunchInput, now: datetime) -> LaunchInput:
    title = " ".join(data.title.split())
    deed = " ".join(data.deed.split())
    if not title:
        raise Invalid("invalid", "Give the action a title.", field="title")
    if len(title) > TITLE_MAX:
        raise Invalid("invalid", f"A title has at most {TITLE_MAX} characters.", field="title")
    if not deed:
        raise Invalid("invalid", "Say in one sentence what the deed is.", field="deed")
    if len(deed) > DEED_MAX:
        raise Invalid("invalid", f"The deed has at most {DEED_MAX} characters.", field="deed")
    if len(data.place_name) > PLACE_NAME_MAX:
        raise Invalid("invalid", f"A place name has at most {PLACE_NAME_MAX} characters.", field="place_name")
    if not 1 <= data.duration_minutes <= DURATION_MAX:
        raise Invalid("invalid", f"The duration is 1 to {DURATION_MAX} minutes.", field="duration_minutes")
    if not 1 <= data.goal <= GOAL_MAX:
        raise Invalid("invalid", f"The goal is 1 to {GOAL_MAX:,} deeds.", field="goal")
    if data.capacity is not None and not 1 <= data.capacity <= CAPACITY_MAX:
        raise Invalid("invalid", f"Capacity is 1 to {CAPACITY_MAX:,} people (or leave it empty).", field="capacity")
    if data.starts_at.tzinfo is None:
        raise Invalid("invalid", "Give the start time with a time zone (ISO 8601).", field="starts_at")
    if data.starts_at < now - timedelta(minutes=1):
        raise Invalid("invalid", "The start time is in the past.", field="starts_at")
    if data.starts_at > now + timedelta(days=settings.GOODMOB["MAX_FUTURE_DAYS"]):
        raise Invalid("invalid", "The start is at most 30 days ahead.", field="starts_at")
    if data.radius_m is not None:
        if data.lat is None or data.lon is None:
            raise Invalid("invalid", "A place needs a latitude and a longitude.", field="lat")
        if not RADIUS_MIN <= data.radius_m <= RADIUS_MAX:
            raise Invalid("invalid", "The radius is 10 m to 50 km (or anywhere).", field="radius_m")
    if data.lat is not None and not -90 <= data.lat <= 90:
        raise Invalid("invalid", "Latitude is between -90 and 90.", field="lat")
    if data.lon is not None and not -180 <= data.lon <= 180:
        raise Invalid("invalid", "Longitude is between -180 and 180.", field="lon")
    return LaunchInput(**{**data.__dict__, "title": title, "deed": deed, "place_name": data.place_name.strip()})


def launch_action(organizer: User, data: LaunchInput) -> Action:
    now = timezone.now()
    data = validate_launch(data, now)
    starts_at = max(data.starts_at, now)
    slug_base = slugify(data.title)[:40].strip("-") or "action"
    for _ in range(10):
        try:
            with transaction.atomic():
                action = Action.objects.create(
                    slug=f"{slug_base}-{random_string(HANDLE_SUFFIX_ALPHABET, 5)}",
                    join_code=random_string(JOIN_CODE_ALPHABET, 6),
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
                )
                transaction.on_commit(lambda made=action: _after_launch(made), robust=True)
                return action
        except IntegrityError:
            continue  # slug or join code collided; draw again
    raise Conflict("busy", "Could not allocate a join code; try again.")


def _after_launch(action: Action) -> None:
    from .. import tasks

    tasks.announce_launch.delay(action.pk)
    schedule_phase_flips(action)


# Celery's Redis transport redelivers unacked ETA tasks after the visibility timeout;
# far-off flips are left to the 1-second sweep instead.
ETA_HORIZON = timedelta(minutes=50)


def schedule_phase_flips(action: Action) -> None:
    from .. import tasks

    now = timezone.now()
    for moment in (action.starts_at, action.ends_at):
        if now <= moment <= now + ETA_HORIZON:
            tasks.advance_phase.apply_async((action.pk,), eta=moment)


def pledge(action: Action, user: User, ref_handle: str | None = None) -> tuple[Pledge, bool]:
    """Idempotent: a second pledge by the same person returns the first."""
    existing = Pledge.objects.filter(action=action, user=user).first()
    if existing:
        return existing, False
    now = timezone.now()
    referrer = None
    if ref_handle:
        ref = selectors.get_profile(ref_handle)
        referrer = ref.user if ref and ref.user_id != user.pk else None
    made = Pledge(action=action, user=user, referrer=referrer, created_at=now)
    if action.capacity is None:
        # Without a cap a crowd must not queue on one row lock: the unique constraint
        # alone guards two requests from the same person, in one short transaction.
        _refuse_if_closed(action, now)
        return _insert_pledge(made)
    with transaction.atomic():
        # A capped action: the row lock makes the count and the insert one step.
        current = Action.objects.select_for_update(no_key=True).get(pk=action.pk)
        _refuse_if_closed(current, now)
        if Pledge.objects.filter(action=current).count() >= current.capacity:
            raise Conflict("full", "This action is full.")
        return _insert_pledge(made)


def _insert_pledge(made: Pledge) -> tuple[Pledge, bool]:
    """Insert, or return the pledge a concurrent request by the same person made."""
    try:
        with transaction.atomic():
            made.save(force_insert=True)
            transaction.on_commit(lambda: after_pledges(made.action_id, [(made.pk, made.user_id)]), robust=True)
    except IntegrityError:
        return Pledge.objects.get(action_id=made.action_id, user_id=made.user_id), False
    return made, True


def _refuse_if_closed(action: Action, now: datetime) -> None:
    phase = action.phase_at(now)
    if phase == Phase.CANCELLED:
        raise Conflict("cancelled", "This action was cancelled.")
    if phase == Phase.ENDED:
        raise Conflict("ended", "This action has ended.")


def after_pledges(action_id: int, made: list[tuple[int, int]]) -> None:
    """After new pledges commit: one recount, and their followers told. made: (pledge id, user id)."""
    from .. import tasks

    request_snapshot(action_id)
    # Most pledgers are guests nobody follows: one cheap look saves a task per pledge.
    followed = set(Follow.objects.filter(followee_id__in=[u for _, u in made]).values_list("followee_id", flat=True))
    for pledge_id, user_id in made:
        if user_id in followed:
            tasks.announce_pledge.delay(pledge_id)


def require_organizer(action: Action, user: User) -> None:
    if not user.is_authenticated or action.organizer_id != user.pk:
        raise Forbidden("forbidden", "Only the organizer can do that.")


def cancel_action(action: Action, by: User) -> Action:
    require_organizer(action, by)
    return _set_final_status(action, Phase.CANCELLED)


def end_action(action: Action, by: User) -> Action:
    require_organizer(action, by)
    return _set_final_status(action, Phase.ENDED)


def _set_final_status(action: Action, status: Phase) -> Action:
    now = timezone.now()
    with transaction.atomic():
        locked = Action.objects.select_for_update(no_key=True).get(pk=action.pk)
        phase = locked.phase_at(now)
        if phase in (Phase.ENDED, Phase.CANCELLED):
            raise Conflict(phase, f"This action has already {'ended' if phase == Phase.ENDED else 'been cancelled'}.")
        locked.status = status
        if status == Phase.ENDED:
            locked.ends_at = max(now, locked.starts_at)
        locked.save(update_fields=["status", "ends_at"])
        transaction.on_commit(lambda: _after_phase_change(locked), robust=True)
    return locked


def sync_phase(action_id: int) -> str | None:
    """Bring the stored status up to the clock. Idempotent; returns the new status."""
    now = timezone.now()
    with transaction.atomic():
        # Row lock: the scheduled flip and the beat sweep may race for the same action.
        action = Action.objects.select_for_update(no_key=True).filter(pk=action_id).first()
        if action is None:
            return None
        phase = action.phase_at(now)
        if phase == action.status:
            return None
        action.status = phase
        action.save(update_fields=["status"])
        transaction.on_commit(lambda: _after_phase_change(action), robust=True)
    return phase


def _after_phase_change(action: Action) -> None:
    broadcast.to_action(action.pk, selectors.phase_message(action))
    request_snapshot(action.pk)


def sweep_phases() -> int:
    due = list(selectors.actions_due(timezone.now()).values_list("pk", flat=True))
    return sum(1 for pk in due if sync_phase(pk))
