"""Fuzzing the HTTP API with schemathesis against a real web process (the Procfile's
line, the bearer fast path included): every check on, bounded in examples and time.
It must find no 5xx, no response outside the schema and no disagreement between the
schema and the behaviour. FUZZ_EXAMPLES and FUZZ_SEED widen a run (`make fuzz`)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from accounts import services as accounts

from . import factories
from .servers import ROOT, fake_geocoder, free_port, start_web, subprocess_env

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_api_survives_schemathesis_with_every_check(tmp_path: Path) -> None:
    fuzzer = factories.member("fuzzer")
    action = factories.move_clock(factories.action(fuzzer), starts_in=timedelta(minutes=-1))
    token = accounts.issue_token(fuzzer)
    port = free_port()
    with fake_geocoder() as geocoder:
        env = subprocess_env(
            RATE_LIMIT_SCALE="1000",
            GOODMOB_FUZZ_SLUG=action.slug,
            GOODMOB_FUZZ_CODE=action.join_code,
            GEOCODER_URL=geocoder,
        )
        report, code = fuzz(env, port, token, tmp_path)
    counts = re.search(r"(\d+) generated", report)
    print(f"schemathesis: {counts.group(0) if counts else 'no count'}; exit {code}")
    assert code == 0, report[-6000:]
    assert counts and int(counts.group(1)) > 100, report[-3000:]
    assert "Traceback" not in (tmp_path / "web.log").read_text()


def fuzz(env: dict[str, str], port: int, token: str, tmp_path: Path) -> tuple[str, int]:
    web = start_web(env, port, tmp_path / "web.log")
    try:
        run = subprocess.run(
            [
                str(Path(sys.executable).parent / "st"),
                "--config-file",
                str(ROOT / "tests" / "schemathesis.toml"),
                "run",
                f"http://127.0.0.1:{port}/api/v1/openapi.json",
                "--checks",
                "all",
                "--header",
                f"Authorization: Bearer {token}",
                "--max-examples",
                os.environ.get("FUZZ_EXAMPLES", "10"),
                "--seed",
                os.environ.get("FUZZ_SEED", "20261122"),
                "--max-time",
                os.environ.get("FUZZ_MAX_TIME", "45"),
                # One worker: with two, schemathesis's threads call ast.parse at once, which
                # CPython 3.11 does not survive ("AST constructor recursion depth mismatch").
                "--workers",
                "1",
                # Deleting the fuzzer's own account would turn the rest of the run into 401s;
                # tests/test_personal_data.py covers that operation.
                "--exclude-operation-id",
                "accounts_api_delete_me",
                "--suppress-health-check",
                "all",
                "--warnings",
                "off",
            ],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=int(os.environ.get("FUZZ_MAX_TIME", "45")) + 60,
        )
    finally:
        web.proc.terminate()
        web.proc.wait(timeout=20)
    return run.stdout + run.stderr, run.returncode
