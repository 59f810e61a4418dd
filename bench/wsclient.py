"""A lean websocket receiver process for the fan-out benchmark.

Raw asyncio protocols with a minimal RFC 6455 client (handshake, unmasked server
frames, masked pongs): far cheaper per socket than a full client library, so the load
generator is not the bottleneck. Each broadcast carries `"bench_seq":N`; the process
prints `done SEQ COUNT LAST` once all its sockets have it (LAST is the monotonic time
the last of them did), and `final {...}` with every count on `report` or at the end.

    python bench/wsclient.py --count 5000 --url ws://127.0.0.1:8000/ws/actions/x/
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import sys
import time
from urllib.parse import urlparse

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench.common import raise_fd_limit  # noqa: E402

MARK = b'"bench_seq":'


class Stats:
    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.counts: dict[int, int] = {}
        self.last: dict[int, float] = {}
        self.connected = 0
        self.closed = 0

    def got(self, seq: int, now: float) -> None:
        count = self.counts.get(seq, 0) + 1
        self.counts[seq] = count
        self.last[seq] = now
        if count == self.connected:
            sys.stdout.write(f"done {seq} {count} {now:.6f}\n")
            sys.stdout.flush()


class Receiver(asyncio.Protocol):
    def __init__(self, request: bytes, stats: Stats, opened: asyncio.Future) -> None:
        self.request = request
        self.stats = stats
        self.opened = opened
        self.buf = bytearray()
        self.upgraded = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        self.stats.closed += 1
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("closed during handshake"))

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        buf = self.buf
        buf += data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buf.startswith(b"HTTP/1.1 101"):
                self.opened.set_exception(ConnectionError(bytes(buf[:40]).decode(errors="replace")))
                self.transport.close()
                return
            del buf[: end + 4]
            self.upgraded = True
            self.opened.set_result(True)
        while len(buf) >= 2:
            opcode, size, start = buf[0] & 0x0F, buf[1] & 0x7F, 2
            if size == 126:
                if len(buf) < 4:
                    return
                size, start = int.from_bytes(buf[2:4], "big"), 4
            elif size == 127:
                if len(buf) < 10:
                    return
                size, start = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < start + size:
                return
            if opcode == 1:
                at = buf.find(MARK, start, start + size)
                if at >= 0:
                    digits = at + len(MARK)
                    stop = digits
                    while 48 <= buf[stop] <= 57:
                        stop += 1
                    self.stats.got(int(buf[digits:stop]), now)
            elif opcode == 9:  # ping: answer with a masked pong carrying the same payload
                payload = bytes(buf[start : start + size])
                self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
            elif opcode == 8:
                self.transport.close()
            del buf[: start + size]


def handshake(url: str) -> tuple[str, int, bytes]:
    parsed = urlparse(url)
    key = base64.b64encode(os.urandom(16)).decode()
    target = (parsed.path or "/") + (f"?{parsed.query}" if parsed.query else "")
    request = (
        f"GET {target} HTTP/1.1\r\nHost: {parsed.netloc}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: http://{parsed.netloc}\r\n\r\n"
    ).encode()
    return parsed.hostname, parsed.port, request


async def main(urls: list[str], count: int, parallel: int, lifetime: float) -> None:
    loop = asyncio.get_running_loop()
    stats = Stats(count)
    gate = asyncio.Semaphore(parallel)
    failures = 0

    async def open_one(i: int) -> None:
        nonlocal failures
        host, port, request = handshake(urls[i % len(urls)])
        async with gate:
            opened = loop.create_future()
            try:
                await loop.create_connection(lambda: Receiver(request, stats, opened), host, port)
                await asyncio.wait_for(opened, 30)
                stats.connected += 1
            except (OSError, ConnectionError, TimeoutError):
                failures += 1

    started = time.monotonic()
    await asyncio.gather(*(open_one(i) for i in range(count)))
    print(f"ready {stats.connected} {failures} {time.monotonic() - started:.2f}", flush=True)

    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        while True:
            line = await asyncio.wait_for(reader.readline(), lifetime)
            if not line or line.strip() == b"report":
                break
    except TimeoutError:
        pass
    report = {"connected": stats.connected, "failed": failures, "closed": stats.closed, "counts": stats.counts}
    print("final " + json.dumps(report), flush=True)


if __name__ == "__main__":
    raise_fd_limit()
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", action="append", required=True, help="repeat to spread sockets over servers")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--parallel", type=int, default=200, help="handshakes in flight at once")
    parser.add_argument("--lifetime", type=float, default=600, help="give up after this many seconds")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(args.url, args.count, args.parallel, args.lifetime))
