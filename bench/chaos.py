"""Chaos: faults with everything running, and check-ins arriving throughout.

A private Redis and a private PostgreSQL (bench/servers.py), one web process (uvicorn,
as the Procfile runs it), one Celery worker and beat. Check-ins arrive at --rate per
second from the first fault to the last, each from another participant, while two
dashboard sockets listen and reconnect as the page does. In turn:

1. Redis is killed while the worker and beat keep running; a third dashboard connects
   while it is down; Redis comes back, empty, after --outage seconds.
2. PostgreSQL restarts (a fast shutdown, then a start).
3. The web process is killed (SIGKILL) and started again on its port.

After each fault is over, a probe check-in measures how long the system takes to work
end to end again: accepted (202), verified by the worker, and counted on every dashboard
(the heal time). At the end every 202 must be a stored row that ended verified or
rejected, nothing may be left pending, no request may have had a 500, the tally must
equal the rows and every dashboard must show it.

    .venv/bin/python bench/chaos.py                     # 20 check-ins/s, 3 s outages
    .venv/bin/python bench/chaos.py --rate 100 --outage 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import websockets  # noqa: E402

from bench.common import emit  # noqa: E402
from bench.loadgen import Pool, Result, post, request  # noqa: E402
from bench.servers import PrivatePostgres, PrivateRedis  # noqa: E402
from bench.stack import Stack, bench_env, start_django  # noqa: E402

SPOT = {"lat": 52.5163, "lon": 13.3777, "accuracy_m": 10}


class LiveDashboard:
    """A dashboard socket that reconnects with jittered backoff, as the page does, and
    keeps the newest snapshot's tally (by seq)."""

    def __init__(self, port: int, slug: str) -> None:
        self.url = f"ws://127.0.0.1:{port}/ws/actions/{slug}/"
        self.origin = f"http://127.0.0.1:{port}"
        self.seq = -1
        self.checked_in: int | None = None
        self.connects = 0
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        backoff = 0.2
        while True:
            try:
                async with websockets.connect(self.url, origin=self.origin, open_timeout=5) as ws:
                    self.connects += 1
                    backoff = 0.2
                    async for raw in ws:
                        message = json.loads(raw)
                        if message.get("type") == "snapshot" and message["seq"] >= self.seq:
                            self.seq, self.checked_in = message["seq"], message["counts"]["checked_in"]
            except (TimeoutError, OSError, websockets.exceptions.WebSocketException):
                pass
            await asyncio.sleep(backoff * (1 + random.random()))
            backoff = min(backoff * 2, 2.0)

    def close(self) -> None:
        self.task.cancel()


def checkin(port: int, slug: str, token: str) -> bytes:
    body = json.dumps({**SPOT, "idempotency_key": uuid.uuid4().hex}).encode()
    return post(f"/api/v1/actions/{slug}/checkins", f"127.0.0.1:{port}", body, {"Authorization": f"Bearer {token}"})


