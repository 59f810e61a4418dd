"""At most one broadcast of a kind per thing per window, whatever the rate of changes.

Leading edge: the first change after a quiet spell goes out at once; changes inside the
window ride on the one queued broadcast. The pending flag expires by itself, so a lost
task delays the next broadcast by seconds, never forever.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis
from kombu.exceptions import OperationalError as BrokerError

from . import redis as goodmob_redis

log = logging.getLogger(__name__)


def request(kind: str, ident: int, task: Any, window: float) -> None:
    """Queue `task(ident)` unless one is queued already; no sooner than `window` after the last."""
    try:
        r = goodmob_redis.client()
        if not r.set(goodmob_redis.key(kind, "pending", ident), 1, nx=True, px=5000):
            return
        last = float(r.get(goodmob_redis.key(kind, "last", ident)) or 0)
        task.apply_async((ident,), countdown=max(0.0, last + window - time.time()))
    except (redis.RedisError, BrokerError):
        log.warning("%s broadcast for %s not queued; the sweep will catch up", kind, ident)


def begin(kind: str, ident: int) -> None:
    """Called by the task before it reads: a change landing during the read queues another
    broadcast instead of being lost."""
    r = goodmob_redis.client()
    r.set(goodmob_redis.key(kind, "last", ident), time.time(), ex=60)
    r.delete(goodmob_redis.key(kind, "pending", ident))
