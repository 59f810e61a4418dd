"""Real processes for tests that cross process boundaries: a worker and a web process
as the Procfile runs them, on the test database, and a private Redis (bench/servers.py)
to stop and start. The shared Redis and PostgreSQL are never stopped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from django.db import connection

from bench.common import Output, free_port
from bench.servers import PrivateRedis

__all__ = [
    "Output",
    "PrivateRedis",
    "free_port",
    "start_beat",
    "start_web",
    "start_worker",
    "subprocess_env",
    "database_url",
    "fake_geocoder",
]

ROOT = Path(__file__).resolve().parent.parent


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


def start_worker(env: dict[str, str], log: Path) -> Output:
    """A Celery worker exactly as the Procfile runs it (prefork, two children)."""
    args = [sys.executable, "-m", "celery", "-A", "goodmob", "worker", "--loglevel", "INFO", "--concurrency", "2"]
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return Output(proc, log)


def start_beat(env: dict[str, str], log: Path) -> Output:
    """Celery beat as the Procfile runs it, its schedule file in the test's folder."""
    args = [sys.executable, "-m", "celery", "-A", "goodmob", "beat", "--loglevel", "INFO"]
    proc = subprocess.Popen(
        [*args, "--schedule", str(log.with_suffix(".schedule"))],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    return Output(proc, log)


def start_web(env: dict[str, str], port: int, log: Path) -> Output:
    """A web process exactly as the Procfile's `web` line runs it, once it listens."""
    from goodmob.supervise import read_procfile

    command = read_procfile(ROOT / "Procfile")["web"]
    proc = subprocess.Popen(
        ["/bin/sh", "-c", f"exec {command}"],
        cwd=ROOT,
        env={**env, "PORT": str(port), "HOST": "127.0.0.1", "PATH": f"{Path(sys.executable).parent}:{env['PATH']}"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output = Output(proc, log)
    output.wait_for("Uvicorn running on")
    return output


KRAKOW = [{"display_name": "Rynek Główny, Kraków, Polska", "lat": "50.0617", "lon": "19.9373", "place_id": 1}]


class FakeNominatim(BaseHTTPRequestHandler):
    """Answers /search as Nominatim does: the Market Square for anything with "rynek"."""

    asked: list[dict[str, list[str]]] = []

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        query = parse_qs(urlparse(self.path).query)
        FakeNominatim.asked.append({**query, "agent": [self.headers.get("User-Agent", "")]})
        body = json.dumps(KRAKOW if "rynek" in query.get("q", [""])[0].lower() else []).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def fake_geocoder() -> Iterator[str]:
    """A geocoder on a local port (a real HTTP server); yields its search URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeNominatim)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    FakeNominatim.asked.clear()
    try:
        yield f"http://127.0.0.1:{server.server_port}/search"
    finally:
        server.shutdown()
