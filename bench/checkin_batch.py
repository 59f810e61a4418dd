"""What one group-committed batch of check-ins costs the web process, without HTTP: the
token lookup, the rate limit, the rules, the batch insert, the answers and the events'
dispatch (run inline here instead of on the door's background thread, so it is counted). Each
person checks in once, as at an action's moment, so every token is looked up. On a
database of its own, dropped afterwards.

    .venv/bin/python bench/checkin_batch.py --batch 30 --rounds 60 [--profile]

`bench/ingest.py`'s web figure is this plus uvicorn's floor (`bench/floor.py`) plus the
edge door's per-request work.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import CpuRounds, add_round_arguments, report  # noqa: E402
from bench.stack import on_fresh_django  # noqa: E402


def measure(args: argparse.Namespace) -> dict[str, object]:
    import uuid

    from django.utils import timezone

    from actions import doors
    from actions.doors import CheckInCall, check_in_batch
    from actions.models import CheckIn
    from actions.schemas import CheckInIn
    from bench.seed import bulk_participants, seed_action

    action = seed_action()
    action.starts_at = timezone.now()
    action.save(update_fields=["starts_at"])
    people = bulk_participants(args.batch * (args.rounds + 1))

    def calls(start: int) -> list[CheckInCall]:
        return [
            CheckInCall(
                action.slug,
                CheckInIn(lat=action.lat, lon=action.lon, accuracy_m=10.0, idempotency_key=uuid.uuid4().hex),
                token=token,
            )
            for _, token in people[start : start + args.batch]
        ]

    doors.run_in_background = lambda fn: fn()  # type: ignore[assignment]
    check_in_batch(calls(0))  # warms the action cache and the connection
    rounds = CpuRounds(args.profile)
    for start in range(args.batch, len(people), args.batch):
        batch = calls(start)
        with rounds.timed():
            answers = check_in_batch(batch)
        assert all(isinstance(a, tuple) and a[0] == 202 for a in answers), answers[:3]
    stored = CheckIn.objects.filter(action=action).count()
    return {
        "bench": "checkin_batch",
        "batch": args.batch,
        **rounds.summary(args.batch, "batch"),
        "all_stored": stored == len(people),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_round_arguments(parser, "check-ins in each batch", rounds=60)
    args = parser.parse_args()
    result = on_fresh_django(lambda: measure(args))
    report(
        result,
        [
            ("batch", "batch"),
            ("rounds", "rounds"),
            ("batch_ms", "median CPU ms a batch"),
            ("per_checkin_ms", "per check-in"),
            ("all_stored", "all stored"),
        ],
    )


if __name__ == "__main__":
    main()
