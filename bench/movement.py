"""A movement under load: --places local actions (the original and its forks), check-ins
arriving over HTTP on all of them at --rate per second for --duration seconds, while a
socket on /ws/movements/<id>/ records every `movement` frame. Reports frames per second,
bytes per frame and how far the last frame lagged, then audits: every 202 decided, the
movement's tally equal to the sum of every local action's rows, and the last frame
showing exactly that.

    .venv/bin/python bench/movement.py --places 50 --rate 300 --duration 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import percentile, report  # noqa: E402
from bench.ingest import FrameRecorder  # noqa: E402
from bench.loadgen import Pool, post, ramp, run_schedule  # noqa: E402
from bench.stack import start_django  # noqa: E402
from bench.wsclient import handshake  # noqa: E402


def seed(places: int) -> tuple[int, list]:
    """The original and places - 1 forks, a few hundred metres apart, all live."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts import services as accounts
    from actions import rules, services
    from actions.models import Action
    from bench.seed import SPOT, seed_action

    origin = seed_action(duration_minutes=60)
    actions = [origin]
    for k in range(1, places):
        where = {"lat": SPOT["lat"] + 0.01 * (k % 10), "lon": SPOT["lon"] + 0.01 * (k // 10), "radius_m": 150}
        values = {**where, "place_name": f"Street {k}", "starts_at": timezone.now() + timedelta(seconds=1)}
        fork = services.fork_action(origin, accounts.create_guest(f"Local {k}"), rules.fork_input(origin, values))
        actions.append(fork)
    Action.objects.filter(pk__in=[a.pk for a in actions]).update(starts_at=timezone.now() + timedelta(seconds=1))
    return Action.objects.get(pk=origin.pk).movement_id, actions


async def drive(port: int, movement_id: int, actions: list, people: list, args: argparse.Namespace) -> dict:
    from asgiref.sync import sync_to_async

    from actions import movements
    from actions.models import CheckIn, CheckInStatus

    host, ws_port, request = handshake(f"ws://127.0.0.1:{port}/ws/movements/{movement_id}/")
    _, screen = await asyncio.get_running_loop().create_connection(
        lambda: FrameRecorder(request, "movement"), host, ws_port
    )
    payloads = []
    for n, (_, token) in enumerate(people):
        action = actions[n % len(actions)]
        body = {"lat": action.lat, "lon": action.lon, "accuracy_m": 10, "idempotency_key": uuid.uuid4().hex}
        headers = {"Authorization": f"Bearer {token}"}
        payloads.append(
            post(f"/api/v1/actions/{action.slug}/checkins", f"127.0.0.1:{port}", json.dumps(body).encode(), headers)
        )
    pool = Pool("127.0.0.1", [port], args.connections)
    start, results = await run_schedule(pool, payloads, ramp(args.rate, args.rate, 0.001), args.duration)
    sent_until = time.monotonic()
    accepted = [json.loads(r.body)["id"] for r in results if r.status == 202]

    ids = [a.pk for a in actions]

    def verified_rows() -> tuple[int, int]:
        rows = CheckIn.objects.filter(action_id__in=ids)
        return rows.filter(status=CheckInStatus.PENDING).count(), rows.filter(status=CheckInStatus.VERIFIED).count()

    deadline = time.monotonic() + args.settle
    pending, verified = await sync_to_async(verified_rows)()
    while time.monotonic() < deadline:
        pending, verified = await sync_to_async(verified_rows)()
        shown = screen.frames[-1][2]["counts"]["checked_in"] if screen.frames else -1
        if pending == 0 and shown == verified:
            break
        await asyncio.sleep(0.25)
    settled = time.monotonic()
    screen.transport.close()

    def audit() -> dict:
        decided = CheckIn.objects.filter(pk__in=accepted).exclude(status=CheckInStatus.PENDING).count()
        summed = movements.snapshot(movements.get_movement(movement_id))["counts"]
        return {"decided": decided, "tally_checked_in": summed["checked_in"], "tally_pledged": summed["pledged"]}

    proof = await sync_to_async(audit)()
    frames = [(t, size, f) for t, size, f in screen.frames if t >= start]
    window = max(1e-9, sent_until - start)
    last = screen.frames[-1][2] if screen.frames else {"counts": {"checked_in": -1}, "places": 0}
    gaps = [b[0] - a[0] for a, b in zip(frames, frames[1:], strict=False)]
    return {
        "places": last["places"],
        "sent": len(results),
        "accepted": len(accepted),
        "accepted_per_s": round(len(accepted) / window, 1),
        "frames": len(frames),
        "frames_per_s": round(len(frames) / max(1e-9, (frames[-1][0] - start) if frames else 1), 2),
        "frame_gap_p50_ms": round(percentile([g * 1000 for g in gaps], 0.5) or 0),
        "bytes_p50": int(percentile([size for _, size, _ in frames], 0.5) or 0),
        "settle_s": round(settled - sent_until, 1),
        "none_lost": proof["decided"] == len(accepted),
        "verified_rows": verified,
        **proof,
        "last_frame_checked_in": last["counts"]["checked_in"],
        "exact": proof["tally_checked_in"] == verified == last["counts"]["checked_in"],
    }


def run(args: argparse.Namespace) -> dict:
    stack = start_django()
    from bench.seed import bulk_participants

    movement_id, actions = seed(args.places)
    people = bulk_participants(int(args.rate * args.duration) + 50)
    try:
        stack.start_workers(args.workers)
        stack.start_web(1)
        time.sleep(1.5)  # the actions go live, the workers connect
        return asyncio.run(drive(stack.ports[0], movement_id, actions, people, args))
    finally:
        stack.close()


COLUMNS = [
    ("places", "places"),
    ("accepted", "accepted"),
    ("accepted_per_s", "accepted/s"),
    ("frames_per_s", "frames/s"),
    ("frame_gap_p50_ms", "gap p50 ms"),
    ("bytes_p50", "bytes p50"),
    ("settle_s", "settle s"),
    ("none_lost", "none lost"),
    ("verified_rows", "verified"),
    ("last_frame_checked_in", "last frame"),
    ("exact", "exact"),
]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Movement benchmark")
    p.add_argument("--places", type=int, default=50)
    p.add_argument("--rate", type=float, default=300)
    p.add_argument("--duration", type=float, default=30)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--settle", type=float, default=60)
    return p


if __name__ == "__main__":
    report(run(parser().parse_args()), COLUMNS)
