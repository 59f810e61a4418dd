"""What each kilobyte of an idle action socket is: tracemalloc in a web process (run
as the Procfile runs it, plus tracing), compared before and after a crowd of idle
sockets joins one action, grouped by the line that allocated it.

    .venv/bin/python bench/socket_profile.py --count 2000
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def serve(port: int, dump: str) -> None:
    """The web process: uvicorn with the Procfile's options; SIGUSR2 starts tracing (a
    traced start-up would take minutes), SIGUSR1 dumps a snapshot."""
    import uvicorn

    from bench.stack import WEB_ARGS

    signal.signal(signal.SIGUSR2, lambda signum, frame: tracemalloc.start(12))
    counter = iter(range(1000))

    def dump_now(signum: int, frame: object) -> None:
        tracemalloc.take_snapshot().dump(f"{dump}.{next(counter)}")

    signal.signal(signal.SIGUSR1, dump_now)
    sys.argv = ["uvicorn", "goodmob.asgi:application", "--port", str(port), *WEB_ARGS]
    uvicorn.main()


def attribute(before: Path, after: Path, count: int, top: int) -> None:
    old, new = tracemalloc.Snapshot.load(str(before)), tracemalloc.Snapshot.load(str(after))
    keep = [tracemalloc.Filter(False, tracemalloc.__file__)]
    diff = new.filter_traces(keep).compare_to(old.filter_traces(keep), "traceback")
    total = sum(d.size_diff for d in diff)
    print(f"python heap per socket: {total / count / 1024:.2f} KB ({count} sockets)")
    for stat in diff[:top]:
        if stat.size_diff <= 0:
            continue
        where = " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in list(stat.traceback)[-3:])
        print(f"{stat.size_diff / count:8.0f} B/socket  {stat.count_diff / count:5.1f} blocks  {where}")


def sockets(url: str, count: int) -> subprocess.Popen:
    from bench.common import PYTHON, ROOT

    args = [PYTHON, "bench/wsclient.py", "--url", url, "--count", str(count), "--lifetime", "600"]
    return subprocess.Popen(args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    p.add_argument("--dump", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve:
        serve(args.serve, args.dump)
        return
    from bench.common import PYTHON, ROOT, free_port, wait_port
    from bench.stack import start_django

    stack = start_django()
    from bench.seed import seed_action

    action = seed_action()
    port = free_port()
    folder = tempfile.mkdtemp(prefix="goodmob-socket-profile-")  # the web process dumps here
    dump = f"{folder}/snapshot"
    web = subprocess.Popen(
        [PYTHON, __file__, "--serve", str(port), "--dump", dump], cwd=ROOT, env={**os.environ, **stack.env}
    )
    wait_port(port, proc=web)
    web.send_signal(signal.SIGUSR2)
    url = f"ws://127.0.0.1:{port}/ws/actions/{action.slug}/"
    try:
        # One socket first, so lazily loaded modules and the group's own state are in
        # "before"; then the crowd.
        first = sockets(url, 1)
        first.stdout.readline()
        time.sleep(1)
        web.send_signal(signal.SIGUSR1)
        crowd = sockets(url, args.count)
        ready = crowd.stdout.readline().split()  # "ready CONNECTED FAILED SECONDS"
        connected = int(ready[1])
        print(f"{connected} sockets connected, {ready[2]} failed")
        time.sleep(2)  # idle: every socket has had its snapshot
        web.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 60
        while not Path(f"{dump}.1").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)
        attribute(Path(f"{dump}.0"), Path(f"{dump}.1"), connected, args.top)
        for proc in (first, crowd):
            proc.kill()
    finally:
        web.terminate()
        web.wait()
        stack.close()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
