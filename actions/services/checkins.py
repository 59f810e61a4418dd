"""Check-ins and deeds: stored at once, verified in batches by a task, counted exactly."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from .. import broadcast, geo, selectors
from .. import redis as goodmob_redis
from ..errors import Conflict, Invalid
from ..inputs import check_text
from ..models import Action, Announcement, CheckIn, CheckInStatus, Phase, Pledge
from .actions import pledge as make_pledge
from .actions import require_organizer
from .tallies import request_snapshot

log = logging.getLogger(__name__)

VERIFY_BATCH = 500
# A deed can take a few minutes: "Done!" is still taken this long after the end.
DEED_GRACE = timedelta(minutes=30)
ANNOUNCEMENT_MAX = 280


@dataclass(frozen=True)
class CheckInInput:
    idempotency_key: str
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def validate_checkin(action: Action, data: CheckInInput) -> CheckInInput:
    key = check_text((data.idempotency_key or "").strip(), "idempotency_key")
    if not 8 <= len(key) <= 80:
        raise Invalid(
            "invalid",
            "Send an idempotency_key of 8 to 80 characters (a fresh one per attempt).",
            field="idempotency_key",
        )
    located = any(v is not None for v in (data.lat, data.lon, data.accuracy_m))
    if located or not action.is_anywhere:
        if data.lat is None or data.lon is None:
            raise Invalid("invalid", "Send your location: lat and lon.", field="lat")
        if not (_finite(data.lat) and -90 <= data.lat <= 90):
            raise Invalid("invalid", "Latitude is between -90 and 90.", field="lat")
        if not (_finite(data.lon) and -180 <= data.lon <= 180):
            raise Invalid("invalid", "Longitude is between -180 and 180.", field="lon")
        if not (_finite(data.accuracy_m) and 0 <= data.accuracy_m <= 1_000_000):
            raise Invalid("invalid", "Send accuracy_m, the fix's accuracy in metres (0 or more).", field="accuracy_m")
    return CheckInInput(key, data.lat, data.lon, data.accuracy_m)


def check_in(action: Action, user: User, data: CheckInInput) -> tuple[CheckIn, bool]:
    """Store a pending check-in and queue its verification. Returns (check-in, new attempt).

    The same idempotency key returns the same check-in. One check-in per person: a new
    key only starts a new attempt after a rejection.
    """
    data = validate_checkin(action, data)
    if action.phase_at(timezone.now()) == Phase.CANCELLED:
        raise Conflict("cancelled", "This action was cancelled.")
    pledged = make_pledge(action, user)[0]
    fields = {"lat": data.lat, "lon": data.lon, "accuracy_m": data.accuracy_m}
    fresh = new_checkin(pledged.pk, action.pk, data, timezone.now())
    try:
        # The common case, a first check-in, is one insert; the unique constraint on the
        # pledge sends everything else (a replay, a retry, a race) down the locked path.
        with transaction.atomic():
            fresh.save(force_insert=True)
            transaction.on_commit(lambda: request_verification(action.pk), robust=True)
        return fresh, True
    except IntegrityError:
        pass
    with transaction.atomic():
        existing = CheckIn.objects.select_for_update().get(pledge=pledged)
        if existing.idempotency_key == data.idempotency_key:
            kept = existing.lat is not None  # the retention sweep may have dropped them
            if kept and any(getattr(existing, name) != value for name, value in fields.items()):
                raise Conflict("idempotency_key_reused", "That idempotency_key was already used with other data.")
            return existing, False
        if existing.status != CheckInStatus.REJECTED:
            return existing, False  # one check-in per person
        # A retry after a rejection reuses the one row.
        for name, value in fields.items():
            setattr(existing, name, value)
        existing.idempotency_key = data.idempotency_key
        existing.status, existing.reason, existing.distance_m, existing.cell = CheckInStatus.PENDING, "", None, ""
        existing.verified_at, existing.received_at = None, timezone.now()
        existing.save()
        transaction.on_commit(lambda: request_verification(action.pk), robust=True)
    return existing, True


def new_checkin(pledge_id: int, action_id: int, data: CheckInInput, received_at: datetime) -> CheckIn:
    """A pending check-in as first stored (not saved here)."""
    return CheckIn(
        pledge_id=pledge_id,
        action_id=action_id,
        idempotency_key=data.idempotency_key,
        lat=data.lat,
        lon=data.lon,
        accuracy_m=data.accuracy_m,
        received_at=received_at,
    )


def request_verification(action_id: int) -> None:
    """Queue one batch verification per action, however many check-ins arrive meanwhile."""
    from .. import tasks

    try:
        if goodmob_redis.client().set(goodmob_redis.key("verify", "pending", action_id), 1, nx=True, px=5000):
            tasks.verify_checkins.delay(action_id)
    except (redis.RedisError, BrokerError):
        log.warning("verification for action %s not queued; the sweep will pick it up", action_id)


def judge(action: Action, checkin: CheckIn) -> geo.Verdict:
    # The server's receipt time decides, never the phone's clock.
    if action.status == Phase.CANCELLED or not action.starts_at <= checkin.received_at < action.ends_at:
        return geo.Verdict(False, "not_live")
    target = (action.lat, action.lon) if action.lat is not None and action.lon is not None else None
    return geo.judge_place(
        target=target, radius_m=action.radius_m, lat=checkin.lat, lon=checkin.lon, accuracy_m=checkin.accuracy_m
    )


def verify_pending(action_id: int) -> int:
    """Verify every pending check-in of an action, a batch per transaction. Idempotent."""
    goodmob_redis.client().delete(goodmob_redis.key("verify", "pending", action_id))
    action = Action.objects.filter(pk=action_id).first()
    if action is None:
        return 0
    done = 0
    while True:
        with transaction.atomic():
            pending = CheckIn.objects.filter(action_id=action_id, status=CheckInStatus.PENDING)
            if connection.features.has_select_for_update_skip_locked:
                # Two workers on one action split the backlog instead of queueing on locks.
                pending = pending.select_for_update(skip_locked=True, of=("self",))
            batch = list(pending.select_related("pledge").order_by("received_at")[:VERIFY_BATCH])
            if not batch:
                return done
            now = timezone.now()
            for checkin in batch:
                verdict = judge(action, checkin)
                checkin.status = CheckInStatus.VERIFIED if verdict.verified else CheckInStatus.REJECTED
                checkin.reason = verdict.reason
                checkin.distance_m = verdict.distance_m
                checkin.cell = geo.public_cell(checkin.lat, checkin.lon) if verdict.verified else ""
                checkin.verified_at = now
            _save_verdicts(batch, now)
            verdicts = [(c.pledge.user_id, selectors.checkin_message(action, c)) for c in batch]
            transaction.on_commit(lambda v=verdicts: _after_verdicts(action_id, v), robust=True)
        done += len(batch)


VERDICTS_SQL = f"""
UPDATE {CheckIn._meta.db_table} AS c
SET status = v.status, reason = v.reason, distance_m = v.distance_m, cell = v.cell, verified_at = %(now)s
FROM unnest(%(ids)s::bigint[], %(statuses)s::text[], %(reasons)s::text[], %(distances)s::float8[], %(cells)s::text[])
    AS v (id, status, reason, distance_m, cell)
