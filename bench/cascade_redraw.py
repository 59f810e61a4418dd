"""What one cascade redraw costs the worker at a given crowd, step by step: the rows'
read, building the graph, finding what changed, encoding the frames and compressing the
whole graph kept for late joiners; and the last graph sent: this process's copy, caught
up with the other processes' changes (--turns 2, as a prefork worker's two children take
turns), or read back whole from Redis (--stale). CPU time of this process; the database's own work
is not in it. Between redraws --new people pledge, as under a crowd, so each redraw
sends a delta; their pledges are noted as the listeners note them, so a redraw reads
only their rows (--whole: nothing noted, every redraw reads the whole graph). On a
database of its own, dropped afterwards.

    .venv/bin/python bench/cascade_redraw.py --people 23600 --redraws 8 [--turns 2] [--stale] [--whole]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import percentile, report  # noqa: E402
from bench.stack import on_fresh_django  # noqa: E402

STEPS = ("rows", "graph", "last_sent", "changes", "encode", "compress")


def timed(spent: dict[str, float], step: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[step] += (time.process_time() - started) * 1000

    return wrapper


def measure(args: argparse.Namespace) -> dict[str, object]:
    import zlib

    from actions import cascade, events
    from actions.models import Pledge
    from bench.seed import bulk_participants, seed_action
    from common import coalesce, collector
    from common import redis as goodmob_redis
    from realtime import cascades

    collector.tune()  # as the worker does
    action = seed_action()
    rng = random.Random(1)
    people: list[int] = []
    # People who share the link without pledging themselves (the graph's "visited" roots).
    outside = [uid for uid, _ in bulk_participants(args.outside)] if args.outside else []

    def pledge(count: int) -> None:
        new = [uid for uid, _ in bulk_participants(count)]
        rows = []
        for uid in new:
            # Most people come through the link of someone who pledged before them.
            ref = rng.choice(people) if people and rng.random() < args.shared else None
            if ref is None and outside and rng.random() < 0.5:
                ref = rng.choice(outside)
            rows.append(Pledge(action=action, user_id=uid, referrer_id=ref))
            people.append(uid)
        made = Pledge.objects.bulk_create(rows, batch_size=2000)
        if not args.whole:  # as the listeners note them (realtime/listeners.py)
            notes = cascades.cascade_notes(events.Pledged(action.pk, tuple((p.pk, p.user_id) for p in made)))
            goodmob_redis.client().sadd(coalesce._notes_key("cascade", action.pk), *notes)

    pledge(args.people)
    cascades.publish_cascade(action.pk)  # the first, whole frame

    spent = dict.fromkeys(STEPS, 0.0)
    cascade._pledge_rows = timed(spent, "rows", cascade._pledge_rows)  # type: ignore[method-assign]
    cascade._changed_rows = timed(spent, "rows", cascade._changed_rows)  # type: ignore[method-assign]
    cascade.redraw = timed(spent, "graph", cascade.redraw)  # type: ignore[method-assign]
    cascades._last_sent = timed(spent, "last_sent", cascades._last_sent)  # type: ignore[method-assign]
    cascade.changes = timed(spent, "changes", cascade.changes)  # type: ignore[method-assign]
    cascade.draw = timed(spent, "graph", cascade.draw)  # type: ignore[method-assign]
    cascades.encode = timed(spent, "encode", cascades.encode)  # type: ignore[attr-defined]
    zlib.compress = timed(spent, "compress", zlib.compress)
    store = cascades._store
    wholes = 0

    def counted_store(r: Any, action_id: int, text: str, *, whole: bool) -> None:
        nonlocal wholes
        wholes += whole
        store(r, action_id, text, whole=whole)

    cascades._store = counted_store  # type: ignore[assignment]
    totals = []
    # The first process holds the first frame's copy; the others start with none.
    kept_by_process: list[dict[int, Any]] = [cascades._kept] + [{} for _ in range(args.turns - 1)]
    for n in range(args.redraws):
        pledge(args.new)
        cascades._kept = kept_by_process[n % args.turns]  # type: ignore[misc]
        if args.stale:
            cascades._kept.clear()
        started = time.process_time()
        cascades.publish_cascade(action.pk)
        totals.append((time.process_time() - started) * 1000)
    spent["graph"] -= spent["rows"]  # the rows are read inside draw() and redraw()
    result: dict[str, object] = {
        "bench": "cascade_redraw",
        "people": len(people),
        "redraws": args.redraws,
        "turns": args.turns,
        "stale": args.stale,
        "outside": args.outside,
        "whole": args.whole,
        "whole_graphs_stored": wholes,
    }
    result["total_ms"] = round(percentile(totals, 0.5) or 0, 1)
    result.update({f"{step}_ms": round(spent[step] / args.redraws, 1) for step in STEPS})
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=23_600)
    parser.add_argument("--redraws", type=int, default=8)
    parser.add_argument("--new", type=int, default=20, help="pledges between redraws")
    parser.add_argument("--shared", type=float, default=0.7, help="share of pledges through someone's link")
    parser.add_argument("--outside", type=int, default=0, help="sharers who never pledge, each bringing some")
    parser.add_argument(
        "--turns", type=int, default=1, help="processes taking turns at the redraws, as a prefork worker's children do"
    )
    parser.add_argument("--stale", action="store_true", help="each redraw finds no copy of its own (after a restart)")
    parser.add_argument("--whole", action="store_true", help="nothing noted: every redraw reads the whole graph")
    args = parser.parse_args()
    result = on_fresh_django(lambda: measure(args))
    columns = [("people", "people"), ("total_ms", "median CPU ms a redraw")]
    report(result, columns + [(f"{step}_ms", f"{step} ms") for step in STEPS] + [("whole_graphs_stored", "wholes")])


if __name__ == "__main__":
    main()
