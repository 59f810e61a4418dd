"""Memory of a web process before, during and after a crowd of sockets.

The audit saw 742 MB still held after 20,000 sockets had closed: glibc keeps freed
memory. realtime/admission.py trims the heap once the crowd has left; this shows the
difference (WS_HEAP_TRIM=0 turns the trim off).

    .venv/bin/python bench/socket_memory.py --count 10000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import PYTHON, ROOT, emit, rss_bytes  # noqa: E402
from bench.stack import bench_env, start_django  # noqa: E402

ROUNDS = int(os.environ.get("ROUNDS", "3"))


def crowd(pid: int, url: str, count: int) -> tuple[int, int, int, int]:
    """Open `count` sockets, then close them all: (opened, failed, RSS open, RSS after)."""
    client = subprocess.Popen(
        [PYTHON, "bench/wsclient.py", "--url", url, "--count", str(count), "--lifetime", "120"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert client.stdin is not None and client.stdout is not None
    ready = client.stdout.readline().split()
    held = rss_bytes([pid])
    client.stdin.write("report\n")
    client.stdin.flush()
    client.wait(timeout=60)
    after = held
    for _ in range(20):  # the server notices the closes over a moment
        time.sleep(0.25)
        after = min(after, rss_bytes([pid]))
    return int(ready[1]), int(ready[2]), held, after


def measure(count: int, trim: bool, allocator: str) -> dict:
    env = bench_env()
    env.update(WS_MAX_PER_ADDRESS=str(count * 2), WS_HEAP_TRIM="1" if trim else "0", LOG_LEVEL="INFO")
    if allocator == "malloc":
        env["PYTHONMALLOC"] = "malloc"
    stack = start_django()
    try:
        from bench.seed import seed_action

        action = seed_action()
        stack.start_web(1)
        pid, port = stack.webs[0].pid, stack.ports[0]
        before = rss_bytes([pid])
        url = f"ws://127.0.0.1:{port}/ws/actions/{action.slug}/"
        rounds = [crowd(pid, url, count) for _ in range(ROUNDS)]
        mb = 2**20
        return {
            "bench": "socket_memory",
            "sockets": rounds[0][0],
            "failed": sum(r[1] for r in rounds),
            "trim": trim,
            "allocator": allocator,
            "rss_before_mb": round(before / mb, 1),
            "rss_open_mb": [round(r[2] / mb, 1) for r in rounds],
            "rss_after_close_mb": [round(r[3] / mb, 1) for r in rounds],
        }
    finally:
        stack.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--trim", choices=["on", "off"], default="on")
    parser.add_argument("--allocator", choices=["pymalloc", "malloc"], default="pymalloc")
    args = parser.parse_args()
    emit(measure(args.count, args.trim == "on", args.allocator))


if __name__ == "__main__":
    main()