async def until(check: Callable[[], Awaitable[Any]], timeout: float, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await check()
        if value:
            return value
        await asyncio.sleep(every)
    return None


class Run:
    def __init__(self, args: argparse.Namespace, stack: Stack, action_id: int, slug: str, people: list) -> None:
        from asgiref.sync import sync_to_async

        self.args, self.stack, self.action_id, self.slug = args, stack, action_id, slug
        self.port = stack.ports[0]
        self.people: Iterator[tuple[int, str]] = iter(people)
        self.results: list[Result] = []
        self.dashboards: list[LiveDashboard] = []
        self.db = sync_to_async(self._db, thread_sensitive=True)

    @staticmethod
    def _db(query: Callable[[], Any]) -> Any:
        """A query that may meet a restarting database: None instead of an error."""
        from django.db import DatabaseError, close_old_connections

        try:
            return query()
        except DatabaseError:
            close_old_connections()
            return None

    async def load(self, stop: asyncio.Event) -> None:
        pool = Pool("127.0.0.1", [self.port], 32)
        tasks: list[asyncio.Task] = []
        next_at = time.monotonic()
        while not stop.is_set():
            while next_at <= time.monotonic():
                result = Result(sent_at=time.monotonic())
                self.results.append(result)
                payload = checkin(self.port, self.slug, next(self.people)[1])
                tasks.append(asyncio.ensure_future(request(pool, payload, result)))
                next_at += 1 / self.args.rate
            await asyncio.sleep(0.005)
        await asyncio.wait(tasks, timeout=30)

    async def probe(self) -> float | None:
        """From now: a fresh check-in accepted, verified, and counted on every dashboard."""
        from actions.models import CheckIn, CheckInStatus

        start = time.monotonic()
        pool = Pool("127.0.0.1", [self.port], 1)
        token = next(self.people)[1]

        async def accepted() -> int | None:
            result = Result(sent_at=time.monotonic())
            await request(pool, checkin(self.port, self.slug, token), result)
            return json.loads(result.body)["id"] if result.status == 202 else None

        budget = self.args.heal_limit
        checkin_id = await until(accepted, budget, every=0.2)
        if checkin_id is None:
            return None

        def verified_count() -> int | None:
            status = CheckIn.objects.filter(pk=checkin_id).values_list("status", flat=True).first()
            if status != CheckInStatus.VERIFIED:
                return None
            return CheckIn.objects.filter(action_id=self.action_id, status=CheckInStatus.VERIFIED).count()

        count = await until(lambda: self.db(verified_count), budget - (time.monotonic() - start))
        if count is None:
            return None

        async def counted() -> bool:
            return all(d.checked_in is not None and d.checked_in >= count for d in self.dashboards)

        if not await until(counted, budget - (time.monotonic() - start)):
            return None
        return round(time.monotonic() - start, 2)

    async def fault(self, name: str, down: Callable[[], Awaitable[None]], up: Callable[[], Awaitable[None]]) -> dict:
        began = time.monotonic()
        await down()
        await up()
        over = time.monotonic()
        heal = await self.probe()
        print(f"{name}: down {over - began:.1f} s, healed {heal} s after", flush=True)
        await asyncio.sleep(self.args.calm)
        return {"fault": name, "down_s": round(over - began, 2), "heal_s": heal}

    async def scenario(self, redis: PrivateRedis, pg: PrivatePostgres) -> dict:
        self.dashboards = [LiveDashboard(self.port, self.slug) for _ in range(2)]
        await until(lambda: asyncio.sleep(0, all(d.checked_in is not None for d in self.dashboards)), 30)
        stop = asyncio.Event()
        load = asyncio.ensure_future(self.load(stop))
        await asyncio.sleep(self.args.calm)

        async def redis_down() -> None:
            redis.stop()
            late = LiveDashboard(self.port, self.slug)  # connects while Redis is down
            self.dashboards.append(late)
            await until(lambda: asyncio.sleep(0, late.checked_in is not None), self.args.outage, every=0.05)
            await asyncio.sleep(max(0.0, self.args.outage - 0.1))

        async def redis_up() -> None:
            redis.start()

        async def pg_restart() -> None:
            await asyncio.to_thread(pg.restart)

        async def web_down() -> None:
            self.stack.kill_web()
            await asyncio.sleep(self.args.outage)

        async def web_up() -> None:
            await asyncio.to_thread(self.stack.restart_web)

        async def nothing() -> None:
            return None

        faults = [
            await self.fault("Redis killed, back empty", redis_down, redis_up),
            await self.fault("PostgreSQL restarted", pg_restart, nothing),
            await self.fault("web process killed and restarted", web_down, web_up),
        ]
        late_connected = self.dashboards[2].connects > 0
        stop.set()
        await load
        settled = await self.settle()
        for dashboard in self.dashboards:
            dashboard.close()
        return {"faults": faults, "late_dashboard_connected_during_outage": late_connected, **settled}

    async def settle(self) -> dict:
        from actions import selectors
        from actions.models import Action, CheckIn, CheckInStatus

        accepted = {json.loads(r.body)["id"] for r in self.results if r.status == 202}

        def state() -> tuple[int, int, int, int] | None:
            rows = CheckIn.objects.filter(pk__in=accepted)
            return (
                rows.count(),
                rows.exclude(status=CheckInStatus.PENDING).count(),
                CheckIn.objects.filter(action_id=self.action_id, status=CheckInStatus.PENDING).count(),
                selectors.counts(Action.objects.get(pk=self.action_id))["checked_in"],
            )

        async def healed() -> tuple | None:
            now = await self.db(state)
            shown = [d.checked_in for d in self.dashboards]
            return now if now and now[2] == 0 and all(s == now[3] for s in shown) else None

        began = time.monotonic()
        final = await until(healed, self.args.settle, every=0.5) or await self.db(state) or (0, 0, -1, -1)
        stored, decided, pending, tally = final
        verified = await self.db(
            lambda: CheckIn.objects.filter(action_id=self.action_id, status=CheckInStatus.VERIFIED).count()
        )
        statuses = Counter(r.status for r in self.results)
        shown = [d.checked_in for d in self.dashboards]
        return {
            "sent": len(self.results),
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "accepted": len(accepted),
            "stored": stored,
            "decided": decided,
            "still_pending": pending,
            "tally_checked_in": tally,
            "verified_rows": verified,
            "dashboards_show": shown,
            "settled_in_s": round(time.monotonic() - began, 2),
            "passed": stored == len(accepted) == decided
            and pending == 0
            and statuses[500] == 0
            and tally == verified
            and all(s == tally for s in shown),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description="Chaos: Redis, PostgreSQL and web faults under load")
    parser.add_argument("--rate", type=float, default=20, help="check-ins per second throughout")
    parser.add_argument("--outage", type=float, default=3, help="seconds Redis and the web process stay down")
    parser.add_argument("--calm", type=float, default=3, help="seconds of plain load between faults")
    parser.add_argument("--heal-limit", type=float, default=60, help="give up on a probe after this long")
    parser.add_argument("--settle", type=float, default=90, help="seconds to wait for the final state")
    parser.add_argument("--stale", default="15", help="PENDING_STALE_SECONDS (the sweep's patience; production: 15)")
    args = parser.parse_args()

    redis, pg = PrivateRedis(), PrivatePostgres()
    stack: Stack | None = None
    try:
        redis.start()
        pg.start()
        os.environ["BENCH_DATABASE_URL"] = pg.url
        env = bench_env()
        env.update(REDIS_URL=redis.url, PENDING_STALE_SECONDS=args.stale, RATE_LIMIT_SCALE="100000")
        stack = start_django()
        from bench.seed import bulk_participants, seed_action

        action = seed_action(duration_minutes=60)
        people = bulk_participants(int(args.rate * (8 * args.heal_limit + 6 * args.calm + 4 * args.outage)) + 50)
        stack.start_workers(1)
        stack.start_beat()
        stack.start_web(1)
        run = Run(args, stack, action.pk, action.slug, people)
        result = {"bench": "chaos", "rate": args.rate, **asyncio.run(run.scenario(redis, pg))}
    finally:
        # Whatever failed: no server of ours outlives the run (one holding our stderr
        # would keep a pipe like `chaos.py | grep` open for ever).
        if stack is not None:
            stack.close()
        redis.stop()
        pg.stop()
    emit(result)
    for fault in result["faults"]:
        print(f"{fault['fault']}: down {fault['down_s']} s, healed in {fault['heal_s']} s")
    print(
        f"sent {result['sent']} {result['statuses']}, accepted {result['accepted']}, stored {result['stored']}, "
        f"decided {result['decided']}, pending {result['still_pending']}, tally {result['tally_checked_in']}, "
        f"dashboards {result['dashboards_show']}: {'PASSED' if result['passed'] else 'FAILED'}"
    )
    sys.exit(0 if result["passed"] and all(f["heal_s"] is not None for f in result["faults"]) else 1)


if __name__ == "__main__":
    main()
