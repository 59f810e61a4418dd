"""Shared fixtures. Real Redis everywhere; every run gets its own key prefix and Celery
queue, so a `make run` on the same Redis never steals or sees a test's messages."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.test import Client

from actions import services

from . import factories

RUN_ID = uuid.uuid4().hex[:8]


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
def _fresh_rate_limits() -> None:
    """Each test starts with empty rate-limit buckets."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = list(client.scan_iter(f"{settings.REDIS_PREFIX}:rl:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def organizer(db):
    return factories.member("olga")


@pytest.fixture
def action(organizer):
    return factories.action(organizer)


@pytest.fixture
def api() -> Client:
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def bearer(db):
    """A signed-in API caller: (user, headers)."""
    user = factories.member("caller")
    return user, {"Authorization": f"Bearer {services.issue_token(user)}"}


@pytest.fixture
def celery_worker(transactional_db) -> Iterator[object]:
    """A real Celery worker in a thread, consuming this run's queue on the real Redis."""
    from celery.contrib.testing.worker import start_worker

    from goodmob.celery import app

    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=30) as worker:
        yield worker
