"""At most one broadcast of a kind per thing per window, whatever the rate of changes.

Leading edge: the first change after a quiet spell goes out at once; changes inside the
window ride on the one queued broadcast. The pending flag expires by itself, so a lost
task delays the next broadcast by seconds, never forever.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import redis
from kombu.exceptions import OperationalError as BrokerError

from . import redis as goodmob_redis

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ask:
    """Queue `task(ident)` at most once per `window` seconds for this kind of broadcast."""

    kind: str
    ident: int
    task: Any
    window: float


def request(kind: str, ident: int, task: Any, window: float) -> None:
    """Queue `task(ident)` unless one is queued already; no sooner than `window` after the last."""
    request_all(Ask(kind, ident, task, window))


def request_all(*asks: Ask) -> None:
    """Several broadcasts that one change asks for (a deed: a snapshot and the cascade), in
    one Redis round trip instead of one or two each."""
    try:
        pipe = goodmob_redis.client().pipeline(transaction=False)
        for ask in asks:
            pipe.set(goodmob_redis.key(ask.kind, "pending", ask.ident), 1, nx=True, px=5000)
            pipe.get(goodmob_redis.key(ask.kind, "last", ask.ident))
        replies = pipe.execute()
        for ask, queued, last in zip(asks, replies[::2], replies[1::2], strict=True):
            if queued:
                ask.task.apply_async((ask.ident,), countdown=max(0.0, float(last or 0) + ask.window - time.time()))
    except (redis.RedisError, BrokerError):
        log.warning("broadcasts %s not queued; the sweep will catch up", [(a.kind, a.ident) for a in asks])


def begin(kind: str, ident: int) -> None:
    """Called by the task before it reads: a change landing during the read queues another
    broadcast instead of being lost."""
    r = goodmob_redis.client()
    r.set(goodmob_redis.key(kind, "last", ident), time.time(), ex=60)
    r.delete(goodmob_redis.key(kind, "pending", ident))
