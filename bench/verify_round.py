"""What one verification round costs the worker: read a batch of pending check-ins, judge
them, store the verdicts, and on commit tell each person theirs (the verdict frames, to
Redis) and ask for a snapshot. CPU time of this process; the database's own work is not
in it. On a database of its own, dropped afterwards.

    .venv/bin/python bench/verify_round.py --batch 30 --rounds 40 [--profile]

Under bench/ingest.py at 1,000 check-ins/s a round holds a few dozen check-ins, so a
round's fixed cost, not the per-check-in work, is most of it.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import CpuRounds, add_round_arguments, report  # noqa: E402
from bench.stack import on_fresh_django  # noqa: E402


def measure(args: argparse.Namespace) -> dict[str, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from actions import services
    from actions.models import CheckIn, CheckInStatus
    from bench.seed import bulk_checkins, bulk_pledges, seed_action

    action = seed_action()
    action.starts_at = timezone.now()
    action.save(update_fields=["starts_at"])
    pledges = bulk_pledges(action, args.batch * (args.rounds + 1))

    batches = [pledges[n : n + args.batch] for n in range(0, len(pledges), args.batch)]
    bulk_checkins(action, batches[0], CheckInStatus.PENDING)
    with CaptureQueriesContext(connection) as queries:
        services.verify_pending(action.pk)  # the first round, counted
    rounds = CpuRounds(args.profile)
    for batch in batches[1:]:
        bulk_checkins(action, batch, CheckInStatus.PENDING)
        with rounds.timed():
            services.verify_pending(action.pk)
    verified = CheckIn.objects.filter(action=action, status=CheckInStatus.VERIFIED).count()
    return {
        "bench": "verify_round",
        "batch": args.batch,
        "queries": len(queries.captured_queries),
        **rounds.summary(args.batch, "round"),
        "all_verified": verified == len(pledges),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_round_arguments(parser, "check-ins pending at each round", rounds=40)
    args = parser.parse_args()
    result = on_fresh_django(lambda: measure(args))
    report(
        result,
        [
            ("batch", "batch"),
            ("rounds", "rounds"),
            ("queries", "queries a round"),
            ("round_ms", "median CPU ms a round"),
            ("per_checkin_ms", "per check-in"),
            ("all_verified", "all verified"),
        ],
    )


if __name__ == "__main__":
    main()
