"""Revoking access everywhere at once.

Web processes cache who a bearer token belongs to (accounts/auth.py), so the hot doors
need not query for it on every request. A suspension, a deleted account or a revoked
token bumps a counter in Redis after commit; a process checks the counter at most once a
second and drops its whole cache when it moved, so a revoked token stops working within
about a second everywhere. If Redis cannot be reached the cache's own lifetime (30 s)
still bounds it."""

from __future__ import annotations

import logging

import redis
from django.db import transaction

from common import redis as goodmob_redis

log = logging.getLogger(__name__)


def _key() -> str:
    return goodmob_redis.key("auth", "revocations")


def _bump() -> None:
    try:
        goodmob_redis.client().incr(_key())
    except redis.RedisError:
        log.warning("revocation not announced: Redis unavailable; cached tokens lapse within 30 s")


def announce() -> None:
    """Call inside the write that revokes: the bump happens once it commits."""
    transaction.on_commit(_bump, robust=True)


def generation() -> int | None:
    try:
        return int(goodmob_redis.client().get(_key()) or 0)
    except redis.RedisError:
        return None
