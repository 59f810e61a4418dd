"""Operable: liveness, readiness, Prometheus metrics summed across real web processes,
request ids on answers and log lines, JSON logs, and 4xx logged once without a trace."""

from __future__ import annotations

import json
import logging
import os
import re
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import NamedTuple

import pytest
from websockets.sync.client import connect

from . import factories
from .servers import Output, free_port, start_web, subprocess_env


@pytest.mark.django_db
def test_healthz_answers_without_touching_the_stores(client, django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}
    assert answer["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_readyz_says_which_store_is_down(client, settings) -> None:
    from common import redis as goodmob_redis

    assert client.get("/readyz").json() == {"status": "ready", "checks": {"database": True, "redis": True}}
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    goodmob_redis.client.cache_clear()
    try:
        answer = client.get("/readyz")
    finally:
        goodmob_redis.client.cache_clear()
    assert answer.status_code == 503 and answer["Retry-After"] == "5"
    assert answer.json() == {"error": "not_ready", "detail": "Not answering: redis."}


def sample(text: str, name: str, labels: str = "") -> float | None:
    found = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.M)
    return float(found.group(1)) if found else None


@pytest.mark.django_db(transaction=True)
def test_metrics_count_checkins_and_read_the_backlog(client, action, settings) -> None:
    from actions import services

    live = factories.move_clock(action, starts_in=factories.timedelta(minutes=-1))
    before = sample(client.get("/metrics").content.decode(), "goodmob_checkins_accepted_total") or 0
    person = factories.guest("Ada")
    client.force_login(person)
    answer = client.post(
        f"/api/v1/actions/{live.slug}/checkins",
        {"lat": live.lat, "lon": live.lon, "accuracy_m": 5, "idempotency_key": "metrics-0001"},
        content_type="application/json",
    )
    assert answer.status_code == 202
    text = client.get("/metrics").content.decode()
    assert sample(text, "goodmob_checkins_accepted_total") == before + 1
    assert sample(text, "goodmob_checkins_pending") == 1
    assert sample(text, "goodmob_celery_queue_depth") is not None
    services.verify_pending(live.pk)
    text = client.get("/metrics").content.decode()
    assert sample(text, "goodmob_checkins_pending") == 0
    assert sample(text, "goodmob_checkins_judged_total", '{status="verified"}') >= 1
    assert sample(text, "goodmob_verification_lag_seconds_count") >= 1


@pytest.mark.django_db
def test_metrics_can_ask_for_a_token(client, settings) -> None:
    settings.METRICS_TOKEN = "s3cret-scrape"
    refused = client.get("/metrics")
    assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"}).status_code == 200


class Web(NamedTuple):
    address: str
    output: Output  # its lines, to wait for


@pytest.fixture
def two_webs(tmp_path: Path) -> Iterator[list[Web]]:
    """Two web processes as the Procfile runs them, sharing one metrics folder."""
    shared = tmp_path / "metrics"
    shared.mkdir()
    env = subprocess_env(PROMETHEUS_MULTIPROC_DIR=str(shared), LOG_FORMAT="json", LOG_LEVEL="INFO")
    webs = []
    try:
        for n in range(2):
            port = free_port()
            webs.append(Web(f"127.0.0.1:{port}", start_web(env, port, tmp_path / f"web{n}.log")))
        yield webs
    finally:
        for web in webs:
            web.output.proc.terminate()
            web.output.proc.wait(timeout=20)


def scrape(address: str) -> str:
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=10) as answer:
        return answer.read().decode()


