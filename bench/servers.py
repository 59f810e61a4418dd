"""Private servers for fault runs: a Redis and a PostgreSQL of our own, on free ports,
to stop and start at will. The shared ones are never touched."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.common import Output, free_port
from goodmob.devserver import redis_server_args


class PrivateRedis:
    """`wrap` runs it inside something (`ip netns exec NAME`), listening on `host`."""

    def __init__(self, host: str = "127.0.0.1", wrap: tuple[str, ...] = ()) -> None:
        self.port = free_port()
        self.host, self.wrap = host, list(wrap)
        self.url = f"redis://{host}:{self.port}/0"
        self.workdir = tempfile.mkdtemp(prefix="goodmob-chaos-redis-")
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        args = [*self.wrap, *redis_server_args(self.port, self.workdir), "--bind", self.host]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE)
        Output(self.proc).wait_for("Ready to accept connections")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()  # as a crash would: no goodbye to the clients
            self.proc.wait()
            self.proc = None


def postgres_bin() -> Path | None:
    """The newest server binaries Debian installed, or pg_ctl on the PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    path = found[-1] if found else shutil.which("pg_ctl")
    return Path(path).parent if path else None


class PrivatePostgres:
    """A throwaway cluster (fsync off: nothing here needs to survive a power cut).
    initdb refuses to run as root: as root the cluster belongs to `postgres`."""

    def __init__(self, host: str = "127.0.0.1", wrap: tuple[str, ...] = ()) -> None:
        bindir = postgres_bin()
        if bindir is None:
            raise RuntimeError("no PostgreSQL server binaries (apt-get install postgresql)")
        self.bin = bindir
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="goodmob-chaos-pg-"))
        self.data = self.dir / "data"
        self.host, self.wrap = host, list(wrap)
        self.url = f"postgres://postgres@{host}:{self.port}/goodmob"
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        command = [*self.wrap, *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def _ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses={self.host} -c fsync=off -c max_connections=200"
        log = str(self.dir / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-w", "-t", "60", "-o", options, action, *extra)

    def start(self) -> None:
        if not self.data.exists():
            if self.as_root:
                shutil.chown(self.dir, "postgres")
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
            self._ctl("start")
            self._run("createdb", "-h", self.host, "-p", str(self.port), "-U", "postgres", "goodmob")
            return
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        if self.data.exists():
            try:
                self._ctl("stop", "-m", "immediate")
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


class SentinelRedis:
    """A primary, a replica and three sentinels (quorum 2) from the bundled redis-server,
    on free ports: a failover to watch. The sentinels call a primary down after
    `down_after_ms` without an answer."""

    SERVICE = "goodmob"

    def __init__(self, down_after_ms: int = 1000) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="goodmob-sentinel-"))
        self.primary_port, self.replica_port = free_port(), free_port()
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.down_after_ms = down_after_ms
        self.outputs: dict[str, Output] = {}  # by name; each holds its process

    @property
    def sentinels(self) -> str:
        return ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)

    def _start(self, name: str, args: list[str], ready: str) -> None:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.outputs[name] = Output(proc, self.workdir / f"{name}.log")
        self.outputs[name].wait_for(ready)

    def start(self) -> None:
        for name, port, extra in (
            ("primary", self.primary_port, []),
            ("replica", self.replica_port, ["--replicaof", "127.0.0.1", str(self.primary_port)]),
        ):
            folder = self.workdir / name
            folder.mkdir()
            self._start(name, redis_server_args(port, str(folder)) + extra, "Ready to accept connections")
        for n, port in enumerate(self.sentinel_ports):
            conf = self.workdir / f"sentinel{n}.conf"  # a sentinel rewrites its file: ours alone
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {self.workdir}\n"
                f"sentinel monitor {self.SERVICE} 127.0.0.1 {self.primary_port} 2\n"
                f"sentinel down-after-milliseconds {self.SERVICE} {self.down_after_ms}\n"
                f"sentinel failover-timeout {self.SERVICE} 10000\n"
            )
            self._start(f"sentinel{n}", [redis_server_args(0, "")[0], str(conf), "--sentinel"], "+monitor master")

    def primary(self) -> tuple[str, int] | None:
        import redis

        for port in self.sentinel_ports:
            try:
                found = redis.Redis(port=port, socket_timeout=1).sentinel_get_master_addr_by_name(self.SERVICE)
            except redis.RedisError:
                continue
            if found:
                return found[0], int(found[1])
        return None

    def wait_for_failover(self, timeout: float = 30) -> None:
        """Returns once a sentinel says it switched the service to a new primary."""
        self.outputs["sentinel0"].wait_for("+switch-master", timeout=timeout)

    def kill_primary(self) -> None:
        """SIGKILL, as a crash would."""
        proc = self.outputs.pop("primary").proc
        proc.kill()
        proc.wait()

    def stop(self) -> None:
        for output in self.outputs.values():
            output.proc.kill()
            output.proc.wait()
        self.outputs = {}
        shutil.rmtree(self.workdir, ignore_errors=True)
