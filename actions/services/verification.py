"""Verification: pending check-ins judged in batches by a task, and the sweeps that heal
what Redis lost (a task, a flag) and drop precise locations when their time is up."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

import redis
from celery import shared_task
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, PositiveIntegerField, Q, Value, When
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from common import metrics, sql
from common import redis as goodmob_redis
from common.tasks import IDEMPOTENT

from .. import events, geo, presence, rules
from ..models import Action, CheckIn, CheckInMethod, CheckInStatus

log = logging.getLogger(__name__)

VERIFY_BATCH = 500


@events.listen(events.CheckInsReceived)
def request_verification(event: events.CheckInsReceived) -> None:
    """Queue one batch verification per action, however many check-ins arrive meanwhile."""
    try:
        if goodmob_redis.client().set(goodmob_redis.key("verify", "pending", event.action_id), 1, nx=True, px=5000):
            verify_checkins.apply_async((event.action_id,), countdown=settings.GOODMOB["VERIFY_GATHER_SECONDS"])
    except (redis.RedisError, BrokerError):
        log.warning("verification for action %s not queued; the sweep will pick it up", event.action_id)


@shared_task(**IDEMPOTENT)
def verify_checkins(action_id: int) -> int:
    return verify_pending(action_id)


@dataclass(frozen=True)
class Judgement:
    verified: bool
    reason: str = ""
    distance_m: float | None = None
    method: str = ""
    synced_late: bool = False


def judge(action: Action, checkin: CheckIn | PendingCheckIn) -> Judgement:
    """Inside the window (or an offline fix inside it, synced within the grace period),
    then at the place, by the code on the screen there, or both: either proof will do."""
    at, late = checkin.received_at, False
    if not rules.counts_as_live(action, at):
        if not rules.counts_as_synced_late(action, checkin.fixed_at, at):
            return Judgement(False, "not_live")
        at, late = checkin.fixed_at or at, True
    if action.is_anywhere:
        return Judgement(True, method=CheckInMethod.ANYWHERE, synced_late=late)
    place = None
    if checkin.lat is not None or not checkin.presence_code:
        target = (action.lat, action.lon) if action.lat is not None and action.lon is not None else None
        place = geo.judge_place(
            target=target, radius_m=action.radius_m, lat=checkin.lat, lon=checkin.lon, accuracy_m=checkin.accuracy_m
        )
    code_reason = presence.judge(action, checkin.presence_code, at) if checkin.presence_code else None
    by_place, by_code = place is not None and place.verified, code_reason == ""
    distance = place.distance_m if place else None
    if by_place and by_code:
        return Judgement(True, "", distance, CheckInMethod.GPS_AND_CODE, late)
    if by_place or by_code:
        return Judgement(True, "", distance, CheckInMethod.GPS if by_place else CheckInMethod.CODE, late)
    return Judgement(False, code_reason or (place.reason if place else "no_location"), distance)


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
            # Plain tuples: building model instances was a third of a batch's time.
            rows = pending.order_by("received_at").values_list(*PENDING_COLUMNS)[:VERIFY_BATCH]
            batch = [PendingCheckIn(*row) for row in rows]
            if not batch:
                return done
            verdicts = [verdict_for(action, checkin) for checkin in batch]
            now = timezone.now()
            save_verdicts(verdicts, now)
            verified = tuple(v.pk for v in verdicts if v.judgement.verified)
            rejected = tuple(v.pk for v in verdicts if not v.judgement.verified)
            if verified:
                events.emit(events.CheckInsVerified(action_id, verified))
            if rejected:
                events.emit(events.CheckInsRejected(action_id, rejected))
        metrics.CHECKINS_JUDGED.labels("verified").inc(len(verified))
        metrics.CHECKINS_JUDGED.labels("rejected").inc(len(rejected))
        for checkin in batch:
            metrics.VERIFICATION_LAG.observe((now - checkin.received_at).total_seconds())
        done += len(batch)
        if len(batch) < VERIFY_BATCH:
            # Nothing else was pending: asking again would cost a query and a transaction
            # per round. One that came meanwhile set the flag cleared above, so its own
            # task follows.
            return done


class PendingCheckIn(NamedTuple):
    """What judging a check-in reads: its own columns, and when its person joined."""

    pk: int
    received_at: datetime
    fixed_at: datetime | None
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    presence_code: str
    joined: datetime


PENDING_COLUMNS = (*PendingCheckIn._fields[:-1], "pledge__user__date_joined")


@dataclass(frozen=True)
class Verdict:
    pk: int
    judgement: Judgement
    cell: str
    on_public_map: bool

    @property
    def status(self) -> str:
        return CheckInStatus.VERIFIED if self.judgement.verified else CheckInStatus.REJECTED


def verdict_for(action: Action, checkin: PendingCheckIn) -> Verdict:
    judgement = judge(action, checkin)
    cell = geo.public_cell(checkin.lat, checkin.lon) if judgement.verified else ""
    public = bool(cell) and rules.counts_on_public_map(checkin.joined, action)
    return Verdict(checkin.pk, judgement, cell, public)


VERDICT_FIELDS = ["status", "reason", "distance_m", "cell", "on_public_map", "verified_at", "method", "synced_late"]
VERDICTS_SQL = f"""
UPDATE {CheckIn._meta.db_table} AS c
SET status = v.status, reason = v.reason, distance_m = v.distance_m, cell = v.cell,
    on_public_map = v.on_public_map, verified_at = %(now)s, method = v.method, synced_late = v.synced_late
