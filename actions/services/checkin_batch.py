"""Check-ins by the crowd: many people's check-ins in one statement and one commit.

At the moment of an action thousands of phones check in within seconds. One
transaction per check-in makes the database's commit rate the ceiling and spends the
web process's time waiting on round trips. Here the common case (a first check-in to an
open, uncapped action, pledging on the way if needed) is one INSERT ... SELECT for the
whole batch on PostgreSQL; every other case (a replay, a retry after a rejection, a
capped or closed action, another database) takes `check_in` one by one, so the rules
stay in one place.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from typing import Any

from django.contrib.auth.models import User
from django.db import DataError, connection, transaction
from django.utils import timezone

from common.errors import Invalid, ServiceError

from .. import events, rules
from ..models import Action, CheckIn, CheckInStatus, Pledge
from ..selectors import VerdictView
from .checkins import check_in

log = logging.getLogger(__name__)

# unnest() of arrays, a pledge for whoever lacks one, then the check-ins. Sub-statements
# of one statement share a snapshot, so `pledged` never sees `new_pledges`' rows: the
# UNION ALL cannot list a pledge twice. A pledge made meanwhile by another transaction
# is in neither: that person is left out of `made` and takes the one-by-one path.
# Arrays, not one JSON text (common.sql.json_rows): with JSON this statement's execution
# took twice as long (pg_stat_statements over one bench/ingest.py run each: 6.3 s against
# 2.8 and 3.1), likely its plan: PostgreSQL estimates unnest() of constant arrays at
# their length and json_to_recordset() at 100 rows.
BATCH_SQL = f"""
WITH wanted (n, user_id, idempotency_key, lat, lon, accuracy_m) AS (
    SELECT * FROM unnest(%(n)s::int[], %(users)s::bigint[], %(keys)s::text[],
                         %(lats)s::float8[], %(lons)s::float8[], %(accuracies)s::float8[])
), new_pledges AS (
    INSERT INTO {Pledge._meta.db_table} (action_id, user_id, created_at)
    SELECT %(action)s, user_id, %(now)s FROM wanted
    ON CONFLICT (action_id, user_id) DO NOTHING
    RETURNING id, user_id
), pledged AS (
    SELECT id, user_id, true AS fresh FROM new_pledges
    UNION ALL
    SELECT p.id, p.user_id, false FROM {Pledge._meta.db_table} p
    JOIN wanted w ON w.user_id = p.user_id WHERE p.action_id = %(action)s
), made AS (
    INSERT INTO {CheckIn._meta.db_table}
        (pledge_id, action_id, idempotency_key, lat, lon, accuracy_m, received_at, status, reason, cell, on_public_map)
    SELECT p.id, %(action)s, w.idempotency_key, w.lat, w.lon, w.accuracy_m, %(now)s, %(pending)s, '', '', false
    FROM wanted w JOIN pledged p ON p.user_id = w.user_id
    ON CONFLICT (pledge_id) DO NOTHING
    RETURNING id, pledge_id
)
SELECT w.n, w.user_id, p.id, p.fresh, m.id FROM wanted w
JOIN pledged p ON p.user_id = w.user_id
LEFT JOIN made m ON m.pledge_id = p.id
"""


def check_in_many(
    action: Action, entries: list[tuple[User, rules.CheckInInput]]
) -> list[CheckIn | VerdictView | ServiceError]:
    """`check_in` for many people at once; one result per entry, in order: the stored
    check-in, or for one the batch statement made, the columns its answer reads."""
    results: list[CheckIn | VerdictView | ServiceError | None] = [None] * len(entries)
    batch: dict[int, tuple[int, rules.CheckInInput]] = {}  # user id -> (entry index, input)
    for n, (user, data) in enumerate(entries):
        try:
            data = rules.clean_checkin(action, data, timezone.now())
        except ServiceError as exc:
            results[n] = exc
            continue
        # The same person twice, a presence code or an offline fix: one by one (the
        # batch insert names only the columns of the common case).
        if user.pk not in batch and not data.presence_code and data.fixed_at is None:
            batch[user.pk] = (n, data)
    if batch and _batchable(action):
        try:
            for n, checkin in _insert_batch(action, list(batch.items())).items():
                results[n] = checkin
        except DataError:
            # A value the checks above let through and the database refused: the batch
            # is rolled back whole, so each entry is stored alone and only the bad one fails.
            log.exception("batch insert refused a value; storing one by one")
    for n, (user, data) in enumerate(entries):
        if results[n] is None:
            try:
                results[n] = check_in(action, user, data)[0]
            except ServiceError as exc:
                results[n] = exc
            except DataError:
                results[n] = Invalid("invalid", "That check-in holds a value that cannot be stored.")
    return results  # type: ignore[return-value]


def _batchable(action: Action) -> bool:
    # A capped action counts pledges under a row lock; a closed one refuses new pledges.
    if connection.vendor != "postgresql" or action.capacity is not None or action.is_hidden:
        return False
    return not rules.is_closed(action, timezone.now())


def _insert_batch(action: Action, items: list[tuple[int, tuple[int, rules.CheckInInput]]]) -> dict[int, VerdictView]:
    """items: (user id, (entry index, input)). Returns the new check-ins by entry index,
    as their answers read them (a model instance each cost 19 µs, 0.6 ms a batch of 30)."""
    now = timezone.now()
    params: dict[str, Any] = {
        "action": action.pk,
        "now": now,
        "pending": CheckInStatus.PENDING.value,
        "n": [n for _, (n, _) in items],
        "users": [user_id for user_id, _ in items],
        "keys": [data.idempotency_key for _, (_, data) in items],
        "lats": [data.lat for _, (_, data) in items],
        "lons": [data.lon for _, (_, data) in items],
        "accuracies": [data.accuracy_m for _, (_, data) in items],
    }
    made: dict[int, VerdictView] = {}
    fresh_pledgers: list[tuple[int, int]] = []
    # One statement commits by itself: on the hot path (autocommit) a transaction around
    # it would only add a BEGIN and a COMMIT round trip per batch. Inside a caller's
    # transaction it gets a savepoint, so a refused value leaves that transaction usable.
    with transaction.atomic() if connection.in_atomic_block else nullcontext():
        with connection.cursor() as cursor:
            cursor.execute(BATCH_SQL, params)
            rows = cursor.fetchall()
    for n, user_id, pledge_id, fresh, checkin_id in rows:
        if fresh:
            fresh_pledgers.append((pledge_id, user_id))
        if checkin_id is None:
            continue  # they had checked in before: the one-by-one path answers
        made[n] = VerdictView(checkin_id, CheckInStatus.PENDING.value, "", None, None, "", False)
    received = [events.CheckInsReceived(action.pk, tuple(c.pk for c in made.values()))] if made else []
    pledged = [events.Pledged(action.pk, tuple(fresh_pledgers))] if fresh_pledgers else []
    events.emit(*received, *pledged)
    return made