@pytest.mark.django_db(transaction=True)
def test_metrics_sum_the_sockets_of_every_web_process(two_webs: list[Web], action) -> None:
    first, second = (web.address for web in two_webs)
    with ExitStack() as stack:
        for address, count in ((first, 2), (second, 3)):
            for _ in range(count):
                ws = stack.enter_context(
                    connect(f"ws://{address}/ws/actions/{action.slug}/", origin=f"http://{address}", open_timeout=10)
                )
                assert json.loads(ws.recv(timeout=10))["type"] == "snapshot"  # joined its group
        for address in (first, second):
            assert sample(scrape(address), "goodmob_sockets_open", '{route="action"}') == 5
    # Closed sockets leave the sum (the server has seen the close once it answers it).
    for address in (first, second):
        assert sample(scrape(address), "goodmob_sockets_open", '{route="action"}') == 0


@pytest.mark.django_db(transaction=True)
def test_request_ids_are_answered_and_logged_as_json(two_webs: list[Web]) -> None:
    address, output = two_webs[0]
    request = urllib.request.Request(f"http://{address}/api/v1/nowhere", headers={"X-Request-ID": "trace-42.a"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 404 and refused.value.headers["X-Request-ID"] == "trace-42.a"
    # An id that is not a sane token is replaced, not echoed.
    hostile = urllib.request.Request(f"http://{address}/healthz", headers={"X-Request-ID": "a b <script>" + "x" * 80})
    with urllib.request.urlopen(hostile, timeout=10) as answer:
        assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-ID"])
    # The edge door (bearer-token check-ins) carries ids too.
    edge = urllib.request.Request(
        f"http://{address}/api/v1/actions/nothing-here/checkins", data=b"{}", method="POST",
        headers={"Authorization": "Bearer nope", "Content-Type": "application/json", "X-Request-ID": "edge-7"},
    )  # fmt: skip
    with pytest.raises(urllib.error.HTTPError) as unauthorized:
        urllib.request.urlopen(edge, timeout=10)
    assert unauthorized.value.code == 401 and unauthorized.value.headers["X-Request-ID"] == "edge-7"
    for request_id in ("trace-42.a", "edge-7"):  # the log lines, as the process writes them
        output.wait_for(f'"request_id": "{request_id}"', timeout=10)
    records = [json.loads(line) for line in output.lines if line.startswith("{")]
    mine = [r for r in records if r.get("request_id") == "trace-42.a"]
    assert len(mine) == 1 and mine[0]["level"] == "WARNING" and "exc_info" not in mine[0]
    assert {"time", "level", "logger", "message"} <= set(mine[0])
    refused = [r for r in records if r.get("request_id") == "edge-7"]
    assert len(refused) == 1 and refused[0]["level"] == "WARNING" and "exc_info" not in refused[0]
    assert "401 unauthorized" in refused[0]["message"]


@pytest.mark.django_db
def test_expected_refusals_are_logged_once_without_a_traceback(client, action, caplog) -> None:
    caplog.set_level(logging.INFO)
    client.force_login(factories.guest("Bea"))
    answers = [
        client.get("/no/such/page"),
        client.get("/api/v1/actions/no-such-action"),
        client.post(f"/api/v1/actions/{action.slug}/checkins", b"{not json", content_type="application/json"),
        client.post(f"/api/v1/actions/{action.slug}/checkins", {"lat": 999}, content_type="application/json"),
    ]
    assert [a.status_code for a in answers] == [404, 404, 400, 422]
    assert all(record.exc_info is None for record in caplog.records)
    warned = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warned) <= len(answers)
    for path in ("/no/such/page", "/api/v1/actions/no-such-action"):
        assert sum(path in r.getMessage() for r in caplog.records) == 1


def test_request_ids_differ_within_a_process_and_after_a_fork() -> None:
    from common.logs import new_id

    first, second = new_id(), new_id()
    assert first != second and re.fullmatch(r"[0-9a-f]{32}", first)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child's id must not repeat the parent's next one
        os.write(write, new_id().encode())
        os._exit(0)
    os.waitpid(child, 0)
    os.close(write)
    theirs = os.read(read, 64).decode()
    os.close(read)
    assert theirs[:16] != first[:16] and new_id()[:16] == first[:16]
