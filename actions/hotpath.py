"""A small shared thread pool for the hot API endpoints (check-ins, pledges, deeds).

Sync code under ASGI normally runs in a thread per request, each holding a pooled
database connection until its request ends. Under a crowd that is hundreds of threads
on the GIL, each sitting on a connection while it waits for its turn, and the pool
starves. Here a fixed set of threads does the database work, and each call hands its
connection straight back to the pool.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

P = ParamSpec("P")
R = TypeVar("R")

_pool = ThreadPoolExecutor(max_workers=settings.HOT_PATH_THREADS, thread_name_prefix="hot")


def hot(fn: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        close_old_connections()
        try:
            return fn(*args, **kwargs)
        finally:
            # CONN_MAX_AGE is 0 with the pool: this returns the connection to the pool.
            close_old_connections()

    return sync_to_async(run, thread_sensitive=False, executor=_pool)