FROM json_to_recordset(%(verdicts)s::json) AS v (
    id bigint, status text, reason text, distance_m float8, cell text, on_public_map bool, method text, synced_late bool
)
WHERE c.id = v.id
"""


def save_verdicts(verdicts: list[Verdict], now: datetime) -> None:
    if connection.vendor != "postgresql":
        rows = [
            CheckIn(
                pk=v.pk,
                status=v.status,
                reason=v.judgement.reason,
                distance_m=v.judgement.distance_m,
                cell=v.cell,
                on_public_map=v.on_public_map,
                verified_at=now,
                method=v.judgement.method,
                synced_late=v.judgement.synced_late,
            )
            for v in verdicts
        ]
        CheckIn.objects.bulk_update(rows, VERDICT_FIELDS)
        return
    # bulk_update builds a CASE per row and field: most of a batch's time went there.
    with connection.cursor() as cursor:
        cursor.execute(
            VERDICTS_SQL,
            {
                "now": now,
                "verdicts": sql.json_rows(
                    {
                        "id": v.pk,
                        "status": v.status,
                        "reason": v.judgement.reason,
                        "distance_m": v.judgement.distance_m,
                        "cell": v.cell,
                        "on_public_map": v.on_public_map,
                        "method": v.judgement.method,
                        "synced_late": v.judgement.synced_late,
                    }
                    for v in verdicts
                ),
            },
        )


@shared_task(**IDEMPOTENT, expires=10)
def sweep_pending() -> int:
    """The safety net: Redis may drop a verification task or keep a stale flag; the rows
    never lie, so re-running the (idempotent) verification of stale check-ins heals it."""
    stale_after = timedelta(seconds=settings.GOODMOB["PENDING_STALE_SECONDS"])
    stale = set(
        CheckIn.objects.filter(status=CheckInStatus.PENDING, received_at__lt=timezone.now() - stale_after).values_list(
            "action_id", flat=True
        )
    )
    for action_id in stale:
        verify_checkins.delay(action_id)
    return len(stale)


@shared_task(**IDEMPOTENT)
def drop_old_coordinates() -> int:
    """Privacy: a precise location (the coordinates, and the distance to the spot that
    they give away) lives only for the retention period, whatever the verdict; the
    verdict, the coarse public cell and the distance's coarse band stay. A check-in
    still pending by then is judged without them (no_location)."""
    cutoff = timezone.now() - timedelta(hours=settings.GOODMOB["COORDINATE_RETENTION_HOURS"])
    precise = Q(lat__isnull=False) | Q(lon__isnull=False) | Q(accuracy_m__isnull=False) | Q(distance_m__isnull=False)
    expired = CheckIn.objects.filter(precise, received_at__lt=cutoff)
    # The same bands as geo.distance_band, written as SQL so one statement drops them all.
    band = Case(
        *(When(distance_m__lte=edge, then=Value(edge)) for edge in geo.DISTANCE_BANDS_M),
        When(distance_m__isnull=False, then=Value(geo.DISTANCE_BANDS_M[-1])),
        default=F("distance_band_m"),
        output_field=PositiveIntegerField(),
    )
    return expired.update(lat=None, lon=None, accuracy_m=None, distance_m=None, distance_band_m=band)
