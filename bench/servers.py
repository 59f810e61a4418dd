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
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = tempfile.mkdtemp(prefix="goodmob-chaos-redis-")
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(redis_server_args(self.port, self.workdir), stdout=subprocess.PIPE)
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

    def __init__(self) -> None:
        bindir = postgres_bin()
        if bindir is None:
            raise RuntimeError("no PostgreSQL server binaries (apt-get install postgresql)")
        self.bin = bindir
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="goodmob-chaos-pg-"))
        self.data = self.dir / "data"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/goodmob"
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def _ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        log = str(self.dir / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-w", "-t", "60", "-o", options, action, *extra)

    def start(self) -> None:
        if not self.data.exists():
            if self.as_root:
                shutil.chown(self.dir, "postgres")
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
            self._ctl("start")
            import psycopg

            with psycopg.connect(f"postgres://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
                conn.execute("CREATE DATABASE goodmob")
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
