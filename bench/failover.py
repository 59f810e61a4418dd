"""Redis failover under a check-in run: a primary, a replica and three sentinels
(bench/servers.py), web processes, a Celery worker and beat all reaching Redis through
the sentinels (REDIS_SENTINELS). Check-ins arrive at --rate per second; --kill-at
seconds in, the primary is killed (SIGKILL). Dashboard sockets listen on every web
process throughout.

It shows: no acknowledged check-in lost (every 202 a stored row, decided), how soon
each dashboard received a snapshot again after the kill, and that the tally is exact
afterwards (it equals the rows, and every dashboard's last snapshot shows it).

    .venv/bin/python bench/failover.py                      # 200/s for 40 s, kill at 12 s
    .venv/bin/python bench/failover.py --rate 500 --webs 2 --dashboards 100
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.clients import run_clients  # noqa: E402
from bench.common import percentile, report  # noqa: E402
from bench.ingest import Dashboard, checkin_requests, open_dashboard  # noqa: E402
from bench.loadgen import ramp  # noqa: E402
from bench.servers import SentinelRedis  # noqa: E402
from bench.stack import Stack, start_django  # noqa: E402


def kill_later(cluster: SentinelRedis, at: float, record: dict) -> threading.Thread:
    """Kill the primary at monotonic time `at`, then time the sentinels' promotion."""

    def run() -> None:
        time.sleep(max(0.0, at - time.monotonic()))
        cluster.kill_primary()
        record["killed_at"] = time.monotonic()
        cluster.wait_for_failover(timeout=60)
        record["promoted_after_s"] = round(time.monotonic() - record["killed_at"], 2)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


async def drive(stack: Stack, cluster: SentinelRedis, slug: str, people: list, args: argparse.Namespace) -> dict:
    dashboards: list[Dashboard] = []
    for n in range(args.dashboards):
        dashboards.append(await open_dashboard(stack.ports[n % len(stack.ports)], slug))
    payloads = checkin_requests(slug, stack.ports, people)
    fault: dict = {}
    killer = kill_later(cluster, time.monotonic() + 0.5 + 0.05 * args.clients + args.kill_at, fault)
    start, clients = await asyncio.get_running_loop().run_in_executor(
        None, run_clients, payloads, ramp(args.rate, args.rate, 0), args.duration, args.clients, 64
    )
    killer.join()
    results = [r for c in clients for r in c.results]
    accepted = [r for r in results if r.status == 202]
    ids = sorted(json.loads(r.body)["id"] for r in accepted)

    from asgiref.sync import sync_to_async
    from django.db.models import Count

    from actions import selectors
    from actions.models import Action, CheckIn, CheckInStatus

    def audit() -> dict:
        rows = dict(CheckIn.objects.filter(pk__in=ids).values_list("status").annotate(n=Count("id")).order_by())
        action = Action.objects.get(slug=slug)
        verified = CheckIn.objects.filter(action=action, status=CheckInStatus.VERIFIED).count()
        return {"rows": rows, "tally": selectors.counts(action)["checked_in"], "verified_rows": verified}

    # The sweeps (beat) re-queue what the outage dropped: wait for every verdict and for
    # every dashboard to show the final tally.
    deadline = time.monotonic() + args.settle
    proof = await sync_to_async(audit)()
    while time.monotonic() < deadline:
        proof = await sync_to_async(audit)()
        shown = [d.seen[-1][1] if d.seen else None for d in dashboards]
        if not proof["rows"].get("pending") and all(s == proof["tally"] for s in shown):
            break
        await asyncio.sleep(0.5)
    for d in dashboards:
        d.transport.close()

    killed = fault.get("killed_at")
    gaps = []
    for d in dashboards:
        after = [t for t, _ in d.seen if killed is not None and t > killed]
        gaps.append(after[0] - killed if after else None)
    healed = [g for g in gaps if g is not None]
    statuses: dict[str, int] = {}
    for r in results:
        statuses[str(r.status)] = statuses.get(str(r.status), 0) + 1
    decided = proof["rows"].get("verified", 0) + proof["rows"].get("rejected", 0)
    return {
        "bench": "failover",
        "webs": len(stack.ports),
        "rate": args.rate,
        "sent": len(results),
        "statuses": statuses,
        "accepted": len(accepted),
        "stored": sum(proof["rows"].values()),
        "decided": decided,
        "none_lost": sum(proof["rows"].values()) == len(accepted) == decided,
        "promoted_after_s": fault.get("promoted_after_s"),
        "dashboards": len(dashboards),
        "dashboards_healed": len(healed),
        "heal_p50_s": round(percentile(healed, 0.5), 2) if healed else None,
        "heal_max_s": round(max(healed), 2) if healed else None,
        "tally": proof["tally"],
        "tally_equals_rows": proof["tally"] == proof["verified_rows"],
        "dashboards_show_tally": sum(bool(d.seen) and d.seen[-1][1] == proof["tally"] for d in dashboards),
    }


COLUMNS = [
    ("rate", "rate/s"),
    ("accepted", "accepted"),
    ("statuses", "statuses"),
    ("none_lost", "none lost"),
    ("promoted_after_s", "promoted after s"),
    ("dashboards_healed", "dashboards with a snapshot again"),
    ("heal_p50_s", "p50 s"),
    ("heal_max_s", "max s"),
    ("tally_equals_rows", "tally = rows"),
    ("dashboards_show_tally", "dashboards showing it"),
]


def run(args: argparse.Namespace) -> dict:
    cluster = SentinelRedis()
    cluster.start()
    os.environ["REDIS_SENTINELS"] = cluster.sentinels
    os.environ["REDIS_SENTINEL_SERVICE"] = cluster.SERVICE
    os.environ["REDIS_URL"] = f"redis://127.0.0.1:{cluster.primary_port}/0"  # only the db number is read
    stack = start_django()
    try:
        from bench.seed import bulk_participants, seed_action

        action = seed_action(duration_minutes=60)
        people = bulk_participants(int(args.rate * args.duration) + 50)
        stack.start_workers(1)
        stack.start_beat()
        stack.start_web(args.webs)
        time.sleep(1.5)  # the action goes live, the workers connect
        return asyncio.run(drive(stack, cluster, action.slug, people, args))
    finally:
        stack.close(clean_redis=False)  # the data lived in the cluster, which goes
        cluster.stop()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Redis failover benchmark")
    p.add_argument("--rate", type=float, default=200)
    p.add_argument("--duration", type=float, default=40)
    p.add_argument("--kill-at", type=float, default=12, help="seconds into the run")
    p.add_argument("--webs", type=int, default=2)
    p.add_argument("--dashboards", type=int, default=40)
    p.add_argument("--clients", type=int, default=2)
    p.add_argument("--settle", type=float, default=90)
    return p


if __name__ == "__main__":
    report(run(parser().parse_args()), COLUMNS)
