"""Audit item 2: a dashboard that connects while Redis is down must still get every
later snapshot once Redis is back, and so must the sockets that connect after it.

Before the fix the failed SUBSCRIBE left the group marked as joined: the first socket
was dropped and every later one got its first snapshot and then nothing, for good.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator

from actions import services
from common import redis as goodmob_redis
from realtime import snapshots

from . import factories
from .conftest import connected
from .servers import PrivateRedis

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def private_redis(settings) -> Iterator[PrivateRedis]:  # type: ignore[no-untyped-def]
    server = PrivateRedis()
    server.start()
    settings.REDIS_URL = server.url
    goodmob_redis.client.cache_clear()
    yield server
    server.stop()
    goodmob_redis.client.cache_clear()


async def snapshot_reaches(ws: WebsocketCommunicator, action_id: int, *, within: float = 20.0) -> dict:
    """Publish fresh snapshots until one arrives: the hub subscribes in the background."""
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        seq = await sync_to_async(snapshots.publish_snapshot)(action_id)
        # receive_nothing waits without cancelling the socket (a receive timeout would).
        while not await ws.receive_nothing(timeout=0.25):
            frame = await ws.receive_json_from(timeout=5)
            if frame["type"] == "snapshot" and frame["seq"] == seq:
                return frame
    raise AssertionError("no snapshot reached the socket after Redis came back")


async def test_sockets_that_connect_during_an_outage_heal(private_redis: PrivateRedis) -> None:
    action = await sync_to_async(lambda: factories.action(factories.member("olga")))()
    private_redis.stop()

    during = await connected(f"/ws/actions/{action.slug}/")
    first = await during.receive_json_from(timeout=5)
    assert first["type"] == "snapshot"  # served from the database while Redis is down

    await sync_to_async(private_redis.start)()
    after = await connected(f"/ws/actions/{action.slug}/")
    assert (await after.receive_json_from(timeout=5))["type"] == "snapshot"

    pledger = await sync_to_async(factories.guest)()
    await sync_to_async(services.pledge)(action, pledger)
    healed = await snapshot_reaches(during, action.pk)
    assert healed["counts"]["pledged"] == 1
    assert (await snapshot_reaches(after, action.pk))["counts"]["pledged"] == 1
    await during.disconnect()
    await after.disconnect()