WHERE c.id = v.id
"""


def _save_verdicts(batch: list[CheckIn], now: datetime) -> None:
    if connection.vendor != "postgresql":
        CheckIn.objects.bulk_update(batch, ["status", "reason", "distance_m", "cell", "verified_at"])
        return
    # bulk_update builds a CASE per row and field: most of a batch's time went there.
    with connection.cursor() as cursor:
        cursor.execute(
            VERDICTS_SQL,
            {
                "now": now,
                "ids": [c.pk for c in batch],
                "statuses": [c.status for c in batch],
                "reasons": [c.reason for c in batch],
                "distances": [c.distance_m for c in batch],
                "cells": [c.cell for c in batch],
            },
        )


def _after_verdicts(action_id: int, verdicts: list[tuple[int, dict]]) -> None:
    request_snapshot(action_id)
    broadcast.to_each_user(verdicts)


def mark_deed_done(action: Action, user: User) -> tuple[CheckIn, bool]:
    checkin = CheckIn.objects.filter(action=action, pledge__user=user).first()
    if checkin is None or checkin.status != CheckInStatus.VERIFIED:
        raise Conflict("not_verified", "Check in on the spot first: a deed counts after a verified check-in.")
    if checkin.deed_done_at is not None:
        return checkin, False
    now = timezone.now()
    if action.status == Phase.CANCELLED or now > action.ends_at + DEED_GRACE:
        raise Conflict("ended", "This action is over; deeds can no longer be marked.")
    # Conditional update: two taps at once mark the deed once.
    updated = CheckIn.objects.filter(pk=checkin.pk, deed_done_at__isnull=True).update(deed_done_at=now)
    checkin.refresh_from_db()
    if updated:
        transaction.on_commit(lambda: request_snapshot(action.pk), robust=True)
    return checkin, bool(updated)


def announce(action: Action, by: User, text: str) -> Announcement:
    require_organizer(action, by)
    text = " ".join((text or "").split())
    if not text:
        raise Invalid("invalid", "Write a message.", field="text")
    if len(text) > ANNOUNCEMENT_MAX:
        raise Invalid("invalid", f"A message has at most {ANNOUNCEMENT_MAX} characters.", field="text")
    if action.phase_at(timezone.now()) == Phase.CANCELLED:
        raise Conflict("cancelled", "This action was cancelled.")
    made = Announcement.objects.create(action=action, text=text)
    transaction.on_commit(lambda: _after_announcement(made), robust=True)
    return made


def _after_announcement(made: Announcement) -> None:
    from .. import tasks

    broadcast.to_action(made.action_id, selectors.announcement_message(made))
    tasks.deliver_announcement.delay(made.pk)


def deliver_announcement(announcement_id: int) -> int:
    """Reach pledged participants on /ws/me/ even when the action page is closed."""
    made = Announcement.objects.select_related("action").filter(pk=announcement_id).first()
    if made is None:
        return 0
    user_ids = list(Pledge.objects.filter(action_id=made.action_id).values_list("user_id", flat=True))
    broadcast.to_users(user_ids, selectors.announcement_message(made))
    return len(user_ids)


def sweep_checkins() -> dict[str, int]:
    """The safety net: re-queue stale pending check-ins, republish exact live counts.

    Redis may drop a task or a broadcast; the rows never lie, so re-running the
    (idempotent) verification and recount heals both.
    """
    from .. import tasks

    now = timezone.now()
    stale_after = timedelta(seconds=settings.GOODMOB["PENDING_STALE_SECONDS"])
    stale = set(
        CheckIn.objects.filter(status=CheckInStatus.PENDING, received_at__lt=now - stale_after).values_list(
            "pledge__action_id", flat=True
        )
    )
    for action_id in stale:
        tasks.verify_checkins.delay(action_id)
    recent = Action.objects.filter(starts_at__lte=now, ends_at__gte=now - timedelta(minutes=5)).exclude(
        status=Phase.CANCELLED
    )
    live = list(recent.values_list("pk", flat=True))
    for action_id in live:
        request_snapshot(action_id)
    return {"requeued": len(stale), "republished": len(live)}


def drop_old_coordinates() -> int:
    """Privacy: a precise location (the coordinates, and the distance to the spot that
    they give away) lives only for the retention period, whatever the verdict; the
    verdict and the coarse public cell stay. A check-in still pending by then is judged
    without them (no_location)."""
    cutoff = timezone.now() - timedelta(hours=settings.GOODMOB["COORDINATE_RETENTION_HOURS"])
    precise = Q(lat__isnull=False) | Q(lon__isnull=False) | Q(accuracy_m__isnull=False) | Q(distance_m__isnull=False)
    expired = CheckIn.objects.filter(precise, received_at__lt=cutoff)
    return expired.update(lat=None, lon=None, accuracy_m=None, distance_m=None)
