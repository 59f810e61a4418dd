"""Fan-out: one snapshot to N sockets of one action, side by side with references.

For each size and server, N sockets (spread over client processes of at most 5,000
each, and over two web processes above 10,000, since a process may hold 20,000 files)
receive repeated broadcasts. Reported per run: p50, p99 and max time from the
broadcast call until the last socket has it, messages lost, server CPU per broadcast
and resident memory per socket. Servers:

  goodmob          Good Mob's own path (realtime/hub.py) under uvicorn
  bare             a bare `websockets` server using broadcast() (bench/ref_bare.py)
  channels-pubsub  stock Channels group_send, channels_redis pub/sub layer, defaults
  channels-core    the same with channels_redis's core RedisChannelLayer

    .venv/bin/python bench/fanout.py --sizes 1000 --broadcasts 10           # quick look
    .venv/bin/python bench/fanout.py --sizes 1000,5000,10000,20000          # full run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import queue
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import (  # noqa: E402
    PYTHON,
    cpu_seconds,
    emit,
    free_port,
    percentile,
    rss_bytes,
    spawn,
    stop,
    table,
    wait_port,
)
from bench.stack import Stack, start_django  # noqa: E402

SERVERS = ["goodmob", "bare", "channels-pubsub", "channels-core"]
PER_CLIENT_PROCESS = 5000
PER_WEB_PROCESS = 10000


class Clients:
    """Client processes, their stdout read by threads into one queue."""

    def __init__(self, urls: list[str], total: int, lifetime: float) -> None:
        self.lines: queue.Queue[tuple[int, str]] = queue.Queue()
        procs = max(2, math.ceil(total / PER_CLIENT_PROCESS))
        shares = [total // procs + (1 if i < total % procs else 0) for i in range(procs)]
        self.procs = []
        for share in shares:
            args = [PYTHON, "bench/wsclient.py", "--count", str(share), "--lifetime", str(lifetime)]
            for url in urls:
                args += ["--url", url]
            self.procs.append(spawn(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))
        for index, proc in enumerate(self.procs):
            threading.Thread(target=self._pump, args=(index, proc), daemon=True).start()

    def _pump(self, index: int, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            self.lines.put((index, line.strip()))

    def wait(self, prefix: str, timeout: float) -> dict[int, str]:
        found: dict[int, str] = {}
        deadline = time.monotonic() + timeout
        while len(found) < len(self.procs):
            try:
                index, line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line.startswith(prefix):
                found[index] = line[len(prefix) :].strip()
        return found

    def report(self) -> list[dict]:
        for proc in self.procs:
            try:
                proc.stdin.write("report\n")
                proc.stdin.flush()
            except OSError:
                pass
        return [json.loads(line) for line in self.wait("final ", 30).values()]

    def close(self) -> None:
        stop(self.procs)


def snapshot_text(seq: int, template: dict) -> str:
    # Snapshot-shaped (the real thing for Good Mob), with the sequence number near the
    # front so the receivers find it without parsing the JSON.
    body = {"type": "snapshot", "bench_seq": seq, **{k: v for k, v in template.items() if k != "type"}, "seq": seq}
    return json.dumps(body, separators=(",", ":"))


class Trigger:
    """Publishes one broadcast the way each server expects it."""

    def __init__(self, kind: str, env: dict[str, str], group: str) -> None:
        self.kind, self.env, self.group = kind, env, group
        if kind.startswith("channels"):
            from channels_redis.core import RedisChannelLayer
            from channels_redis.pubsub import RedisPubSubChannelLayer

            layer = RedisPubSubChannelLayer if kind == "channels-pubsub" else RedisChannelLayer
            self.layer = layer(hosts=[env["REDIS_URL"]], prefix=env["BENCH_PREFIX"])
            self.loop = asyncio.new_event_loop()
        else:
            import redis

            self.redis = redis.Redis.from_url(env["REDIS_URL"])

    def fire(self, text: str) -> None:
        if self.kind == "goodmob":
            from realtime import publish

            publish.publish([(self.group, text)])
        elif self.kind == "bare":
            self.redis.publish(self.group, text)
        else:
            self.loop.run_until_complete(self.layer.group_send("bench", {"type": "bench.message", "text": text}))


def start_servers(
    kind: str, count: int, env: dict[str, str], stack: Stack | None
) -> tuple[list[subprocess.Popen], list[str]]:
    if kind == "goodmob":
        stack.start_web(count)
        return stack.webs, [f"ws://127.0.0.1:{port}/ws/actions/{env['BENCH_SLUG']}/" for port in stack.ports]
    procs, urls = [], []
    for _ in range(count):
        port = free_port()
        if kind == "bare":
            args = [
                PYTHON,
                "bench/ref_bare.py",
                "--port",
                str(port),
                "--redis",
                env["REDIS_URL"],
                "--channel",
                env["BENCH_GROUP"],
            ]
            urls.append(f"ws://127.0.0.1:{port}/")
        else:
            args = [PYTHON, "-m", "uvicorn", "bench.ref_channels:application", "--port", str(port), "--loop", "uvloop"]
            args += ["--http", "httptools", "--log-level", "warning", "--no-access-log", "--backlog", "4096"]
            urls.append(f"ws://127.0.0.1:{port}/ws/")
        layer = {"channels-pubsub": "pubsub", "channels-core": "core"}.get(kind, "")
        proc = spawn(args, {**env, "BENCH_LAYER": layer})
        wait_port(port, proc=proc)
        procs.append(proc)
    return procs, urls


def run_one(kind: str, size: int, broadcasts: int, template: dict, env: dict[str, str], stack: Stack | None) -> dict:
    webs = 1 if size <= PER_WEB_PROCESS else math.ceil(size / PER_WEB_PROCESS)
    group = env["BENCH_GROUP"] if kind != "goodmob" else env["BENCH_FAN_GROUP"]
    record: dict[str, object] = {"bench": "fanout", "server": kind, "sockets": size, "web_processes": webs}
    procs, urls = start_servers(kind, webs, env, stack)
    pids = [p.pid for p in procs]
    time.sleep(1.0)  # let the servers finish importing before the baseline reading
    base_rss = rss_bytes(pids)
    clients = Clients(urls, size, lifetime=600)
    try:
        ready = clients.wait("ready ", timeout=180)
        connected = sum(int(v.split()[0]) for v in ready.values())
        record["connected"] = connected
        record["connect_s"] = max((float(v.split()[2]) for v in ready.values()), default=None)
        time.sleep(1.0)  # settle: connect-time snapshots drained
        record["rss_per_socket_kb"] = round((rss_bytes(pids) - base_rss) / max(1, connected) / 1024, 1)
        trigger = Trigger(kind, env, group)
        latencies, timeouts, warmup = [], 0, 2
        cpu_start = cpu_seconds(pids)
        for seq in range(1, warmup + broadcasts + 1):
            if seq == warmup + 1:
                cpu_start = cpu_seconds(pids)
            started = time.monotonic()
            trigger.fire(snapshot_text(seq, template))
            done = {}
            deadline = started + 10
            while len(done) < len(clients.procs) and time.monotonic() < deadline:
                got = clients.wait("done ", timeout=deadline - time.monotonic())
                for index, value in got.items():
                    if int(value.split()[0]) == seq:
                        done[index] = float(value.split()[2])
            if len(done) < len(clients.procs):
                timeouts += 1
                if timeouts >= 3:
                    record["error"] = "3 broadcasts did not reach every socket within 10 s; stopped"
                    break
            elif seq > warmup:
                latencies.append((max(done.values()) - started) * 1000)
            time.sleep(0.05)
        measured = max(1, seq - warmup)
        record["cpu_ms_per_broadcast"] = round((cpu_seconds(pids) - cpu_start) * 1000 / measured, 1)
        finals = clients.report()
        expected = connected * (seq)
        received = sum(sum(f["counts"].values()) for f in finals)
        record.update(
            broadcasts=measured,
            p50_ms=round(percentile(latencies, 0.5), 1) if latencies else None,
            p99_ms=round(percentile(latencies, 0.99), 1) if latencies else None,
            max_ms=round(max(latencies), 1) if latencies else None,
            lost=expected - received,
            timeouts=timeouts,
        )
    finally:
        clients.close()
        if kind == "goodmob":
            stack.close_web()
        else:
            stop(procs)
    return record


COLUMNS = [
    ("server", "server"),
    ("sockets", "sockets"),
    ("connected", "connected"),
    ("web_processes", "webs"),
    ("p50_ms", "p50 ms"),
    ("p99_ms", "p99 ms"),
    ("max_ms", "max ms"),
    ("lost", "lost"),
    ("cpu_ms_per_broadcast", "cpu ms/bcast"),
    ("rss_per_socket_kb", "KB/socket"),
    ("connect_s", "connect s"),
]


def main() -> list[dict]:
    parser = argparse.ArgumentParser(description="Fan-out benchmark")
    parser.add_argument("--sizes", default="1000,5000,10000,20000")
    parser.add_argument("--servers", default=",".join(SERVERS))
    parser.add_argument("--broadcasts", type=int, default=30)
    args = parser.parse_args()

    stack = start_django()
    env = stack.env
    env["BENCH_GROUP"] = f"{env['REDIS_PREFIX']}:bare"
    env["BENCH_PREFIX"] = f"{env['REDIS_PREFIX']}:stock"
    from actions import selectors
    from bench.seed import seed_action
    from realtime import publish

    action = seed_action(pledges=40)
    env["BENCH_SLUG"] = action.slug
    env["BENCH_FAN_GROUP"] = publish.action_group(action.pk)
    template = selectors.snapshot(action)

    rows = []
    try:
        for size in [int(s) for s in args.sizes.split(",")]:
            for kind in args.servers.split(","):
                record = run_one(kind, size, args.broadcasts, template, env, stack)
                emit(record)
                rows.append(record)
    finally:
        stack.close()
    print()
    print(table(rows, COLUMNS))
    return rows


if __name__ == "__main__":
    main()
