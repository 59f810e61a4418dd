"""What uvicorn needs beyond its flags: a header size limit for httptools, a leaner
websocket protocol (`LeanWebSockets`), and enough file descriptors for the sockets a
web process is meant to hold.

uvicorn limits an incomplete request head only for h11; with httptools (the faster
parser, which the Procfile uses) an 8 MB header was read and answered 200, and ten
unfinished 20 MB heads took 237 MB. `HttpToolsWithLimits` counts the bytes of each
request head (request line and headers) as they arrive and answers 431 past the limit.
Imported by uvicorn before Django: no Django imports here.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import resource
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

MAX_HEAD_BYTES = int(os.environ.get("HTTP_MAX_HEADER_BYTES", str(32 * 1024)))
# A web process that holds this many sockets needs one descriptor for each.
FD_WANTED = int(os.environ.get("WEB_FD_WANTED", "20000"))

log = logging.getLogger("goodmob.server")

_BODY = b'{"error": "headers_too_large", "detail": "The request line and headers are too big."}'
TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: application/json\r\nconnection: close\r\n"
    b"content-length: " + str(len(_BODY)).encode() + b"\r\n\r\n" + _BODY
)


class HttpToolsWithLimits(HttpToolsProtocol):
    """`uvicorn --http goodmob.server:HttpToolsWithLimits`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True
        self._head_bytes = 0

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._in_head and not self.transport.is_closing():
            # Still inside a request head after this chunk: all of it belonged to the head.
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self.transport.write(TOO_LARGE)
                self.transport.close()

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes = True, 0  # a kept-alive connection's next request


class Inbox:
    """What uvicorn's socket uses of asyncio.Queue (put_nowait, get, empty), for its one
    reader: a list and a future where the Queue holds three deques and an Event (about
    2.5 KB a socket, bench/socket_profile.py)."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def get(self) -> Any:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.pop(0)

    def empty(self) -> bool:
        return not self._items


class Flag:
    """asyncio.Event's is_set, set, clear and wait, with no deque until someone waits
    (uvicorn's `writable`, read by the hub to skip stalled sockets)."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = False
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> None:
        if self._set:
            return
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        await waiter


class LeanWebSockets(WebSocketsSansIOProtocol):
    """`uvicorn --ws goodmob.server:LeanWebSockets`: uvicorn's websockets-sansio protocol,
    less what an open socket no longer needs. The handshake's request and response, with
    their parsed headers, live as long as the socket (uvicorn keeps both, and websockets'
    parser keeps the request in its generator's frame), though nothing reads them once
    the response is sent: about 3 KB a socket (bench/socket_profile.py). Their headers
    are emptied and uvicorn's references dropped. So is the scope's header list (another
    1 KB, shared by every copy of the scope): our consumers read headers only up to the
    accept (origin, cookies, token), never after."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Inbox()  # type: ignore[assignment]
        self.writable = Flag()  # type: ignore[assignment]
        self.writable.set()

    async def send(self, message: Any) -> None:
        await super().send(message)
        if self.handshake_complete and self.request is not None:
            self.request.headers.clear()
            self.response.headers.clear()
            self.request = self.response = None  # type: ignore[assignment]
            self.scope["headers"].clear()  # type: ignore[attr-defined]


def ensure_fd_headroom(wanted: int = FD_WANTED) -> int:
    """Raise the soft descriptor limit to the hard one; warn when it stays below `wanted`.
    Past the limit accept() fails and ordinary requests get empty replies."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = wanted if hard == resource.RLIM_INFINITY else hard
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, target), hard))
            soft = max(soft, target)
        except (ValueError, OSError):
            pass
    if soft < wanted:
        log.warning(
            "only %d file descriptors for this web process (each socket takes one; %d wanted): "
            "raise `ulimit -n` or its service's LimitNOFILE",
            soft,
            wanted,
        )
    return soft


# A token someone put in a socket's URL (it is refused: tokens go in a header) must not
# land in the logs, where uvicorn writes every socket's path with its query string.
SECRET_PARAMETER = re.compile(r"(?i)([?&;][^=&\s\"]*(?:token|key|secret|password|auth|session)[^=&\s\"]*=)[^&\s\"]*")


def redact(text: str) -> str:
    return SECRET_PARAMETER.sub(r"\1[redacted]", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


for _name in ("uvicorn.error", "uvicorn.access"):
    logging.getLogger(_name).addFilter(RedactSecrets())
