"""Websocket admission: our own origins only, and a cap on open sockets per client
address, per web process.

Channels' AllowedHostsOriginValidator compares only the Origin's host name, so a page
on another port or over another scheme of the same host was let in. `OwnOrigins` takes
the exact origin of the site the socket was opened to (scheme, host and port), or one
listed in CSRF_TRUSTED_ORIGINS, and nothing else.

One client opened 1,000 sockets in 0.8 s, and at 20,200 the process ran out of file
descriptors and ordinary requests got empty replies. Past the cap a socket is accepted
only to be told why (an `error` frame, `too_many_sockets`) and closed with 4429, so a
client knows not to retry at once. Crowds behind one carrier address share the cap:
WS_MAX_PER_ADDRESS sets it.

After a crowd leaves its memory stayed with the process (742 MB were still held after
20,000 sockets closed), and grew with every crowd. Once the number of open sockets has
fallen below half of its last peak, a second after the last close, one full collection
runs (about 200 ms once, at 10,000 sockets) and the heap is trimmed off the event loop.
The garbage it finds is small (a few hundred objects, mostly HTTP protocol objects in
cycles); what returns the memory is likely that a full collection also empties
CPython's free lists, so that pymalloc can give whole arenas back
(bench/socket_memory.py measures it).
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import functools
import gc
import logging
import time
from collections import Counter
from typing import Any

from channels.security.websocket import WebsocketDenier
from django.conf import settings

from actions import protocol
from common import hosts

CLOSE_TOO_MANY = 4429
TRIM_AFTER_PEAK = 1000
log = logging.getLogger(__name__)

_libc_name = ctypes.util.find_library("c")
_malloc_trim = getattr(ctypes.CDLL(_libc_name), "malloc_trim", None) if _libc_name else None

TOO_MANY = protocol.error(
    "too_many_sockets", "Too many open connections from your address; close some and try again later."
)


class OwnOrigins:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        # Returns the inner coroutine instead of awaiting it: no frame of ours held for
        # the socket's whole life.
        if not own_origin(dict(scope.get("headers", [])), scope.get("scheme", "ws")):
            return WebsocketDenier()(scope, receive, send)  # closed before accept: HTTP 403
        return self.inner(scope, receive, send)


def own_origin(headers: dict[bytes, bytes], scheme: str) -> bool:
    secure = scheme == "wss" or headers.get(b"x-forwarded-proto") == b"https"
    return _own_origin(
        headers.get(b"origin", b""),
        headers.get(b"host", b""),
        secure,
        tuple(settings.ALLOWED_HOSTS),
        tuple(settings.CSRF_TRUSTED_ORIGINS),
    )


# A connect storm is thousands of sockets with the same origin and host.
@functools.lru_cache(maxsize=1024)
def _own_origin(
    raw_origin: bytes, raw_host: bytes, secure: bool, allowed: tuple[str, ...], trusted: tuple[str, ...]
) -> bool:
    if not raw_origin or not hosts.served(raw_host, allowed):
        return False
    origin = raw_origin.decode("latin-1")
    return origin == f"{'https' if secure else 'http'}://{raw_host.decode('latin-1')}" or origin in trusted


class SocketCap:
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.open: Counter[str] = Counter()
        self.total = 0
        self.peak = 0
        self._trim: asyncio.TimerHandle | None = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        address = (scope.get("client") or ("unknown",))[0]
        if self.open[address] >= settings.GOODMOB["WS_MAX_PER_ADDRESS"]:
            await self._refuse(receive, send)
            return None
        self.open[address] += 1
        self.total += 1
        self.peak = max(self.peak, self.total)
        try:
            return await self.inner(scope, receive, send)
        finally:
            self.open[address] -= 1
            if not self.open[address]:
                del self.open[address]
            self.total -= 1
            self._maybe_trim()

    @staticmethod
    async def _refuse(receive: Any, send: Any) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": protocol.encode(TOO_MANY)})
        await send({"type": "websocket.close", "code": CLOSE_TOO_MANY})

    def _maybe_trim(self) -> None:
        if _malloc_trim is None or not settings.GOODMOB["WS_HEAP_TRIM"]:
            return
        if self.peak < TRIM_AFTER_PEAK or self.total * 2 > self.peak:
            return
        # A crowd is leaving: trim once, a second after its closes have stopped coming.
        if self._trim is not None:
            self._trim.cancel()
        self._trim = asyncio.get_running_loop().call_later(1.0, self._trim_now)

    def _trim_now(self) -> None:
        self._trim, self.peak = None, self.total
        # Full collections are rare under the raised gc thresholds (goodmob/asgi.py);
        # without one here each crowd's memory stayed (10,000 sockets: +35 MB a crowd).
        started = time.perf_counter()
        found = gc.collect()
        log.info("a crowd left: %d objects collected in %.0f ms", found, 1000 * (time.perf_counter() - started))
        if _malloc_trim is not None:
            asyncio.get_running_loop().run_in_executor(None, _malloc_trim, 0)
