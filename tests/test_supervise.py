"""`make run`'s supervisor: a process that dies is started again; the others keep running."""

from __future__ import annotations

import io
import os
import queue
import sys
import threading
from pathlib import Path

from goodmob.supervise import Supervisor, read_procfile

PY = f"{sys.executable} -c"


def test_reads_the_projects_procfile() -> None:
    processes = read_procfile(Path(__file__).resolve().parent.parent / "Procfile")
    assert set(processes) == {"web", "worker", "beat"}


def test_a_dead_process_is_restarted_and_the_others_keep_running() -> None:
    lines: queue.Queue[tuple[str, str]] = queue.Queue()
    supervisor = Supervisor(
        {
            "web": f"{PY} 'import os, signal; print(\"web\", os.getpid(), flush=True); signal.pause()'",
            "worker": f"{PY} 'import os; print(\"worker\", os.getpid(), flush=True); raise SystemExit(3)'",
        },
        dict(os.environ),
        out=io.StringIO(),
        backoff_start=0.05,
        on_line=lambda name, line: lines.put((name, line)),
    )
    runner = threading.Thread(target=supervisor.run)
    runner.start()
    worker_pids: set[str] = set()
    web_pids: set[str] = set()
    try:
        while len(worker_pids) < 3:
            name, line = lines.get(timeout=20)
            if name == "worker":
                worker_pids.add(line.split()[1])
            elif name == "web":
                web_pids.add(line.split()[1])
        web = next(p for p in supervisor.processes if p.name == "web")
        assert web.starts == 1 and web.proc is not None and web.proc.poll() is None
    finally:
        supervisor.stop()
        runner.join(timeout=30)
    assert len(web_pids) == 1
    assert web.proc.poll() is not None  # stopped with the supervisor
