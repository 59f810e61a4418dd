"""A real Celery worker (in a thread) on the real Redis broker and channel layer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async

from actions import services, tasks
from actions.models import Action, Phase

from . import factories
from .test_consumers import connected, next_of_type

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
    await sync_to_async(services.follow)(fan, organizer)
    token = await sync_to_async(services.issue_token)(fan)
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
