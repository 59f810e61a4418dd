"""Threads for the hot doors: a small shared pool for their database work, group commit
for check-ins, and after-commit work off the answer's path.

Sync code under ASGI normally runs in a thread per request, each holding a pooled
database connection until its request ends. Under a crowd that is hundreds of threads
on the GIL, each sitting on a connection while it waits for its turn, and the pool
starves. Here a fixed set of threads does the database work, and each call hands its
connection straight back to the pool.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import weakref
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

P = ParamSpec("P")
R = TypeVar("R")

_pool = ThreadPoolExecutor(max_workers=settings.HOT_PATH_THREADS, thread_name_prefix="hot")
_after_commit = ThreadPoolExecutor(max_workers=2, thread_name_prefix="after-commit")
log = logging.getLogger(__name__)


def _own_connection(fn: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        close_old_connections()
        try:
            return fn(*args, **kwargs)
        finally:
            # CONN_MAX_AGE is 0 with the pool: this returns the connection to the pool.
            close_old_connections()

    return run


def hot(fn: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    return sync_to_async(_own_connection(fn), thread_sensitive=False, executor=_pool)


def run_in_background(fn: Callable[[], None]) -> None:
    """Run `fn` on a background thread of this process, so an answer does not wait on
    queueing tasks and setting flags. If the process dies first, the periodic sweeps
    re-queue what stayed pending and republish the counts."""

    @_own_connection
    def run() -> None:
        try:
            fn()
        except Exception:
            log.exception("background work failed")

    _after_commit.submit(run)


T = TypeVar("T")


class _LoopState:
    def __init__(self) -> None:
        self.waiting: list[tuple[Any, asyncio.Future]] = []
        self.running = 0
        self.flush_scheduled = False
        self.tasks: set[asyncio.Task] = set()


class GroupCommit(Generic[T, R]):
    """Many callers, one batch: `submit` waits for `run_batch` over everyone who came meanwhile.

    A batch starts as soon as fewer than `in_flight` are running, so a lone request goes
    at once; under a crowd, requests gather while the running batches wait on the
    database, and each commit carries hundreds of them. `run_batch` runs on the hot pool
    and returns one result per item, an exception for an item that failed alone.
    """

    def __init__(
        self, run_batch: Callable[[list[T]], Sequence[R | BaseException]], *, in_flight: int, size: int
    ) -> None:
        self.run_batch = hot(run_batch)
        self.in_flight = in_flight
        self.size = size
        # Futures belong to one event loop; tests and servers may run several.
        self._states: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = weakref.WeakKeyDictionary()

    async def submit(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        state = self._states.get(loop) or self._states.setdefault(loop, _LoopState())
        future = loop.create_future()
        state.waiting.append((item, future))
        self._schedule(loop, state)
        return await future

    def _schedule(self, loop: asyncio.AbstractEventLoop, state: _LoopState) -> None:
        # call_soon, not now: requests already parsed in this turn of the loop join in.
        if state.waiting and state.running < self.in_flight and not state.flush_scheduled:
            state.flush_scheduled = True
            loop.call_soon(self._flush, loop, state)

    def _flush(self, loop: asyncio.AbstractEventLoop, state: _LoopState) -> None:
        state.flush_scheduled = False
        if not state.waiting or state.running >= self.in_flight:
            return
        batch, state.waiting = state.waiting[: self.size], state.waiting[self.size :]
        state.running += 1
        task = loop.create_task(self._run(loop, state, batch))
        state.tasks.add(task)
        task.add_done_callback(state.tasks.discard)
        self._schedule(loop, state)

    async def _run(self, loop: asyncio.AbstractEventLoop, state: _LoopState, batch: list) -> None:
        try:
            results: Sequence[Any] = await self.run_batch([item for item, _ in batch])
        except Exception as exc:  # the whole batch failed (the database is down, say)
            results = [exc] * len(batch)
        finally:
            state.running -= 1
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():
                continue  # the caller went away; its item was handled all the same
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)
        self._schedule(loop, state)
