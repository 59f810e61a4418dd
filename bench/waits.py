"""Who waits on whom during a bench run: what serializes shows up here, not in a CPU
profile.

`Waits` samples, on a thread of its own, every `interval` seconds:
- PostgreSQL's `pg_stat_activity` for the bench database: each backend's state and wait
  event (`Lock:transactionid`, `LWLock:WALWrite`, `IO:DataFileRead`, `Client:ClientRead`
  ...), counted over the samples;
- `pg_locks`: how many lock requests were waiting, and on which relation;
and reads Redis' `INFO commandstats` and `SLOWLOG` before and after, so the run's own
commands (calls and µs per call) and anything slower than Redis' slow-log threshold
are reported.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import psycopg
import redis

ACTIVITY = """
SELECT state, COALESCE(wait_event_type || ':' || wait_event, 'cpu') FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND state IS NOT NULL
"""
LOCK_WAITS = """
SELECT COALESCE(c.relname, l.locktype), l.mode FROM pg_locks l
LEFT JOIN pg_class c ON c.oid = l.relation WHERE NOT l.granted
"""


def _command_stats(client: redis.Redis) -> dict[str, tuple[int, int]]:
    """command -> (calls, µs in all)."""
    return {
        name.removeprefix("cmdstat_"): (int(stats["calls"]), int(stats["usec"]))
        for name, stats in client.info("commandstats").items()
    }


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


class Waits:
    def __init__(self, database_url: str, redis_url: str, interval: float = 0.05) -> None:
        self.database_url = database_url
        self.redis = redis.Redis.from_url(redis_url)
        self.interval = interval
        self.states: Counter[str] = Counter()
        self.lock_waits: Counter[str] = Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def start(self) -> None:
        self.redis.slowlog_reset()
        self.commands_before = _command_stats(self.redis)
        self._thread.start()

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        self._thread.join()
        after = _command_stats(self.redis)
        commands = {
            name: (calls - self.commands_before.get(name, (0, 0))[0], usec - self.commands_before.get(name, (0, 0))[1])
            for name, (calls, usec) in after.items()
        }
        slow = self.redis.slowlog_get(10)
        return {
            "pg_samples": self.samples,
            # Per sample, how many backends were in each state: 0.5 means half a backend
            # on average.
            "pg_backends_by_wait": {key: round(n / max(1, self.samples), 2) for key, n in self.states.most_common(12)},
            "pg_lock_waits_by_relation": {
                key: round(n / max(1, self.samples), 3) for key, n in self.lock_waits.most_common(8)
            },
            "redis_commands": {
                name: {"calls": calls, "us_per_call": round(usec / calls, 1)}
                for name, (calls, usec) in sorted(commands.items(), key=lambda kv: -kv[1][1])[:10]
                if calls > 0
            },
            "redis_slowlog": [{"us": entry["duration"], "command": _text(entry["command"])[:80]} for entry in slow],
        }

    def _sample(self) -> None:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while not self._stop.is_set():
                for state, wait in conn.execute(ACTIVITY).fetchall():
                    self.states[wait if state == "active" else state] += 1
                for relation, mode in conn.execute(LOCK_WAITS).fetchall():
                    self.lock_waits[f"{relation} {mode}"] += 1
                self.samples += 1
                self._stop.wait(self.interval)
