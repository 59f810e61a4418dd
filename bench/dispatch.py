"""Nearest-first dispatch with many watchers: --areas watch areas (people with email
alerts on, to a confirmed address) seeded at random within --spread-km of one spot, then
an action launched there asking for help. Measures the time from the launch call to the
first ring's alerts being queued (the ring's transaction committed, its send tasks in
the broker), on a real Celery worker, and the same ring's query and insert when run in
this process, repeated --repeat times on fresh actions (each launch waits until the
worker has sent the previous one's alerts).

    .venv/bin/python bench/dispatch.py --areas 100000
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import percentile, report  # noqa: E402
from bench.stack import start_django  # noqa: E402

SPOT = (50.0617, 19.9373)


def seed(areas: int, spread_km: float) -> None:
    """Watchers in bulk: user, profile (email confirmed), alert settings (email on), one
    watch area each, kept as its H3 cells, as social.watching.add makes them."""
    import h3
    from django.contrib.auth.models import User
    from django.db import transaction

    from accounts.models import Profile
    from alerts.models import AlertSettings
    from social.models import WatchArea, WatchCell
    from social.watching import CELL_STEP_KM, RESOLUTION

    rng = random.Random(7)
    tag = uuid.uuid4().hex[:6]
    for start in range(0, areas, 10_000):
        n = min(10_000, areas - start)
        with transaction.atomic():
            users = User.objects.bulk_create(
                [
                    User(username=f"w-{tag}-{start + i}", email=f"w{start + i}@example.org", password="!")
                    for i in range(n)
                ],
                batch_size=2000,
            )
            Profile.objects.bulk_create(
                [
                    Profile(user=u, handle=f"w{tag}-{start + i}", display_name="Watcher", email_verified=True)
                    for i, u in enumerate(users)
                ],
                batch_size=2000,
            )
            AlertSettings.objects.bulk_create([AlertSettings(user=u, email=True) for u in users], batch_size=2000)
            made = WatchArea.objects.bulk_create(
                [WatchArea(user=u, radius_km=rng.randint(1, 10)) for u in users], batch_size=2000
            )
            cells = []
            for area in made:
                # Uniform over a disc of spread_km around the spot.
                r, angle = spread_km * math.sqrt(rng.random()), rng.random() * 2 * math.pi
                lat = SPOT[0] + r * math.cos(angle) / 111.0
                lon = SPOT[1] + r * math.sin(angle) / (111.0 * math.cos(math.radians(SPOT[0])))
                centre = h3.latlng_to_cell(lat, lon, RESOLUTION)
                for cell in h3.grid_disk(centre, math.ceil(area.radius_km / CELL_STEP_KM)):
                    cells.append(WatchCell(area=area, user_id=area.user_id, cell=cell))
            WatchCell.objects.bulk_create(cells, batch_size=5000)
        print(f"seeded {start + n} watch areas", file=sys.stderr)


def organizer():
    from accounts import services as accounts
    from accounts.models import Profile

    user = accounts.create_guest("Dispatcher")
    Profile.objects.filter(user=user).update(trusted=True)
    return user


def launch(by, begins_in_s: float = 0.0):
    from datetime import timedelta

    from django.utils import timezone

    from actions import rules, services

    values = {
        "title": "Help needed",
        "deed": "Carry one sandbag to the riverbank.",
        "place_name": "Riverbank",
        "lat": SPOT[0],
        "lon": SPOT[1],
        "radius_m": 200,
        "starts_at": timezone.now() + timedelta(minutes=30),
        "duration_minutes": 30,
        "goal": 100,
    }
    ask = rules.DispatchInput(people=100, max_radius_km=20, begins_at=timezone.now() + timedelta(seconds=begins_in_s))
    return services.launch_action(by, rules.launch_input(values), dispatch=ask)


def drained(action=None) -> None:
    """Waits for the worker to finish sending the last ring's alerts, so each launch
    meets an idle worker rather than the previous one's backlog."""
    from alerts.models import Alert

    while action is not None and Alert.objects.filter(action=action, sent_at=None).exists():
        time.sleep(0.05)


def first_ring_on_worker(by) -> dict:
    from actions.models import Dispatch

    started = time.perf_counter()
    action = launch(by)
    while not Dispatch.objects.filter(action=action, rings_sent__gte=1).exists():
        time.sleep(0.002)
    elapsed = time.perf_counter() - started
    drained(action)
    return {"ms": elapsed * 1000, "alerted": Dispatch.objects.get(action=action).alerted}


def first_ring_here(by) -> dict:
    """The same ring in this process: who (one query), the insert, the ids to queue."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from alerts import dispatch

    action = launch(by, begins_in_s=600)  # the worker leaves it alone: it is not due yet
    from actions.models import Dispatch

    Dispatch.objects.filter(action=action).update(begins_at=action.created_at)
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        alerted = dispatch.send_ring.run(action.pk)
    elapsed = time.perf_counter() - started
    who = next(q for q in queries.captured_queries if "social_watchcell" in q["sql"])
    return {"ms": elapsed * 1000, "alerted": alerted, "queries": len(queries), "who_ms": float(who["time"]) * 1000}


def run(args: argparse.Namespace) -> dict:
    stack = start_django()
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
    stack.env["EMAIL_BACKEND"] = os.environ["EMAIL_BACKEND"]
    from social.models import WatchArea, WatchCell

    # The bench database keeps what an earlier run seeded: top it up to --areas.
    seed(max(0, args.areas - WatchArea.objects.count()), args.spread_km)

    cells = WatchCell.objects.count()
    by = organizer()
    try:
        stack.start_workers(1)
        time.sleep(3)  # the worker connects
        on_worker = [first_ring_on_worker(by) for _ in range(args.repeat)]
        here = [first_ring_here(by) for _ in range(args.repeat)]
    finally:
        stack.close()
    return {
        "areas": WatchArea.objects.count(),
        "watch_cells": cells,
        "first_ring_alerted": on_worker[0]["alerted"],
        "launch_to_queued_p50_ms": round(percentile([r["ms"] for r in on_worker], 0.5), 1),
        "launch_to_queued_max_ms": round(max(r["ms"] for r in on_worker), 1),
        "ring_in_process_p50_ms": round(percentile([r["ms"] for r in here], 0.5), 1),
        "who_query_p50_ms": round(percentile([r["who_ms"] for r in here], 0.5), 1),
        "ring_queries": here[0]["queries"],
    }


COLUMNS = [
    ("areas", "watch areas"),
    ("watch_cells", "cells"),
    ("first_ring_alerted", "ring 0 alerted"),
    ("launch_to_queued_p50_ms", "launch→queued p50 ms"),
    ("launch_to_queued_max_ms", "max ms"),
    ("ring_in_process_p50_ms", "ring in-process ms"),
    ("who_query_p50_ms", "who query ms"),
    ("ring_queries", "queries/ring"),
]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Nearest-first dispatch benchmark")
    p.add_argument("--areas", type=int, default=100_000)
    p.add_argument("--spread-km", type=float, default=60)
    p.add_argument("--repeat", type=int, default=5)
    return p


if __name__ == "__main__":
    report(run(parser().parse_args()), COLUMNS)
