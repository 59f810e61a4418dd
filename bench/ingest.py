"""Ingestion and end to end: participants check in over HTTP at a rising rate.

Starts its own stack (web processes and Celery workers on one Redis and one PostgreSQL:
BENCH_DATABASE_URL, by default a `goodmob_bench` database on 127.0.0.1), seeds
participants, then sends check-ins open loop: rising for
--ramp seconds, then --rate per second until --duration. A dashboard socket on the
last web process times each check-in from its POST to the snapshot that counts it.
Afterwards it proves that every 202 ended verified or rejected and that the tally
equals the rows.

The database keeps every run's rows. Where PostgreSQL runs without autovacuum (as on
this project's test machines) each run leaves its dead row versions to the next, whose
index scans walk them: PostgreSQL's CPU per check-in rose from 0.44 to 0.8 ms over 30
runs. Compare runs on fresh databases: `--fresh-db` makes one and drops it afterwards.

    .venv/bin/python bench/ingest.py --rate 200 --duration 15            # quick look
    .venv/bin/python bench/ingest.py --rate 1000 --webs 2 --workers 2   # 10 s ramp + 60 s at 1,000/s
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

from bench.clients import run_clients  # noqa: E402
from bench.common import CpuMeter, percentile, postgres_pids, redis_pids, report  # noqa: E402
from bench.loadgen import post, ramp  # noqa: E402
from bench.stack import Stack, fresh_database, start_django  # noqa: E402
from bench.waits import Waits  # noqa: E402
from bench.wsclient import handshake  # noqa: E402


class Dashboard(asyncio.Protocol):
    """A dashboard socket that records (time, checked_in) for every snapshot."""

    def __init__(self, request: bytes) -> None:
        self.request = request
        self.buf = bytearray()
        self.upgraded = False
        self.seen: list[tuple[float, int]] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        self.buf += data
        if not self.upgraded:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            del self.buf[: end + 4]
            self.upgraded = True
        while len(self.buf) >= 2:
            size, start = self.buf[1] & 0x7F, 2
            if size == 126:
                size, start = int.from_bytes(self.buf[2:4], "big"), 4
            elif size == 127:
                size, start = int.from_bytes(self.buf[2:10], "big"), 10
            if len(self.buf) < start + size:
                return
            opcode, payload = self.buf[0] & 0x0F, bytes(self.buf[start : start + size])
            del self.buf[: start + size]
            if opcode == 1:
                self.on_text(now, payload)
            elif opcode == 9:
                self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)

    def on_text(self, now: float, payload: bytes) -> None:
        if payload.startswith(b'{"type":"snapshot"'):
            self.seen.append((now, json.loads(payload)["counts"]["checked_in"]))


class FrameRecorder(Dashboard):
    """A socket that records (time, bytes, frame) for every frame of one type."""

    def __init__(self, request: bytes, frame_type: str) -> None:
        super().__init__(request)
        self.prefix = b'{"type":"' + frame_type.encode() + b'"'
        self.frames: list[tuple[float, int, dict]] = []

    def on_text(self, now: float, payload: bytes) -> None:
        if payload.startswith(self.prefix):
            self.frames.append((now, len(payload), json.loads(payload)))


SPOT = {"lat": 52.5163, "lon": 13.3777, "accuracy_m": 10}


async def open_dashboard(port: int, slug: str, host: str = "127.0.0.1") -> Dashboard:
    host, port, request = handshake(f"ws://{host}:{port}/ws/actions/{slug}/")
    _, dashboard = await asyncio.get_running_loop().create_connection(lambda: Dashboard(request), host, port)
    return dashboard


def checkin_requests(
    slug: str, ports: list[int], people: list[tuple[int, str]], host: str = "127.0.0.1"
) -> list[tuple[tuple[str, int], bytes]]:
    """One check-in per participant at the spot, round-robin over the web processes."""
    requests = []
    for n, (_, token) in enumerate(people):
        port = ports[n % len(ports)]
        body = json.dumps({**SPOT, "idempotency_key": uuid.uuid4().hex}).encode()
        auth = {"Authorization": f"Bearer {token}"}
        requests.append(((host, port), post(f"/api/v1/actions/{slug}/checkins", f"{host}:{port}", body, auth)))
    return requests


def process_kinds(stack: Stack) -> dict[str, list[int]]:
    return {
        "web": [p.pid for p in stack.webs],
        "worker": [p.pid for p in stack.workers],
        "postgresql": postgres_pids(stack.env["DATABASE_URL"]),
        "redis": redis_pids(stack.env["REDIS_URL"]),
    }


async def drive(stack: Stack, slug: str, people: list[tuple[int, str]], args: argparse.Namespace) -> dict:
    ports = stack.ports
    dashboard = await open_dashboard(ports[-1], slug)
    payloads = checkin_requests(slug, ports, people)
    meter = CpuMeter(process_kinds(stack))
    waits = Waits(stack.env["DATABASE_URL"], stack.env["REDIS_URL"]) if args.waits else None
    meter.start()
    if waits:
        waits.start()
    loop = asyncio.get_running_loop()
    # The clients run in processes of their own; this loop keeps the dashboard socket.
    start, clients = await loop.run_in_executor(
        None,
        run_clients,
        payloads,
        ramp(args.start_rate, args.rate, args.ramp),
        args.duration,
        args.clients,
        args.connections,
    )
    results = [result for client in clients for result in client.results]
    accepted = [r for r in results if r.status == 202]
    ids = sorted(json.loads(r.body)["id"] for r in accepted)
    by_id = {json.loads(r.body)["id"]: r for r in accepted}

    # Wait (bounded) for the workers to decide every check-in and the dashboard to show it.
    deadline = time.monotonic() + args.settle
    from asgiref.sync import sync_to_async

    from actions.models import CheckIn, CheckInStatus

    pending = None
    while time.monotonic() < deadline:
        pending = await sync_to_async(
            CheckIn.objects.filter(pledge__action__slug=slug, status=CheckInStatus.PENDING).count
        )()
        shown = dashboard.seen[-1][1] if dashboard.seen else 0
        if pending == 0 and shown >= len(ids):
            break
        await asyncio.sleep(0.25)
    dashboard.transport.close()
    meter.stop()
    waited = waits.stop() if waits else None

    e2e = []
    snapshot_index = 0
    for rank, checkin_id in enumerate(ids):
        while snapshot_index < len(dashboard.seen) and dashboard.seen[snapshot_index][1] < rank + 1:
            snapshot_index += 1
        if snapshot_index == len(dashboard.seen):
            break
        e2e.append((dashboard.seen[snapshot_index][0] - by_id[checkin_id].sent_at) * 1000)

    latencies = [r.latency * 1000 for r in accepted]
    window = max((r.sent_at + r.latency for r in accepted), default=start) - start
    per_second: dict[int, int] = {}
    for r in accepted:
        second = int(r.sent_at + r.latency - start)
        per_second[second] = per_second.get(second, 0) + 1
    steady = [per_second.get(s, 0) for s in range(int(args.ramp) + 1, int(args.duration) - 1)]
    statuses: dict[str, int] = {}
    for r in results:
        statuses[str(r.status)] = statuses.get(str(r.status), 0) + 1

    from django.db.models import Count

    def audit() -> dict:
        rows = dict(CheckIn.objects.filter(pk__in=ids).values_list("status").annotate(n=Count("id")).order_by())
        from actions import cascade, selectors
        from actions.models import Action
        from common import redis as goodmob_redis

        action = Action.objects.get(slug=slug)
        tally = selectors.counts(action)
        frames = int(goodmob_redis.client().get(cascade.seq_key(action.pk)) or 0)
        verified_rows = CheckIn.objects.filter(action=action, status=CheckInStatus.VERIFIED).count()
        return {
            "stored": sum(rows.values()),
            "decided": rows.get("verified", 0) + rows.get("rejected", 0),
            "still_pending": rows.get("pending", 0),
            "tally_checked_in": tally["checked_in"],
            "tally_equals_rows": tally["checked_in"] == verified_rows,
            # The paced broadcasts, which cost CPU by the second, not by the check-in.
            "cascade_frames": frames,
        }

    proof = await sync_to_async(audit)()
    cpu = meter.per_unit_ms(len(accepted))
    return {
        "bench": "ingest",
        "webs": len(ports),
        "workers": args.workers,
        "target_rate": args.rate,
        "duration_s": args.duration,
        "sent": len(results),
        "statuses": statuses,
        "accepted": len(accepted),
        # Over the window in which the 202s actually arrived (the drain included), not
        # the schedule's length: an overloaded server keeps answering after it.
        "accepted_per_s": round(len(accepted) / max(1e-9, window), 1),
        "steady_min_per_s": min(steady) if steady else None,
        "steady_mean_per_s": round(sum(steady) / len(steady), 1) if steady else None,
        "request_p50_ms": round(percentile(latencies, 0.5), 1) if latencies else None,
        "request_p99_ms": round(percentile(latencies, 0.99), 1) if latencies else None,
        "e2e_p50_ms": round(percentile(e2e, 0.5), 1) if e2e else None,
        "e2e_p99_ms": round(percentile(e2e, 0.99), 1) if e2e else None,
        "shown_on_dashboard": len(e2e),
        "snapshots_seen": len(dashboard.seen),
        "timed_out": statuses.get("0", 0),
        "none_lost": proof["stored"] == len(accepted) and proof["decided"] == len(accepted),
        **proof,
        # CPU per accepted (and decided) check-in, from the first request until the last
        # verdict is on the dashboard, by kind of process; the clients are not counted.
        **{f"cpu_ms_{kind}": ms for kind, ms in cpu.items()},
        "clients": len(clients),
        "client_core_max": round(max(c.core_share for c in clients), 2),
        **({"waits": waited} if waited else {}),
    }


COLUMNS = [
    ("webs", "webs"),
    ("workers", "workers"),
    ("target_rate", "target/s"),
    ("accepted_per_s", "accepted/s"),
    ("steady_mean_per_s", "steady mean/s"),
    ("steady_min_per_s", "steady min/s"),
    ("request_p50_ms", "req p50 ms"),
    ("request_p99_ms", "req p99 ms"),
    ("e2e_p50_ms", "e2e p50 ms"),
    ("e2e_p99_ms", "e2e p99 ms"),
    ("accepted", "accepted"),
    ("timed_out", "timed out"),
    ("decided", "decided"),
    ("none_lost", "none lost"),
    ("tally_equals_rows", "tally = rows"),
    ("cpu_ms_web", "web ms"),
    ("cpu_ms_worker", "worker ms"),
    ("cpu_ms_postgresql", "pg ms"),
    ("cpu_ms_redis", "redis ms"),
    ("cpu_ms_total", "CPU ms/check-in"),
    ("snapshots_seen", "snapshots"),
    ("cascade_frames", "cascade frames"),
    ("client_core_max", "busiest client"),
]


def run(args: argparse.Namespace) -> dict:
    if args.fresh_db:
        with fresh_database():
            return run_stack(args)
    return run_stack(args)


def run_stack(args: argparse.Namespace) -> dict:
    stack = start_django()
    from bench.seed import bulk_participants, seed_action

    action = seed_action(duration_minutes=60)
    people = bulk_participants(int(ramp(args.start_rate, args.rate, args.ramp)(args.duration)) + 50)
    try:
        stack.start_workers(args.workers)
        stack.start_web(args.webs)
        time.sleep(1.5)  # let the action go live and the workers connect
        return asyncio.run(drive(stack, action.slug, people, args))
    finally:
        stack.close()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Ingestion benchmark")
    p.add_argument("--rate", type=float, default=1000, help="check-ins per second after the ramp")
    p.add_argument("--start-rate", type=float, default=100)
    p.add_argument("--ramp", type=float, default=10, help="seconds to rise from --start-rate to --rate")
    p.add_argument("--duration", type=float, default=70, help="seconds in all (the ramp, then --rate)")
    p.add_argument("--webs", type=int, default=1)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--connections", type=int, default=256)
    p.add_argument("--clients", type=int, default=2, help="load generator processes")
    p.add_argument("--settle", type=float, default=120, help="seconds to wait for the last verdicts")
    p.add_argument("--waits", action="store_true", help="sample PostgreSQL waits and locks, Redis command stats")
    p.add_argument("--fresh-db", action="store_true", help="a PostgreSQL database of its own, dropped afterwards")
    return p


if __name__ == "__main__":
    report(run(parser().parse_args()), COLUMNS)
