"""Run the Procfile's processes and restart any that exits, so a dead worker or beat
never takes the site down with it (honcho stops everything when one process ends).

Each process runs under `sh -c` (the Procfile uses shell defaults like ${PORT:-8000})
with its output prefixed by its name. A process that exits is started again after a
backoff that doubles from 1 s up to 30 s and resets once it has stayed up a minute.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

BACKOFF_START = 1.0
BACKOFF_MAX = 30.0
HEALTHY_AFTER = 60.0
STOP_GRACE = 15.0


def read_procfile(path: Path) -> dict[str, str]:
    processes: dict[str, str] = {}
    for line in path.read_text().splitlines():
        name, sep, command = line.partition(":")
        if sep and name.strip() and not name.lstrip().startswith("#"):
            processes[name.strip()] = command.strip()
    return processes


@dataclass
class Process:
    name: str
    command: str
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    backoff: float = BACKOFF_START
    restart_at: float | None = None
    starts: int = 0
    reader: threading.Thread | None = field(default=None, repr=False)


class Supervisor:
    def __init__(
        self,
        processes: dict[str, str],
        env: dict[str, str],
        *,
        cwd: Path | None = None,
        out: TextIO = sys.stdout,
        backoff_start: float = BACKOFF_START,
        on_line: Callable[[str, str], None] | None = None,
    ) -> None:
        self.processes = [Process(name, command, backoff=backoff_start) for name, command in processes.items()]
        self.env = env
        self.cwd = cwd
        self.out = out
        self.backoff_start = backoff_start
        self.on_line = on_line
        self.stopping = threading.Event()
        self.width = max((len(name) for name in processes), default=4)
        self._write_lock = threading.Lock()

    def say(self, name: str, line: str) -> None:
        with self._write_lock:
            self.out.write(f"{time.strftime('%H:%M:%S')} {name.ljust(self.width)} | {line}\n")
            self.out.flush()
        if self.on_line is not None:
            self.on_line(name, line)

    def _start(self, process: Process) -> None:
        process.proc = subprocess.Popen(
            ["/bin/sh", "-c", f"exec {process.command}"],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            bufsize=1,
            start_new_session=True,  # Ctrl-C reaches us; we stop the children in order
        )
        process.started_at = time.monotonic()
        process.restart_at = None
        process.starts += 1
        process.reader = threading.Thread(target=self._pump, args=(process, process.proc), daemon=True)
        process.reader.start()
        self.say("system", f"{process.name} started (pid {process.proc.pid})")

    def _pump(self, process: Process, proc: subprocess.Popen) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.say(process.name, line.rstrip("\n"))

    def _check(self, process: Process, now: float) -> None:
        if process.proc is None or process.restart_at is not None:
            if process.restart_at is not None and now >= process.restart_at:
                self._start(process)
            return
        code = process.proc.poll()
        if code is None:
            if now - process.started_at > HEALTHY_AFTER:
                process.backoff = self.backoff_start
            return
        if process.reader is not None:
            process.reader.join(timeout=1)
        process.restart_at = now + process.backoff
        self.say("system", f"{process.name} exited with {code}; restarting in {process.backoff:.0f}s")
        process.backoff = min(process.backoff * 2, BACKOFF_MAX)

    def run(self) -> None:
        """Start everything and keep it running until `stop()` (or Ctrl-C in the caller)."""
        for process in self.processes:
            self._start(process)
        try:
            while not self.stopping.wait(0.2):
                now = time.monotonic()
                for process in self.processes:
                    self._check(process, now)
        finally:
            self._stop_all()

    def stop(self) -> None:
        self.stopping.set()

    def _stop_all(self) -> None:
        running = [p.proc for p in self.processes if p.proc is not None and p.proc.poll() is None]
        for proc in running:
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for proc in running:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()
        self.say("system", "stopped")


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
