"""One Redis client per process for coalescing and rate limits (never for truth)."""

from __future__ import annotations

from functools import cache

import redis
from django.conf import settings


@cache
def client() -> redis.Redis:
    # A short socket timeout: these calls are best-effort, and a hung Redis must not
    # hold a request that has already been committed to the database.
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def key(*parts: object) -> str:
    return ":".join([settings.REDIS_PREFIX, *map(str, parts)])
