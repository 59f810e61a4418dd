"""At most one broadcast of a kind per thing per window, whatever the rate of changes.

Leading edge: the first change after a quiet spell goes out at once; changes inside the
window ride on the one queued broadcast. The pending flag expires by itself, so a lost
task delays the next broadcast by seconds, never forever.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
    # What changed, for a task that redraws only that (`take_notes`): noted in the same
    # round trip as the ask.
    notes: tuple[str, ...] = ()


def request(kind: str, ident: int, task: Any, window: float) -> None:
    """Queue `task(ident)` unless one is queued already; no sooner than `window` after the last."""
    request_all(Ask(kind, ident, task, window))


def request_all(*asks: Ask) -> None:
    """Several broadcasts that one change asks for (a deed: a snapshot and the cascade), in
    one Redis round trip instead of one or two each."""
    try:
        pipe = goodmob_redis.client().pipeline(transaction=False)
        noted = [ask for ask in asks if ask.notes]
        for ask in noted:
            pipe.sadd(_notes_key(ask.kind, ask.ident), *ask.notes)
            pipe.expire(_notes_key(ask.kind, ask.ident), NOTES_SECONDS)
        for ask in asks:
            pipe.set(goodmob_redis.key(ask.kind, "pending", ask.ident), 1, nx=True, px=5000)
            pipe.get(goodmob_redis.key(ask.kind, "last", ask.ident))
        replies = pipe.execute()[2 * len(noted) :]
        for ask, queued, last in zip(asks, replies[::2], replies[1::2], strict=True):
            if queued:
                countdown = max(0.0, float(last or 0) + ask.window - time.time())
                if countdown > 4:  # resting after a long broadcast: the flag outlives the wait
                    goodmob_redis.client().pexpire(
                        goodmob_redis.key(ask.kind, "pending", ask.ident), int(countdown * 1000) + 5000
                    )
                ask.task.apply_async((ask.ident,), countdown=countdown)
    except (redis.RedisError, BrokerError):
        log.warning("broadcasts %s not queued; the sweep will catch up", [(a.kind, a.ident) for a in asks])


# Notes outlive any wait for the broadcast that reads them; left over (Redis lost the
# ask), they only make the next read larger.
NOTES_SECONDS = 3600


def _notes_key(kind: str, ident: int) -> str:
    return goodmob_redis.key(kind, "notes", ident)


def take_notes(kind: str, ident: int) -> set[str] | None:
    """Every note left since the last take, removed as they are read; None when Redis
    cannot say (the caller then reads everything)."""
    try:
        pipe = goodmob_redis.client().pipeline()  # one transaction: a note added between is kept
        pipe.smembers(_notes_key(kind, ident))
        pipe.delete(_notes_key(kind, ident))
        members, _ = pipe.execute()
    except redis.RedisError:
        return None
    return {member.decode() if isinstance(member, bytes) else member for member in members}


# A broadcast whose work took T seconds waits REST × T more before the next one. A
# redraw of a crowd's whole picture grows with the crowd (the cascade of 28,000 people
# took 0.9 s to read and encode): back to back, one action would keep a core busy for
# ever. Resting bounds every such broadcast to 1 / (1 + REST) of a core.
REST = 4.0


def begin(kind: str, ident: int) -> float:
    """Called by the task before it reads: a change landing during the read queues another
    broadcast instead of being lost. Returns when it began, for `rest`."""
    r = goodmob_redis.client()
    started = time.time()
    r.set(goodmob_redis.key(kind, "last", ident), started, ex=60)
    r.delete(goodmob_redis.key(kind, "pending", ident))
    return started


def rest(kind: str, ident: int, started: float) -> None:
    """Called once the broadcast is out: the next one comes no sooner than REST times
    the time this one took (nothing is set for work that took a few milliseconds)."""
    now = time.time()
    pause = (now - started) * REST
    if pause < 0.05:
        return
    try:
        # `last` is when the window starts counting: the end of this one, plus the rest.
        goodmob_redis.client().set(goodmob_redis.key(kind, "last", ident), now + pause, ex=60 + int(pause))
    except redis.RedisError:
        log.warning("%s %s: rest not recorded", kind, ident)


@contextmanager
def resting(kind: str, ident: int) -> Iterator[None]:
    """A broadcast's reading and sending: `begin` before, `rest` after, however it ends."""
    started = begin(kind, ident)
    try:
        yield
    finally:
        rest(kind, ident, started)
