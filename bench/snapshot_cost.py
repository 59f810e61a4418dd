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
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import cpu_per_call, report  # noqa: E402
from bench.stack import on_fresh_django  # noqa: E402


def cpu_ms(fn: Callable[[], object], repeat: int) -> float:
    return round(cpu_per_call(fn, repeat) * 1000, 2)


def measure(args: argparse.Namespace) -> dict[str, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from actions import selectors
    from actions.models import CheckIn, CheckInStatus
    from actions.services import next_snapshot
    from bench.seed import bulk_checkins, bulk_pledges, seed_action

    action = seed_action()
    done_every = round(1 / args.deeds) if args.deeds else 0
    bulk_checkins(action, bulk_pledges(action, args.people), CheckInStatus.VERIFIED, deed_every=done_every)
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
    result = on_fresh_django(lambda: measure(args))
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
