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
        self.flush: asyncio.Handle | None = None
        self.lingering = False  # the flush is a timer, due early if `fill` items come
        self.last_start = float("-inf")
        self.tasks: set[asyncio.Task] = set()


class GroupCommit(Generic[T, R]):
    """Many callers, one batch: `submit` waits for `run_batch` over everyone who came meanwhile.

    A batch starts once fewer than `in_flight` are running and either `fill` items wait
    or `linger` seconds have passed since the last batch started. So a lone request
    after a quiet spell goes at once, and under a crowd each batch gathers whoever came
    while the last one ran or lingered: a batch's fixed costs (its queries, commit,
    events) are paid per crowd rather than per request. `run_batch` runs on the hot
    pool and returns one result per item, an exception for an item that failed alone.
    """

    def __init__(
        self,
        run_batch: Callable[[list[T]], Sequence[R | BaseException]],
        *,
        in_flight: int,
        size: int,
        fill: int = 1,
        linger: float = 0.0,
    ) -> None:
        self.run_batch = hot(run_batch)
        self.in_flight = in_flight
        self.size = size
        self.fill = min(fill, size)
        self.linger = linger
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
        if not state.waiting or state.running >= self.in_flight:
            return
        hold = state.last_start + self.linger - loop.time()
        due = hold <= 0 or len(state.waiting) >= self.fill
        if state.flush is not None:
            if not (due and state.lingering):
                return
            state.flush.cancel()
        if due:  # call_soon, not now: requests already parsed in this turn of the loop join in.
            state.flush = loop.call_soon(self._flush, loop, state)
        else:
            state.flush = loop.call_later(hold, self._flush, loop, state)
        state.lingering = not due

    def _flush(self, loop: asyncio.AbstractEventLoop, state: _LoopState) -> None:
        state.flush = None
        if not state.waiting or state.running >= self.in_flight:
            return
        batch, state.waiting = state.waiting[: self.size], state.waiting[self.size :]
        state.running += 1
        state.last_start = loop.time()
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
