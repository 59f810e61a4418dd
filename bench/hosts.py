"""Several machines, for real: three hosts built from Linux network namespaces on this
machine, joined by veth pairs on a bridge, with `tc netem` adding --delay ms to every
packet a host sends (so one way between two hosts takes that long, a round trip twice).

    db      10.77.0.1   PostgreSQL and Redis (private servers, on their own ports)
    host A  10.77.0.2   a web process, a Celery worker and beat
    host B  10.77.0.3   a web process and a Celery worker
    client  10.77.0.4   the load generator and the dashboards (no added delay)

Check-ins are posted to host A only; dashboard sockets listen on host B only. What it
shows: a check-in posted to A reaches a dashboard on B, with request and end-to-end
latencies, and how long one snapshot takes to reach all of B's sockets (fan-out).

Needs root (namespaces, tc). It touches nothing but what it makes: namespaces named
gm<pid>-*, their interfaces, and its private servers; all are removed at the end, also
on Ctrl-C or an error. Not part of `make test`.

    sudo .venv/bin/python bench/hosts.py                          # 20 ms, 200/s for 20 s
    sudo .venv/bin/python bench/hosts.py --delay 20 --rate 500 --dashboards 2000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import PYTHON, ROOT, Output, free_port, percentile, report  # noqa: E402
from bench.stack import WEB_ARGS  # noqa: E402

NET = "10.77.0"
ROLES = {"db": 1, "a": 2, "b": 3, "client": 4}
WEB_PORT = 8000


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True)


class Hosts:
    """The namespaces and their wiring: a bridge in a switch namespace of our own, so
    nothing is added to the machine's own network namespace."""

    def __init__(self, delay_ms: float) -> None:
        self.tag = f"gm{os.getpid() % 100_000}"
        self.delay_ms = delay_ms
        self.netem = True  # until the kernel says it has none
        self.made: list[str] = []

    def ns(self, role: str) -> str:
        return f"{self.tag}-{role}"

    def run_in(self, role: str) -> tuple[str, ...]:
        return ("ip", "netns", "exec", self.ns(role))

    def address(self, role: str) -> str:
        return f"{NET}.{ROLES[role]}"

    def up(self) -> None:
        switch = self.ns("sw")
        ip("netns", "add", switch)
        self.made.append(switch)
        ip("-n", switch, "link", "add", "br0", "type", "bridge")
        ip("-n", switch, "link", "set", "br0", "up")
        for role in ROLES:
            name = self.ns(role)
            ip("netns", "add", name)
            self.made.append(name)
            ip("-n", switch, "link", "add", f"to-{role}", "type", "veth", "peer", "name", "eth0", "netns", name)
            ip("-n", switch, "link", "set", f"to-{role}", "master", "br0", "up")
            ip("-n", name, "addr", "add", f"{self.address(role)}/24", "dev", "eth0")
            ip("-n", name, "link", "set", "eth0", "up")
            ip("-n", name, "link", "set", "lo", "up")
            if role != "client" and self.delay_ms and self.netem:
                self.netem = self._netem(role)

    def _netem(self, role: str) -> bool:
        """False when this kernel has no netem qdisc (seen on a Firecracker VM's kernel)."""
        delay = ["netem", "delay", f"{self.delay_ms}ms"]
        added = subprocess.run(
            [*self.run_in(role), "tc", "qdisc", "add", "dev", "eth0", "root", *delay], capture_output=True, text=True
        )
        if added.returncode == 0:
            return True
        if "unknown" not in added.stderr.lower():
            raise RuntimeError(f"tc failed: {added.stderr}")
        print("this kernel has no netem qdisc: delaying the db host's links with bench/delayproxy.py", file=sys.stderr)
        return False

    def down(self) -> None:
        for name in reversed(self.made):
            subprocess.run(["ip", "netns", "del", name], check=False)
        self.made = []


