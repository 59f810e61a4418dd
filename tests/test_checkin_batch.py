"""Check-ins by the crowd: many in one statement (PostgreSQL), the same answers as one by one."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services as accounts
from actions import events, selectors, services
from actions.models import CheckIn, CheckInStatus, Pledge
from common.errors import Conflict, Invalid
from common.pool import GroupCommit

from . import factories
from .conftest import call, capture_events

SPOT = (50.0617, 19.9373)
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the one-statement batch is PostgreSQL's; elsewhere one by one"
)


def attempt(key: str, lat: float = SPOT[0]) -> services.CheckInInput:
    return services.CheckInInput(idempotency_key=key, lat=lat, lon=SPOT[1], accuracy_m=12.0)


@pytest.fixture
def live(organizer):
    return factories.move_clock(factories.action(organizer), starts_in=timedelta(minutes=-1))


@pytest.mark.django_db
def test_a_mixed_batch_answers_each_person_as_one_by_one_would(live):
    newcomer, pledged, replaying, retrying, twice = (factories.guest(f"G{n}") for n in range(5))
    services.pledge(live, pledged)
    earlier, _ = services.check_in(live, replaying, attempt("replay-0001"))
    far, _ = services.check_in(live, retrying, attempt("far-000001", lat=SPOT[0] + 0.1))
    services.verify_pending(live.pk)

    results = services.check_in_many(
        live,
        [
            (newcomer, attempt("new-0000001")),
            (pledged, attempt("pledged-001")),
            (replaying, attempt("replay-0001")),
            (replaying, attempt("replay-0001", lat=SPOT[0] + 0.01)),
            (retrying, attempt("retry-00001")),
            (twice, attempt("twice-00001")),
            (twice, attempt("twice-00001")),
            (newcomer, attempt("short")),
        ],
    )

    fresh, for_pledged, replayed, reused, retried, first, second, invalid = results
    assert fresh.status == CheckInStatus.PENDING and CheckIn.objects.get(pk=fresh.pk).pledge.user == newcomer
    assert CheckIn.objects.get(pk=for_pledged.pk).pledge.user == pledged
    # The batch answers with the columns, not the row: the same answer as the row's.
    assert selectors.checkin_state(live, fresh) == selectors.checkin_state(live, CheckIn.objects.get(pk=fresh.pk))
    assert replayed.pk == earlier.pk
    assert isinstance(reused, Conflict) and reused.code == "idempotency_key_reused"
    assert retried.pk == far.pk and retried.status == CheckInStatus.PENDING
    assert first.pk == second.pk
    assert isinstance(invalid, Invalid)
    assert CheckIn.objects.filter(pledge__action=live).count() == 5
    assert Pledge.objects.filter(action=live).count() == 5
    assert services.verify_pending(live.pk) == 4


@on_postgresql
@pytest.mark.django_db
def test_a_crowd_of_first_check_ins_is_one_statement(live, django_capture_on_commit_callbacks):
    crowd = [factories.guest(f"Runner {n}") for n in range(40)]
    services.pledge(live, crowd[0])
    jobs: list[Callable[[], None]] = []
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
        events.dispatch_with(jobs.append),
    ):
        results = services.check_in_many(live, [(u, attempt(f"crowd-{n:05}")) for n, u in enumerate(crowd)])
    writes = [q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"]]
    assert len(writes) == 1
    assert len({r.pk for r in results}) == 40
    # One background job tells both: the check-ins to verify and the 39 new pledges.
    assert len(jobs) == 1
    with capture_events() as seen:
        jobs[0]()
    assert [(type(e), len(e.checkin_ids if isinstance(e, events.CheckInsReceived) else e.pledges)) for e in seen] == [
        (events.CheckInsReceived, 40),
        (events.Pledged, 39),
    ]
    assert CheckIn.objects.filter(pledge__action=live, status=CheckInStatus.PENDING).count() == 40


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_batch_is_its_one_statement(organizer):
    live = factories.move_clock(factories.action(organizer), starts_in=timedelta(minutes=-1))
    crowd = [factories.guest(f"Runner {n}") for n in range(5)]
    statements: list[tuple[str, bool]] = []

    def record(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        statements.append((sql.split()[0], connection.get_autocommit()))
        return execute(sql, params, many, context)

    with capture_events() as seen, connection.execute_wrapper(record):
        results = services.check_in_many(live, [(u, attempt(f"alone-{n:05}")) for n, u in enumerate(crowd)])
    # No transaction or savepoint around it: the statement commits by itself, and its
    # events follow at once.
    assert statements[0] == ("WITH", True)
    assert not any(word in {"SAVEPOINT", "BEGIN"} for word, _ in statements)
    assert {type(e) for e in seen} == {events.CheckInsReceived, events.Pledged}
    assert CheckIn.objects.filter(pk__in=[r.pk for r in results]).count() == 5


def test_group_commit_gathers_whoever_comes_while_a_batch_runs():
    seen: list[list[int]] = []
    started, release = threading.Event(), threading.Event()

    def run_batch(items: list[int]) -> list[int | BaseException]:
        seen.append(items)
        if items == [0]:
            started.set()
            release.wait(timeout=10)
        return [ValueError("odd") if n % 2 else n * 10 for n in items]

    writes = GroupCommit(run_batch, in_flight=1, size=100)

    async def scenario() -> list[object]:
        first = asyncio.ensure_future(writes.submit(0))
        assert await asyncio.to_thread(started.wait, 10)  # a lone item goes at once
        queued = asyncio.Event()
        count = 0

        async def submit(n: int) -> int:
            nonlocal count
            count += 1
            if count == 7:
                queued.set()
            # No await between the count and submit's enqueue: once `queued` is set,
            # all seven items are waiting.
            return await writes.submit(n)

        rest = [asyncio.ensure_future(submit(n)) for n in range(1, 8)]
        await asyncio.wait_for(queued.wait(), timeout=10)
        release.set()
        return await asyncio.gather(first, *rest, return_exceptions=True)

    results = asyncio.run(scenario())
    assert seen == [[0], [1, 2, 3, 4, 5, 6, 7]]
    assert results[0::2] == [0, 20, 40, 60]
    assert all(isinstance(r, ValueError) for r in results[1::2])


def recorded_batches() -> tuple[list[list[int]], Callable[[list[int]], list[int]]]:
    seen: list[list[int]] = []

    def run_batch(items: list[int]) -> list[int]:
        seen.append(items)
        return items

    return seen, run_batch


async def a_batch_elsewhere() -> None:
    """Returns once a batch of another GroupCommit, submitted now, has been through the hot
    pool: any flush that was due when it was submitted has run by then."""
    await GroupCommit(lambda items: items, in_flight=1, size=1).submit(0)


def test_group_commit_lingers_for_the_crowd_after_a_batch_but_not_after_a_quiet_spell():
    seen, run_batch = recorded_batches()
    # An hour's linger: only `fill` can start the second batch before the test times out.
    writes = GroupCommit(run_batch, in_flight=1, size=100, fill=3, linger=3600)

    async def scenario() -> list[int]:
        first = await asyncio.wait_for(writes.submit(0), timeout=10)  # the first in a while goes at once
        second = asyncio.ensure_future(writes.submit(1))
        await a_batch_elsewhere()  # long enough for a batch without a linger to have started
        rest = [asyncio.ensure_future(writes.submit(n)) for n in (2, 3)]
        return [first, *await asyncio.wait_for(asyncio.gather(second, *rest), timeout=10)]

    assert asyncio.run(scenario()) == [0, 1, 2, 3]
    assert seen == [[0], [1, 2, 3]]


def test_group_commit_without_a_linger_starts_the_next_batch_at_once():
    seen, run_batch = recorded_batches()
    writes = GroupCommit(run_batch, in_flight=1, size=100)

    async def scenario() -> None:
        await writes.submit(0)
        second = asyncio.ensure_future(writes.submit(1))
        await a_batch_elsewhere()
        await asyncio.gather(second, *(writes.submit(n) for n in (2, 3)))

    asyncio.run(scenario())
    assert seen == [[0], [1], [2, 3]]


def test_group_commit_sends_a_short_batch_once_the_linger_is_over():
    seen, run_batch = recorded_batches()
    writes = GroupCommit(run_batch, in_flight=1, size=100, fill=50, linger=0.05)

    async def scenario() -> list[int]:
        return [await asyncio.wait_for(writes.submit(n), timeout=10) for n in range(3)]

    assert asyncio.run(scenario()) == [0, 1, 2]
    assert seen == [[0], [1], [2]]


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_concurrent_check_ins_at_the_door_each_get_their_own_answer():
    action = await sync_to_async(
        lambda: factories.move_clock(factories.action(factories.member("olga")), starts_in=timedelta(minutes=-1))
    )()
    tokens = [
        await sync_to_async(accounts.issue_token)(await sync_to_async(factories.guest)(f"P{n}")) for n in range(12)
    ]
    tokens.append("not-a-token-at-all")
    body = {"lat": SPOT[0], "lon": SPOT[1], "accuracy_m": 10}
    answers = await asyncio.gather(
        *(
            call(f"/api/v1/actions/{action.slug}/checkins", t, {**body, "idempotency_key": f"door-{n:05}"})
            for n, t in enumerate(tokens)
        )
    )
    assert [status for status, _, _ in answers] == [202] * 12 + [401]
    assert len({body["id"] for _, body, _ in answers[:12]}) == 12
    stored = await sync_to_async(lambda: list(CheckIn.objects.values_list("id", flat=True)))()
    assert sorted(stored) == sorted(body["id"] for _, body, _ in answers[:12])
    assert json.dumps(answers[12][1]).startswith('{"error": "unauthorized"')
