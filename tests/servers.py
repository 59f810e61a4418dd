"""Real processes for tests that cross process boundaries: a worker and a web process
as the Procfile runs them, on the test database, and a private Redis (bench/servers.py)
to stop and start. The shared Redis and PostgreSQL are never stopped."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

from bench.common import free_port
from bench.servers import PrivateRedis

__all__ = ["PrivateRedis", "free_port", "wait_until", "start_web", "start_worker", "subprocess_env", "database_url"]

ROOT = Path(__file__).resolve().parent.parent


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