class Site:
    """Private PostgreSQL and Redis on the db host; web, worker (and beat) on A and B."""

    def __init__(self, hosts: Hosts) -> None:
        from bench.servers import PrivatePostgres, PrivateRedis

        self.hosts = hosts
        db = hosts.address("db")
        # Without netem the servers listen inside the db host only, and the other hosts
        # reach them through delaying proxies on its address.
        listen = db if hosts.netem else "127.0.0.1"
        self.postgres = PrivatePostgres(host=listen, wrap=hosts.run_in("db"))
        self.redis = PrivateRedis(host=listen, wrap=hosts.run_in("db"))
        self.procs: list[subprocess.Popen] = []
        self.proxied = {"pg": free_port(), "redis": free_port()} if not hosts.netem else {}
        database_url, redis_url = self.postgres.url, self.redis.url
        if self.proxied:
            database_url = f"postgres://postgres@{db}:{self.proxied['pg']}/goodmob"
            redis_url = f"redis://{db}:{self.proxied['redis']}/0"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "REDIS_PREFIX": "goodmob-hosts",
            "SECRET_KEY": "bench-only-not-secret",
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "ALLOWED_HOSTS": ",".join(hosts.address(role) for role in ("a", "b")),
            "RATE_LIMIT_SCALE": "100000",
            "WS_MAX_PER_ADDRESS": "1000000",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }

    def spawn(self, role: str, args: list[str]) -> subprocess.Popen:
        proc = subprocess.Popen(
            [*self.hosts.run_in(role), *args], cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        self.procs.append(proc)
        return proc

    def start(self) -> None:
        self.postgres.start()
        self.redis.start()
        for name, target in (("pg", self.postgres.port), ("redis", self.redis.port)):
            if name in self.proxied:
                listen = f"{self.hosts.address('db')}:{self.proxied[name]}"
                args = ["--listen", listen, "--target", f"127.0.0.1:{target}", "--delay", str(self.hosts.delay_ms)]
                Output(self.spawn("db", [PYTHON, str(ROOT / "bench" / "delayproxy.py"), *args])).wait_for("delaying")
        subprocess.run(
            [*self.hosts.run_in("a"), PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT, env=self.env, check=True,
        )  # fmt: skip
        for role in ("a", "b"):
            host = self.hosts.address(role)
            web = [PYTHON, "-m", "uvicorn", "goodmob.asgi:application", "--host", host, "--port", str(WEB_PORT)]
            proc = self.spawn(role, [*web, *WEB_ARGS, "--log-level", "info"])
            Output(proc).wait_for("Uvicorn running on", timeout=60)
            worker = [PYTHON, "-m", "celery", "-A", "goodmob", "worker", "--loglevel", "WARNING"]
            self.spawn(role, [*worker, "-n", f"{role}@%h"])
        schedule = f"/tmp/{self.hosts.tag}-beat"
        self.spawn("a", [PYTHON, "-m", "celery", "-A", "goodmob", "beat", "--loglevel", "WARNING", "-s", schedule])

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.redis.stop()
        self.postgres.stop()


async def drive(args: argparse.Namespace, a: str, b: str) -> dict:
    """Runs in the client namespace: seeds, listens on B, posts to A."""
    import django

    django.setup()
    import redis
    from asgiref.sync import sync_to_async

    from actions.models import CheckIn, CheckInStatus
    from bench.clients import run_clients
    from bench.ingest import checkin_requests, open_dashboard
    from bench.loadgen import ramp
    from bench.seed import bulk_participants, seed_action

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.ping()  # connects (and says hello): the next one is one round trip
    began = time.monotonic()
    client.ping()
    rtt_ms = round((time.monotonic() - began) * 1000, 1)  # from the client host: what a web host sees
    action = await sync_to_async(seed_action)(duration_minutes=60)
    people = await sync_to_async(bulk_participants)(int(args.rate * args.duration) + 50)
    await asyncio.sleep(1.5)  # the action goes live
    dashboards = [await open_dashboard(WEB_PORT, action.slug, host=b) for _ in range(args.dashboards)]
    payloads = checkin_requests(action.slug, [WEB_PORT], people, host=a)
    _, clients = await asyncio.get_running_loop().run_in_executor(
        None, run_clients, payloads, ramp(args.rate, args.rate, 0), args.duration, args.clients, 128
    )
    results = [r for c in clients for r in c.results]
    accepted = [r for r in results if r.status == 202]
    ids = sorted(json.loads(r.body)["id"] for r in accepted)
    by_id = {json.loads(r.body)["id"]: r for r in accepted}

    def pending() -> int:
        return CheckIn.objects.filter(pledge__action=action, status=CheckInStatus.PENDING).count()

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if await sync_to_async(pending)() == 0 and all(d.seen and d.seen[-1][1] >= len(ids) for d in dashboards):
            break
        await asyncio.sleep(0.25)
    for d in dashboards:
        d.transport.close()

    first = dashboards[0].seen
    e2e, index = [], 0
    for rank, checkin_id in enumerate(ids):
        while index < len(first) and first[index][1] < rank + 1:
            index += 1
        if index == len(first):
            break
        e2e.append((first[index][0] - by_id[checkin_id].sent_at) * 1000)
    # Fan-out on B: for each count shown, from its first socket to its last.
    arrivals: dict[int, list[float]] = {}
    for d in dashboards:
        seen_first: dict[int, float] = {}
        for at, count in d.seen:
            seen_first.setdefault(count, at)
        for count, at in seen_first.items():
            arrivals.setdefault(count, []).append(at)
    spreads = [(max(t) - min(t)) * 1000 for t in arrivals.values() if len(t) == len(dashboards)]
    latencies = [r.latency * 1000 for r in accepted]
    return {
        "redis_rtt_ms": rtt_ms,
        "sent": len(results),
        "accepted": len(accepted),
        "shown_on_b": len(e2e),
        "request_p50_ms": round(percentile(latencies, 0.5), 1) if latencies else None,
        "request_p99_ms": round(percentile(latencies, 0.99), 1) if latencies else None,
        "e2e_a_to_b_p50_ms": round(percentile(e2e, 0.5), 1) if e2e else None,
        "e2e_a_to_b_p99_ms": round(percentile(e2e, 0.99), 1) if e2e else None,
        "fanout_on_b_p50_ms": round(percentile(spreads, 0.5), 1) if spreads else None,
        "fanout_on_b_p99_ms": round(percentile(spreads, 0.99), 1) if spreads else None,
        "all_dashboards_show_all": all(d.seen and d.seen[-1][1] >= len(ids) for d in dashboards),
    }


COLUMNS = [
    ("delay_ms", "netem ms"),
    ("delayed_by", "by"),
    ("redis_rtt_ms", "Redis PING ms"),
    ("rate", "rate/s"),
    ("dashboards", "sockets on B"),
    ("accepted", "accepted on A"),
    ("shown_on_b", "shown on B"),
    ("request_p50_ms", "req p50"),
    ("request_p99_ms", "req p99"),
    ("e2e_a_to_b_p50_ms", "A->B p50"),
    ("e2e_a_to_b_p99_ms", "A->B p99"),
    ("fanout_on_b_p50_ms", "fan-out p50"),
    ("fanout_on_b_p99_ms", "fan-out p99"),
]


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(args: argparse.Namespace) -> dict:
    if os.geteuid() != 0:
        sys.exit("bench/hosts.py needs root (network namespaces and tc)")
    signal.signal(signal.SIGTERM, _stop)
    hosts = Hosts(args.delay)
    site = None
    try:
        hosts.up()
        site = Site(hosts)
        site.start()
        driver = subprocess.run(
            [*hosts.run_in("client"), PYTHON, __file__, "--drive", "--rate", str(args.rate),
             "--duration", str(args.duration), "--dashboards", str(args.dashboards), "--clients", str(args.clients)],
            cwd=ROOT, env={**site.env, "DJANGO_SETTINGS_MODULE": "goodmob.settings"},
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        lines = [line for line in driver.stdout.splitlines() if line.startswith("{")]
        if driver.returncode or not lines:
            raise RuntimeError(f"the driver failed:\n{driver.stdout[-3000:]}\n{driver.stderr[-3000:]}")
        return {"bench": "hosts", "delay_ms": args.delay, "delayed_by": "netem" if hosts.netem else "proxy",
                "rate": args.rate,
                "dashboards": args.dashboards, **json.loads(lines[-1])}  # fmt: skip
    finally:
        if site is not None:
            site.stop()
        hosts.down()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Three hosts in network namespaces")
    p.add_argument("--delay", type=float, default=20, help="ms added to every packet a host sends")
    p.add_argument("--rate", type=float, default=200)
    p.add_argument("--duration", type=float, default=20)
    p.add_argument("--dashboards", type=int, default=500)
    p.add_argument("--clients", type=int, default=2)
    p.add_argument("--drive", action="store_true", help=argparse.SUPPRESS)
    return p


if __name__ == "__main__":
    options = parser().parse_args()
    if options.drive:
        a, b = f"{NET}.{ROLES['a']}", f"{NET}.{ROLES['b']}"
        print(json.dumps(asyncio.run(drive(options, a, b))), flush=True)
    else:
        report(main(options), COLUMNS)
