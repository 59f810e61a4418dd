"""Audit point 2: faults with everything running (bench/chaos.py, run small).

A private Redis is killed while the worker and beat keep running and check-ins keep
arriving, a dashboard connects while it is down, a private PostgreSQL restarts, and
the web process is killed and started again. Afterwards every 202 is stored and
decided, no request had a 500, the tally equals the rows, and every dashboard (the
one that connected during the outage too) shows it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench.servers import postgres_bin

from .servers import ROOT


@pytest.mark.skipif(postgres_bin() is None, reason="no PostgreSQL server binaries for a private cluster")
def test_faults_under_load_lose_nothing_and_heal() -> None:
    args = ["--rate", "10", "--outage", "2", "--calm", "1.5", "--heal-limit", "40", "--settle", "60", "--stale", "5"]
    run = subprocess.run(
        [sys.executable, "bench/chaos.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=400
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith('{"bench": "chaos"')]
    assert lines, run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(lines[-1])
    print(json.dumps(result["faults"]))
    assert result["passed"], result
    assert result["late_dashboard_connected_during_outage"], result
    assert all(fault["heal_s"] is not None for fault in result["faults"]), result["faults"]
    assert result["accepted"] > 0 and result["statuses"].get("500", 0) == 0
    assert run.returncode == 0
