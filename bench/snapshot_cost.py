"""What one snapshot costs the worker: the recount and broadcast frame that goes out up to
four times a second per live action. CPU time of this process, in all and per part
(the database's own work is not in it). On a database of its own, dropped afterwards.

    .venv/bin/python bench/snapshot_cost.py --people 20000 --deeds 0.3

--deeds is the share of the crowd that has marked the deed done (0: a crowd that has
only checked in, as in bench/ingest.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import report  # noqa: E402
from bench.stack import fresh_database, start_django  # noqa: E402


def cpu_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()
    started = time.process_time()
    for _ in range(repeat):
        fn()
    return round((time.process_time() - started) / repeat * 1000, 2)


def measure(args: argparse.Namespace) -> dict[str, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from actions import selectors
    from actions.models import CheckIn, CheckInStatus, Pledge
    from actions.services import next_snapshot
    from bench.seed import SPOT, bulk_participants, seed_action

    action = seed_action()
    users = [uid for uid, _ in bulk_participants(args.people)]
    Pledge.objects.bulk_create([Pledge(action=action, user_id=uid) for uid in users], batch_size=2000)
    now = timezone.now()
    done_every = round(1 / args.deeds) if args.deeds else 0
    CheckIn.objects.bulk_create(
        [
            CheckIn(
                pledge_id=pledge_id,
                action=action,
                idempotency_key=f"snap-{n}",
                status=CheckInStatus.VERIFIED,
                received_at=now,
                accuracy_m=8,
                deed_done_at=now if done_every and n % done_every == 0 else None,
                **SPOT,
            )
            for n, pledge_id in enumerate(Pledge.objects.filter(action=action).values_list("pk", flat=True))
        ],
        batch_size=2000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    with CaptureQueriesContext(connection) as queries:
        next_snapshot(action.pk)
    action.refresh_from_db()
    return {
        "bench": "snapshot_cost",
        "people": args.people,
        "deeds": CheckIn.objects.filter(action=action, deed_done_at__isnull=False).count(),
        "queries": len(queries.captured_queries),
        "next_snapshot_ms": cpu_ms(lambda: next_snapshot(action.pk), args.repeat),
        "snapshot_ms": cpu_ms(lambda: selectors.snapshot(action), args.repeat),
        "counts_ms": cpu_ms(lambda: selectors.counts(action), args.repeat),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--deeds", type=float, default=0.0, help="share of the crowd with the deed done")
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    with fresh_database():
        stack = start_django()
        try:
            result = measure(args)
        finally:
            stack.close()
    report(
        result,
        [
            ("people", "people"),
            ("deeds", "deeds done"),
            ("queries", "queries"),
            ("next_snapshot_ms", "CPU ms a snapshot (lock, seq, read)"),
            ("snapshot_ms", "read only"),
            ("counts_ms", "counts"),
        ],
    )


if __name__ == "__main__":
    main()
