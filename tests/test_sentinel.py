"""Redis Sentinel: a web process and a worker that reach Redis through three sentinels
keep counting check-ins on a live dashboard after the primary is killed, and the rate
limits of this process follow the failover too. Real servers (the bundled redis-server
as primary, replica and sentinels): nothing is mocked."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from websockets.sync.client import ClientConnection, connect

from accounts import services as accounts
from bench.servers import SentinelRedis
from common import ratelimit
from common import redis as goodmob_redis

from . import factories
from .servers import free_port, start_beat, start_web, start_worker, subprocess_env

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cluster() -> Iterator[SentinelRedis]:
    found = SentinelRedis(down_after_ms=500)
    found.start()
    yield found
    found.stop()


def check_in(address: str, slug: str, token: str, key: str) -> int:
    body = json.dumps({"lat": 50.0, "lon": 19.0, "accuracy_m": 5, "idempotency_key": key}).encode()
    request = urllib.request.Request(
        f"http://{address}/api/v1/actions/{slug}/checkins", data=body, method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status


def until_count(ws: ClientConnection, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if frame["type"] == "snapshot" and frame["counts"]["checked_in"] == count:
            return


def test_the_site_follows_a_redis_failover(cluster: SentinelRedis, tmp_path: Path, settings) -> None:
    env = subprocess_env(
        REDIS_SENTINELS=cluster.sentinels,
        REDIS_SENTINEL_SERVICE=cluster.SERVICE,
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",  # nothing there: only the sentinels lead to Redis
    )
    action = factories.action(factories.member("olga"), lat=50.0, lon=19.0, radius_m=100)
    factories.move_clock(action, starts_in=-timedelta(minutes=1))
    tokens = [accounts.issue_token(factories.guest(f"P{n}")) for n in range(2)]
    port = free_port()
    address = f"127.0.0.1:{port}"
    web = start_web(env, port, tmp_path / "web.log")
    worker = start_worker(env, tmp_path / "worker.log")
    # The sweeps heal what the failover dropped (a broadcast task held by the worker
    # when the primary died), as in production.
    beat = start_beat(env, tmp_path / "beat.log")
    try:
        with connect(f"ws://{address}/ws/actions/{action.slug}/", origin=f"http://{address}", open_timeout=10) as ws:
            assert check_in(address, action.slug, tokens[0], "sentinel-0001") == 202
            until_count(ws, 1)
            before = cluster.primary()
            assert before is not None
            cluster.kill_primary()
            cluster.wait_for_failover()
            assert cluster.primary() not in (before, None)
            # Accepted while the site finds the new primary; verified and shown after.
            assert check_in(address, action.slug, tokens[1], "sentinel-0002") == 202
            until_count(ws, 2)
        assert worker.proc.poll() is None and web.proc.poll() is None
    finally:
        for proc in (web.proc, worker.proc, beat.proc):
            proc.terminate()
        for proc in (web.proc, worker.proc, beat.proc):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_rate_limits_reach_redis_through_the_sentinels(cluster: SentinelRedis, settings) -> None:
    settings.REDIS_SENTINELS = [("127.0.0.1", port) for port in cluster.sentinel_ports]
    settings.REDIS_SENTINEL_SERVICE = cluster.SERVICE
    goodmob_redis.client.cache_clear()
    try:
        ratelimit.check("pledge", "sentinel-person")
        primary = cluster.primary()
        assert primary is not None
        keys = redis.Redis(port=primary[1]).keys(f"{settings.REDIS_PREFIX}:rl:*")
        assert keys, "the rate limit's counter is on the primary the sentinels named"
    finally:
        goodmob_redis.client.cache_clear()
