"""Shared fixtures. Real Redis everywhere; every run gets its own key prefix and Celery
queue, so a `make run` on the same Redis never steals or sees a test's messages."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from celery.signals import task_postrun
from channels.testing.http import HttpCommunicator
from channels.testing.websocket import WebsocketCommunicator
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.test import Client, TestCase
from django.utils import translation

from accounts import services as accounts
from actions import events
from goodmob.asgi import application

from . import factories
from .pushing import PushService, b64

RUN_ID = uuid.uuid4().hex[:8]


# Drivers shared by the test modules: HTTP through Django's client or the ASGI stack,
# and websockets through the channels communicator.


def post(client, path, body=None, headers=None, raw=None):
    data = raw if raw is not None else json.dumps(body or {})
    return client.post(path, data=data, content_type="application/json", headers=headers or {})


def assert_problem(response, status, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error", "detail"}
    assert body["detail"]
    if code:
        assert body["error"] == code


async def call(
    path: str,
    token: str | None,
    body: bytes | dict | list | None = None,
    host: bytes = b"127.0.0.1:8000",
    extra: list[tuple[bytes, bytes]] | None = None,
):
    raw = body if isinstance(body, bytes) else json.dumps(body if body is not None else {}).encode()
    headers = [(b"host", host), (b"content-type", b"application/json"), *(extra or [])]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    response = await HttpCommunicator(application, "POST", path, body=raw, headers=headers).get_response(timeout=10)
    return response["status"], json.loads(response["body"] or b"null"), dict(response["headers"])


ORIGIN = (b"origin", b"http://127.0.0.1:8000")


def socket(path: str, *headers: tuple[bytes, bytes]) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, path, headers=[ORIGIN, (b"host", b"127.0.0.1:8000"), *headers])


async def connected(path: str, *headers: tuple[bytes, bytes]) -> WebsocketCommunicator:
    ws = socket(path, *headers)
    ok, _ = await ws.connect(timeout=5)
    assert ok
    return ws


async def next_of_type(ws: WebsocketCommunicator, kind: str, timeout: float = 5) -> dict:
    while True:
        message = await ws.receive_json_from(timeout=timeout)
        if message["type"] == kind:
            return message


def pytest_configure(config: pytest.Config) -> None:
    Path(settings.BASE_DIR, "var").mkdir(exist_ok=True)
    prefix = f"goodmob-test-{RUN_ID}"
    settings.REDIS_PREFIX = prefix
    # Fast hashing: the suite makes hundreds of users; production keeps PBKDF2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"{prefix}:ws:"
    settings.CACHES["default"]["KEY_PREFIX"] = prefix
    # Worker, server and sync_to_async threads each open a connection; closing them
    # after each unit of work lets the test database be dropped at the end.
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
    from goodmob.celery import app

    app.conf.task_default_queue = prefix
    app.conf.broker_transport_options = {**app.conf.broker_transport_options, "global_keyprefix": f"{prefix}:"}


def pytest_unconfigure(config: pytest.Config) -> None:
    try:
        client = redis.Redis.from_url(settings.REDIS_URL)
        keys = list(client.scan_iter(f"goodmob-test-{RUN_ID}*", count=1000))
        if keys:
            client.delete(*keys)
    except redis.RedisError:
        pass


@pytest.fixture(scope="session", autouse=True)
def _release_stray_connections(django_db_setup, django_db_blocker) -> Iterator[None]:
    """Runs before the test database is dropped: worker and executor threads that are
    still parked may hold a PostgreSQL session, which would block DROP DATABASE."""
    yield
    from django.db import connection

    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the site's language: a request in another (LocaleMiddleware)
    leaves it active on the test's thread, and the next test's words came out in Polish."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_redis_state() -> None:
    """Each test starts with empty rate-limit buckets and no cascade kept: Redis keys
    outlive a test, and SQLite hands the next test the same action ids, so a graph kept
    for an earlier test's action would pass as this one's last frame."""
    from realtime import cascades

    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = [
        key for kind in ("rl", "cascade") for key in client.scan_iter(f"{settings.REDIS_PREFIX}:{kind}:*", count=1000)
    ]
    if keys:
        client.delete(*keys)
    cascades._kept.clear()


@pytest.fixture
def organizer(db):
    return factories.member("olga")


@pytest.fixture
def action(organizer):
    return factories.action(organizer)


@contextmanager
def capture_events() -> Iterator[list[events.Event]]:
    """The domain events the code inside emits, in order, as listeners see them: after
    the transaction commits (the test's own transaction's callbacks run at the end)."""
    seen: list[events.Event] = []
    events.listen(events.Event)(seen.append)
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            yield seen
    finally:
        events.unlisten(events.Event, seen.append)


@pytest.fixture
def api() -> Client:
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def bearer(db):
    """A signed-in API caller: (user, headers)."""
    user = factories.member("caller")
    return user, {"Authorization": f"Bearer {accounts.issue_token(user)}"}


@pytest.fixture
def celery_worker(transactional_db) -> Iterator[object]:
    """A real Celery worker in a thread, consuming this run's queue on the real Redis."""
    from celery.contrib.testing.worker import start_worker

    from goodmob.celery import app

    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=30) as worker:
        yield worker


@pytest.fixture
def vapid(settings) -> str:
    """A VAPID key for this test (Web Push is off without one)."""
    secret = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value.to_bytes(32, "big")
    settings.VAPID_PRIVATE_KEY = b64(secret)
    return settings.VAPID_PRIVATE_KEY


@pytest.fixture
def push_service() -> Iterator[PushService]:
    made = PushService()
    yield made
    made.server.shutdown()


# Each Celery task the in-process worker finishes wakes the waiters: what a test waits for
# (a row, a sent alert, a delivery's status) is looked at again then, not on a timer.
_task_finished = threading.Condition()


@task_postrun.connect
def _wake_waiters(**kwargs: object) -> None:
    with _task_finished:
        _task_finished.notify_all()


def wait_for(check: Callable[[], Any], timeout: float = 20) -> Any:
    """`check()` once it is truthy, looked at after each task the worker finishes;
    its last answer when `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    with _task_finished:
        while not (found := check()):
            left = deadline - time.monotonic()
            if left <= 0:
                return found
            _task_finished.wait(left)
    return found
