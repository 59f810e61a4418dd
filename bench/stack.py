"""Starts and stops a Good Mob stack for the benchmarks: its own database, key prefix,
Celery queue, web processes (uvicorn, as in the Procfile) and Celery workers."""

from __future__ import annotations

import functools
import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import redis

from bench.common import PYTHON, ROOT, free_port, spawn, stop, wait_port

WEB_ARGS = ["--loop", "uvloop", "--http", "goodmob.server:HttpToolsWithLimits", "--ws", "goodmob.server:LeanWebSockets"]
WEB_ARGS += ["--ws-max-size", "8192"]
WEB_ARGS += ["--ws-per-message-deflate", "false", "--no-access-log", "--log-level", "warning", "--backlog", "4096"]


DEFAULT_DB = "postgres://postgres:postgres@127.0.0.1:5432/goodmob_bench"


def ensure_database(url: str) -> None:
    if not url.startswith("postgres"):
        return
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


@contextmanager
def fresh_database() -> Iterator[None]:
    """A PostgreSQL database of its own for one run, dropped afterwards. Runs on one
    database inherit each other's rows and, where autovacuum is off, their dead row
    versions: compare runs each on a fresh one. Call before `start_django`."""
    server = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB).rsplit("/", 1)[0]
    name = f"goodmob_bench_{uuid.uuid4().hex[:8]}"
    os.environ["BENCH_DATABASE_URL"] = f"{server}/{name}"
    try:
        yield
    finally:
        from django.db import connections

        connections.close_all()
        import psycopg

        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@functools.cache
def bench_env() -> dict[str, str]:
    """One environment per benchmark process: Django reads its settings only once."""
    prefix = f"goodmob-bench-{uuid.uuid4().hex[:6]}"
    return {
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "REDIS_SENTINELS": os.environ.get("REDIS_SENTINELS", ""),
        "REDIS_SENTINEL_SERVICE": os.environ.get("REDIS_SENTINEL_SERVICE", "goodmob"),
        "REDIS_PREFIX": prefix,
        "CELERY_QUEUE": prefix,
        "SECRET_KEY": "bench-only-not-secret",
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "RATE_LIMIT_SCALE": "100000",
        # Every simulated phone connects from 127.0.0.1: lift the per-address socket cap.
        "WS_MAX_PER_ADDRESS": "1000000",
        "LOG_LEVEL": "WARNING",
    }


@dataclass
class Stack:
    env: dict[str, str]
    webs: list[subprocess.Popen] = field(default_factory=list)
    workers: list[subprocess.Popen] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)

    def migrate(self) -> None:
        (ROOT / "var").mkdir(exist_ok=True)
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env={**os.environ, **self.env},
            check=True,
        )

    def start_web(self, count: int = 1) -> None:
        for _ in range(count):
            port = free_port()
            self.webs.append(self._spawn_web(port))
            self.ports.append(port)

    def _spawn_web(self, port: int) -> subprocess.Popen:
        proc = spawn([PYTHON, "-m", "uvicorn", "goodmob.asgi:application", "--port", str(port), *WEB_ARGS], self.env)
        wait_port(port, proc=proc)
        return proc

    def kill_web(self, index: int = 0) -> None:
        """SIGKILL, as a crash or an OOM kill would: no graceful close for anyone."""
        self.webs[index].kill()
        self.webs[index].wait()

    def restart_web(self, index: int = 0) -> None:
        self.webs[index] = self._spawn_web(self.ports[index])

    def start_workers(self, count: int = 1, concurrency: int = 2) -> None:
        for n in range(count):
            args = [PYTHON, "-m", "celery", "-A", "goodmob", "worker", "--loglevel", "WARNING", "-n", f"bench{n}@%h"]
            self.workers.append(
                spawn([*args, "--concurrency", str(concurrency), "--without-gossip", "--without-mingle"], self.env)
            )

    def start_beat(self) -> None:
        (ROOT / "var").mkdir(exist_ok=True)
        schedule = str(ROOT / "var" / f"beat-{self.env['REDIS_PREFIX']}")
        self.workers.append(
            spawn([PYTHON, "-m", "celery", "-A", "goodmob", "beat", "--loglevel", "WARNING", "-s", schedule], self.env)
        )

    def close_web(self) -> None:
        stop(self.webs)
        self.webs, self.ports = [], []

    def close(self, clean_redis: bool = True) -> None:
        stop(self.webs + self.workers)
        self.webs, self.workers, self.ports = [], [], []
        if not clean_redis:
            return
        client = redis.Redis.from_url(self.env["REDIS_URL"])
        keys = list(client.scan_iter(f"{self.env['REDIS_PREFIX']}*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])


def on_fresh_django(measure: Callable[[], dict[str, object]]) -> dict[str, object]:
    """`measure()` in this process, Django set up on a database of its own (dropped after)."""
    with fresh_database():
        stack = start_django()
        try:
            return measure()
        finally:
            stack.close()


def start_django() -> Stack:
    """Point this process at the bench database and Redis prefix, migrate, set up Django."""
    env = bench_env()
    ensure_database(env["DATABASE_URL"])
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "goodmob.settings")
    stack = Stack(env)
    stack.migrate()
    import django

    django.setup()
    return stack
