"""Helpers shared by the benchmarks: processes, ports, /proc readings, statistics."""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


def spawn(args: list[str], env: dict[str, str] | None = None, **kwargs: object) -> subprocess.Popen:
    return subprocess.Popen(args, cwd=ROOT, env={**os.environ, **(env or {})}, preexec_fn=raise_fd_limit, **kwargs)


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def tree(pid: int) -> list[int]:
    """The process and all its descendants (uvicorn with workers, celery prefork)."""
    found = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return found
    for child in children:
        found += tree(int(child))
    return found


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        for each in tree(pid):
            try:
                fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # utime + stime, and the same of children that ended and were reaped (a
            # PostgreSQL backend whose client left).
            total += sum(int(f) for f in fields[11:15])
    return total / CLOCK_TICKS


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        for each in tree(pid):
            try:
                total += int(Path(f"/proc/{each}/statm").read_text().split()[1]) * PAGE
            except OSError:
                continue
    return total


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class CpuRounds:
    """This process's CPU in each timed round, in ms, for the benches that time one piece
    of work in process (a check-in batch, a verification round); with `profile`, cProfile
    over the timed parts only, not the setup between them."""

    def __init__(self, profile: bool = False) -> None:
        self.spent: list[float] = []
        self.profile = cProfile.Profile(time.process_time) if profile else None

    @contextmanager
    def timed(self) -> Iterator[None]:
        started = time.process_time()
        if self.profile:
            self.profile.enable()
        try:
            yield
        finally:
            if self.profile:
                self.profile.disable()
            self.spent.append((time.process_time() - started) * 1000)

    def summary(self, size: int, unit: str) -> dict[str, object]:
        """The rounds, the median round (`<unit>_ms`) and its share per check-in when each
        round handled `size`; prints cProfile's cumulative top first when profiling."""
        if self.profile:
            pstats.Stats(self.profile).sort_stats("cumulative").print_stats(45)
        median = percentile(self.spent, 0.5) or 0
        return {"rounds": len(self.spent), f"{unit}_ms": round(median, 2), "per_checkin_ms": round(median / size, 3)}


def add_round_arguments(parser: argparse.ArgumentParser, batch_help: str, rounds: int) -> None:
    parser.add_argument("--batch", type=int, default=30, help=batch_help)
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument("--profile", action="store_true", help="print cProfile's cumulative top of the timed rounds")


def emit(record: dict[str, object]) -> None:
    print(json.dumps(record), flush=True)


def cpu_per_call(fn: Callable[[], object], repeat: int) -> float:
    """Seconds of this process's CPU per call of `fn`, after one call to warm up."""
    fn()
    started = time.process_time()
    for _ in range(repeat):
        fn()
    return (time.process_time() - started) / repeat


def report(result: dict[str, object], columns: list[tuple[str, str]]) -> None:
    """A bench's result: one JSON line for machines, then a table for people."""
    emit(result)
    print()
    print(table([result], columns))


def table(rows: list[dict[str, object]], columns: list[tuple[str, str]]) -> str:
    """A plain text table: columns are (key, heading)."""
    cells = [[h for _, h in columns]] + [["" if r.get(k) is None else str(r.get(k)) for k, _ in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


class Output:
    """A process's output, read as it comes (into a log file too): `wait_for` returns
    the moment a line matches, with no polling, or fails after `timeout` seconds."""

    def __init__(self, proc: subprocess.Popen, log: Path | None = None) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.log = log
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        out = open(self.log, "w") if self.log else None
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
            if out:
                out.write(line)
                out.flush()
            with self.changed:
                self.lines.append(line)
                self.changed.notify_all()
        if out:
            out.close()
        with self.changed:
            self.changed.notify_all()  # the process ended: waiters stop waiting

    def count(self, text: str) -> int:
        with self.changed:
            return sum(text in line for line in self.lines)

    def wait_for(self, text: str, *, times: int = 1, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        with self.changed:
            while sum(text in line for line in self.lines) < times:
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    tail = "".join(self.lines[-40:])
                    raise AssertionError(f"no {times} line(s) with {text!r} within {timeout:.0f}s:\n{tail}")
                self.changed.wait(left)


def parent_pid(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("PPid:"):
            return int(line.split()[1])
    raise LookupError(pid)


def postgres_pids(database_url: str) -> list[int]:
    """The PostgreSQL server of `database_url` (its postmaster, so every backend and the
    WAL writer, checkpointer... with it), when it runs on this machine; else []."""
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        try:
            return [parent_pid(backend)]  # while the backend lives
        except (OSError, LookupError):
            return []


def redis_pids(redis_url: str) -> list[int]:
    import redis

    pid = int(redis.Redis.from_url(redis_url).info("server")["process_id"])
    return [pid] if Path(f"/proc/{pid}").exists() else []


class CpuMeter:
    """CPU seconds spent by each kind of process between `start()` and `stop()`, read
    from /proc: the figure that carries from machine to machine is the CPU per unit of
    work, not the rate one box reached."""

    def __init__(self, kinds: dict[str, list[int]]) -> None:
        self.kinds = kinds
        self.before: dict[str, float] = {}
        self.spent: dict[str, float] = {}

    def start(self) -> None:
        self.before = {kind: cpu_seconds(pids) for kind, pids in self.kinds.items()}
        self.started = time.monotonic()

    def stop(self) -> None:
        self.wall = time.monotonic() - self.started
        self.spent = {kind: cpu_seconds(pids) - self.before[kind] for kind, pids in self.kinds.items()}

    def per_unit_ms(self, units: int) -> dict[str, float]:
        per = {kind: round(1000 * s / max(1, units), 3) for kind, s in self.spent.items()}
        per["total"] = round(sum(per.values()), 3)
        return per
