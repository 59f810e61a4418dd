"""One Redis client per process for coalescing and rate limits (never for truth), and
the way every part of the site reaches Redis: one server at REDIS_URL, or, with
REDIS_SENTINELS set, whichever server the sentinels name as the primary of
REDIS_SENTINEL_SERVICE (asked again after each lost connection, so a failover is
followed without a restart)."""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import urlparse

import redis
import redis.asyncio as aioredis
from django.conf import settings
from redis.asyncio.sentinel import Sentinel as AsyncSentinel
from redis.sentinel import Sentinel


def parse_sentinels(text: str) -> list[tuple[str, int]]:
    """ "host:port,host:port" (IPv6 in brackets) -> [(host, port)]."""
    found = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        address = urlparse(f"//{item}")
        if not address.hostname:
            raise ValueError(f"not a host:port: {item!r}")
        found.append((address.hostname, address.port or 26379))
    return found


def _db() -> int:
    path = urlparse(settings.REDIS_URL).path.strip("/")
    return int(path) if path.isdigit() else 0


def _sentinel_options() -> dict[str, Any]:
    # The sentinels' own links: short, so a dead sentinel is passed over quickly.
    return {"socket_timeout": 1, "socket_connect_timeout": 1}


def sync_client(**options: Any) -> redis.Redis:
    if settings.REDIS_SENTINELS:
        sentinel = Sentinel(settings.REDIS_SENTINELS, sentinel_kwargs=_sentinel_options(), **_sentinel_options())
        return sentinel.master_for(settings.REDIS_SENTINEL_SERVICE, db=_db(), **options)
    return redis.Redis.from_url(settings.REDIS_URL, **options)


def async_client(**options: Any) -> aioredis.Redis:
    if settings.REDIS_SENTINELS:
        sentinel = AsyncSentinel(settings.REDIS_SENTINELS, sentinel_kwargs=_sentinel_options(), **_sentinel_options())
        return sentinel.master_for(settings.REDIS_SENTINEL_SERVICE, db=_db(), **options)
    return aioredis.Redis.from_url(settings.REDIS_URL, **options)


@cache
def client() -> redis.Redis:
    # A short socket timeout: these calls are best-effort, and a hung Redis must not
    # hold a request that has already been committed to the database.
    return sync_client(socket_timeout=2, socket_connect_timeout=2)


def run_script(source: str, keys: list[str] | None = None, args: list[Any] | None = None) -> Any:
    """A Lua script as one command, where one command per item would cost the caller's CPU
    more than Redis's (redis-py packs each command and parses each reply in Python).
    EVALSHA with the current client each time (tests and failovers replace it); a server
    without the script (a new primary, a SCRIPT FLUSH) gets it loaded again by redis-py."""
    return _script(source)(keys=keys or [], args=args or [], client=client())


@cache
def _script(source: str) -> Any:
    return client().register_script(source)


def key(*parts: object) -> str:
    return ":".join([settings.REDIS_PREFIX, *map(str, parts)])
