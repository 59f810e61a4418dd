"""Prometheus metrics of every process kind (web, worker), one definition each.

Several processes serve one site: with PROMETHEUS_MULTIPROC_DIR set (the Procfile's
processes share var/metrics), each writes its values to files there and `/metrics`
sums them across processes; without it, each process reports its own. prometheus-client
reads that variable when it is first imported, so it comes from the environment the
processes start with (`make run` sets it to a fresh var/metrics).
"""

from __future__ import annotations

import atexit
import os

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.multiprocess import mark_process_dead

SOCKETS_OPEN = Gauge("goodmob_sockets_open", "Websockets open, by route", ["route"], multiprocess_mode="livesum")
BROADCASTS = Counter("goodmob_broadcasts", "Frames handed to a group of this process's sockets")
FRAMES_SENT = Counter("goodmob_frames_sent", "Frames written to sockets")
CHECKINS_ACCEPTED = Counter("goodmob_checkins_accepted", "Check-ins stored and answered 202")
CHECKINS_JUDGED = Counter("goodmob_checkins_judged", "Check-ins decided by the verifier", ["status"])
VERIFICATION_LAG = Histogram(
    "goodmob_verification_lag_seconds",
    "From a check-in's arrival until its verdict is stored",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
WEBHOOK_ATTEMPTS = Counter("goodmob_webhook_attempts", "Webhook delivery attempts, by outcome", ["outcome"])
PUSHES_SENT = Counter("goodmob_pushes", "Web pushes sent, by outcome", ["outcome"])


def forget_on_exit() -> None:
    """A process that ends takes its live gauges (open sockets) out of the sum."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        atexit.register(mark_process_dead, os.getpid())


def forget(pid: int) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        mark_process_dead(pid)
