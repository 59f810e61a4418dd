"""A lean open-loop HTTP/1.1 load generator (raw asyncio, keep-alive connections).

Requests are sent on schedule whatever the server's pace (so a slow server shows up as
latency, not as a politely lower rate), over at most --connections connections.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field


@dataclass
class Result:
    sent_at: float
    latency: float = 0.0
    status: int = 0
    body: bytes = b""


@dataclass
class Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    busy: bool = False


@dataclass
class Pool:
    host: str
    ports: list[int]
    size: int
    idle: asyncio.Queue = field(default_factory=asyncio.Queue)
    opened: int = 0

    async def take(self) -> Connection:
        if self.idle.empty() and self.opened < self.size:
            self.opened += 1
            port = self.ports[self.opened % len(self.ports)]
            try:
                reader, writer = await asyncio.open_connection(self.host, port)
            except OSError:
                self.opened -= 1  # the server is down (a chaos run): this request fails alone
                raise
            return Connection(reader, writer)
        return await self.idle.get()


async def request(pool: Pool, payload: bytes, result: Result) -> None:
    try:
        connection = await pool.take()
    except OSError as exc:
        result.status, result.body, result.latency = -1, repr(exc).encode(), time.monotonic() - result.sent_at
        return
    try:
        connection.writer.write(payload)
        head = await connection.reader.readuntil(b"\r\n\r\n")
        result.status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        result.body = await connection.reader.readexactly(length) if length else b""
        result.latency = time.monotonic() - result.sent_at
        pool.idle.put_nowait(connection)
    except (OSError, asyncio.IncompleteReadError) as exc:
        result.status = -1
        result.body = repr(exc).encode()
        result.latency = time.monotonic() - result.sent_at
        pool.opened -= 1


def post(path: str, host: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", "Content-Type: application/json", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def ramp(start_rate: float, rate: float, ramp_s: float):
    """Cumulative requests due by time t: linear from start_rate to rate, then flat."""

    def due(t: float) -> float:
        if t <= ramp_s:
            return start_rate * t + (rate - start_rate) * t * t / (2 * ramp_s)
        return (start_rate + rate) * ramp_s / 2 + rate * (t - ramp_s)

    return due


async def run_schedule(
    pool: Pool, payloads: list[bytes], due, duration: float, drain: float = 30.0
) -> tuple[float, list[Result]]:
    """Send payloads in order, each when `due(t)` (cumulative count) says it is due.

    Requests still unanswered `drain` seconds after the schedule ends are abandoned
    (status 0): an overloaded server must not make the benchmark run for ever."""
    results: list[Result] = []
    tasks = []
    start = time.monotonic()
    index = 0
    while index < len(payloads):
        now = time.monotonic() - start
        if now >= duration:
            break
        while index < min(len(payloads), int(due(now))):
            result = Result(sent_at=time.monotonic())
            results.append(result)
            tasks.append(asyncio.ensure_future(request(pool, payloads[index], result)))
            index += 1
        await asyncio.sleep(0.002)
    if tasks:
        _, late = await asyncio.wait(tasks, timeout=drain)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
    return start, results
