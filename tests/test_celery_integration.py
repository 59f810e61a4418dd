"""A real Celery worker (in a thread) on the real Redis broker and channel layer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async

from accounts import services as accounts
from actions import services, tasks
from actions.models import Action, CheckIn, CheckInStatus, Phase, Pledge
from social import services as social

from . import factories
from .conftest import connected, next_of_type

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def test_phase_flip_reaches_a_connected_socket(celery_worker):
    organizer = await sync_to_async(factories.member)("olga")
    action = await sync_to_async(factories.action)(organizer)
    ws = await connected(f"/ws/actions/{action.slug}/")
    assert (await ws.receive_json_from(timeout=5))["phase"] == "scheduled"

    await sync_to_async(factories.move_clock)(action, starts_in=timedelta(seconds=-1))
    tasks.advance_phase.delay(action.pk)

    flip = await next_of_type(ws, "phase", timeout=20)
    assert flip["phase"] == "live"
    snapshot = await next_of_type(ws, "snapshot", timeout=20)
    assert snapshot["phase"] == "live" and snapshot["seq"] >= 1
    assert (await sync_to_async(Action.objects.get)(pk=action.pk)).status == Phase.LIVE
    await ws.disconnect()


async def test_scheduled_flip_fires_on_its_own(celery_worker):
    """Launched to start a moment from now: the ETA task (or the sweep) flips it."""
    organizer = await sync_to_async(factories.member)("olga")
    action = await sync_to_async(services.launch_action)(
        organizer, factories.launch_input(starts_at=factories.timezone.now() + timedelta(seconds=1))
    )
    ws = await connected(f"/ws/actions/{action.slug}/")
    flip = await next_of_type(ws, "phase", timeout=20)
    assert flip["phase"] == "live"
    await ws.disconnect()


async def test_launch_reaches_followers_through_the_worker(celery_worker):
    organizer = await sync_to_async(factories.member)("star")
    fan = await sync_to_async(factories.member)("fan")
    await sync_to_async(social.follow)(fan, organizer)
    token = await sync_to_async(accounts.issue_token)(fan)
    ws = await connected("/ws/me/", (b"authorization", f"Bearer {token}".encode()))
    await ws.receive_json_from(timeout=5)

    action = await sync_to_async(factories.action)(organizer, title="Live launch")
    launch = await next_of_type(ws, "launch", timeout=20)
    assert launch["action"]["slug"] == action.slug
    await ws.disconnect()


async def test_pledge_burst_ends_in_one_exact_snapshot(celery_worker):
    organizer = await sync_to_async(factories.member)("olga")
    action = await sync_to_async(factories.action)(organizer)
    ws = await connected(f"/ws/actions/{action.slug}/")
    await ws.receive_json_from(timeout=5)

    for n in range(20):
        await sync_to_async(services.pledge)(action, await sync_to_async(factories.guest)(f"P{n}"))

    snapshots = []
    while not snapshots or snapshots[-1]["counts"]["pledged"] < 20:
        snapshots.append(await next_of_type(ws, "snapshot", timeout=20))
    assert snapshots[-1]["counts"]["pledged"] == 20
    # Coalesced: far fewer broadcasts than pledges, and seq only grows.
    assert len(snapshots) < 20
    assert [s["seq"] for s in snapshots] == sorted({s["seq"] for s in snapshots})
    await ws.disconnect()


SPOT = {"lat": 50.0617, "lon": 19.9373, "accuracy_m": 10.0}


def _live_action():
    action = factories.action(factories.member("olga"))
    return factories.move_clock(action, starts_in=timedelta(minutes=-1))


async def test_check_in_burst_is_verified_in_batches_and_counted_exactly(celery_worker):
    action = await sync_to_async(_live_action)()
    ws = await connected(f"/ws/actions/{action.slug}/")
    await ws.receive_json_from(timeout=5)

    def burst() -> None:
        for n in range(40):
            data = services.CheckInInput(idempotency_key=f"burst-{n:04d}", **SPOT)
            services.check_in(action, factories.guest(f"R{n}"), data)

    await sync_to_async(burst)()
    snapshots = []
    while not snapshots or snapshots[-1]["counts"]["checked_in"] < 40:
        snapshots.append(await next_of_type(ws, "snapshot", timeout=20))
    assert snapshots[-1]["counts"] == {"pledged": 40, "checked_in": 40, "deeds": 0, "goal": 50}
    assert len(snapshots) < 40  # coalesced: far fewer broadcasts than check-ins
    assert await sync_to_async(CheckIn.objects.filter(status=CheckInStatus.VERIFIED).count)() == 40
    await ws.disconnect()


async def test_sweep_recovers_a_check_in_whose_task_was_lost(celery_worker, settings):
    settings.GOODMOB = {**settings.GOODMOB, "PENDING_STALE_SECONDS": 0}
    action = await sync_to_async(_live_action)()

    def lost_check_in() -> CheckIn:
        # The row is stored but its verification task never reaches the broker.
        made = Pledge.objects.create(action=action, user=factories.guest("Lost"))
        return CheckIn.objects.create(pledge=made, idempotency_key="lost-000001", **SPOT)

    made = await sync_to_async(lost_check_in)()
    ws = await connected(f"/ws/actions/{action.slug}/")
    assert (await ws.receive_json_from(timeout=5))["counts"]["checked_in"] == 0

    tasks.sweep_pending.delay()
    snapshot = await next_of_type(ws, "snapshot", timeout=20)
    while snapshot["counts"]["checked_in"] < 1:
        snapshot = await next_of_type(ws, "snapshot", timeout=20)
    assert (await sync_to_async(CheckIn.objects.get)(pk=made.pk)).status == CheckInStatus.VERIFIED
    await ws.disconnect()


async def test_verdict_reaches_the_participant(celery_worker):
    action = await sync_to_async(_live_action)()
    user = await sync_to_async(factories.guest)("Vera")
    token = await sync_to_async(accounts.issue_token)(user)
    me = await connected("/ws/me/", (b"authorization", f"Bearer {token}".encode()))
    await me.receive_json_from(timeout=5)
    far = services.CheckInInput(idempotency_key="far-0000001", lat=50.2, lon=19.9373, accuracy_m=10.0)
    await sync_to_async(services.check_in)(action, user, far)
    verdict = await next_of_type(me, "checkin", timeout=20)
    assert verdict["status"] == "rejected" and verdict["reason"] == "too_far"
    assert "from the spot" in verdict["detail"]
    await me.disconnect()
