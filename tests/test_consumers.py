from __future__ import annotations

import json
from http.cookies import SimpleCookie

import pytest
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.test import Client

from accounts import services as accounts
from actions import services
from goodmob.asgi import application
from realtime import snapshots
from social import notify
from social import services as social

from . import factories
from .conftest import connected, next_of_type

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def action(transactional_db):
    return factories.action(factories.member("olga"))


async def test_snapshot_on_connect_and_ping(action):
    ws = await connected(f"/ws/actions/{action.slug}/")
    snap = await ws.receive_json_from(timeout=5)
    assert snap["type"] == "snapshot"
    assert snap["action"]["slug"] == action.slug
    assert snap["phase"] == "scheduled"
    assert snap["counts"] == {"pledged": 0, "checked_in": 0, "deeds": 0, "goal": 50}
    await ws.send_json_to({"type": "ping", "client_time": 1234})
    pong = await ws.receive_json_from(timeout=5)
    assert pong["type"] == "pong" and pong["client_time"] == 1234 and pong["server_now"].endswith("Z")
    await ws.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"text_data": "not json at all"}, "bad_json"),
        ({"text_data": "[1, 2, 3]"}, "bad_message"),
        ({"text_data": '{"no": "type"}'}, "bad_message"),
        ({"text_data": '{"type": "pledge"}'}, "unknown_type"),
        ({"bytes_data": b"\x00\x01\x02binary"}, "binary_not_supported"),
    ],
)
async def test_bad_frames_get_an_error_and_the_socket_stays(action, frame, code):
    ws = await connected(f"/ws/actions/{action.slug}/")
    await ws.receive_json_from(timeout=5)
    await ws.send_to(**frame)
    error = await ws.receive_json_from(timeout=5)
    assert error["type"] == "error" and error["code"] == code and error["detail"]
    await ws.send_json_to({"type": "ping"})
    assert (await ws.receive_json_from(timeout=5))["type"] == "pong"
    await ws.disconnect()


async def test_oversized_frame_closes_with_1009(action):
    ws = await connected(f"/ws/actions/{action.slug}/")
    await ws.receive_json_from(timeout=5)
    await ws.send_to(text_data=json.dumps({"type": "ping", "pad": "x" * 10_000}))
    assert (await ws.receive_json_from(timeout=5))["code"] == "too_large"
    assert await ws.receive_output(timeout=5) == {"type": "websocket.close", "code": 1009}


async def test_flooding_client_is_closed_with_1008(action):
    ws = await connected(f"/ws/actions/{action.slug}/")
    await ws.receive_json_from(timeout=5)
    for _ in range(60):
        await ws.send_json_to({"type": "ping"})
    outputs = []
    while True:
        output = await ws.receive_output(timeout=5)
        outputs.append(output)
        if output["type"] == "websocket.close":
            break
    assert outputs[-1]["code"] == 1008
    assert json.loads(outputs[-2]["text"])["code"] == "rate_limited"


async def test_unknown_slug_is_told_and_closed(transactional_db):
    ws = await connected("/ws/actions/no-such-action/")
    assert (await ws.receive_json_from(timeout=5))["code"] == "not_found"
    assert (await ws.receive_output(timeout=5))["code"] == 4404


async def test_foreign_origin_is_refused(action):
    ws = WebsocketCommunicator(
        application, f"/ws/actions/{action.slug}/", headers=[(b"origin", b"https://evil.example")]
    )
    ok, _ = await ws.connect(timeout=5)
    assert not ok


async def test_snapshot_broadcast_reaches_listeners(action):
    listeners = [await connected(f"/ws/actions/{action.slug}/") for _ in range(3)]
    for ws in listeners:
        await ws.receive_json_from(timeout=5)
    await sync_to_async(services.pledge)(action, await sync_to_async(factories.guest)("Pia"))
    seq = await sync_to_async(snapshots.publish_snapshot)(action.pk)
    for ws in listeners:
        snap = await next_of_type(ws, "snapshot")
        assert snap["seq"] == seq and snap["counts"]["pledged"] == 1
        assert snap["recent_pledges"] == [{"handle": snap["recent_pledges"][0]["handle"], "name": "Pia"}]
        await ws.disconnect()


async def test_cancel_reaches_open_pages(action):
    ws = await connected(f"/ws/actions/{action.slug}/")
    await ws.receive_json_from(timeout=5)
    await sync_to_async(services.cancel_action)(action, action.organizer)
    phase = await next_of_type(ws, "phase")
    assert phase["phase"] == "cancelled"
    await ws.disconnect()


async def test_me_socket_needs_a_user(transactional_db):
    ws = await connected("/ws/me/")
    assert (await ws.receive_json_from(timeout=5))["code"] == "unauthorized"
    assert (await ws.receive_output(timeout=5))["code"] == 4401
    ws = await connected("/ws/me/", (b"authorization", b"Bearer wrong"))
    assert (await ws.receive_json_from(timeout=5))["code"] == "unauthorized"


async def test_me_socket_by_bearer_gets_launches_and_friend_pledges(transactional_db):
    organizer = await sync_to_async(factories.member)("star")
    fan = await sync_to_async(factories.member)("fan")
    await sync_to_async(social.follow)(fan, organizer)
    token = await sync_to_async(accounts.issue_token)(fan)
    ws = await connected("/ws/me/", (b"authorization", f"Bearer {token}".encode()))
    assert (await ws.receive_json_from(timeout=5))["type"] == "hello"

    made = await sync_to_async(factories.action)(organizer, title="Fan meet clean-up")
    await sync_to_async(notify.announce_launch)(made.pk)
    launch = await next_of_type(ws, "launch")
    assert launch["action"]["slug"] == made.slug and launch["action"]["organizer"]["name"] == "Star"

    pledge, _ = await sync_to_async(services.pledge)(made, organizer)
    await sync_to_async(notify.announce_pledge)(pledge.pk)
    friend = await next_of_type(ws, "pledge")
    assert friend == {"type": "pledge", "slug": made.slug, "handle": "star", "name": "Star"}
    await ws.disconnect()


async def test_me_socket_by_session_cookie(transactional_db):
    user = await sync_to_async(factories.guest)("Cookie")
    client = Client()
    await sync_to_async(client.force_login)(user)
    cookie = SimpleCookie({"sessionid": client.cookies["sessionid"].value}).output(header="", sep=";").strip()
    ws = await connected("/ws/me/", (b"cookie", cookie.encode()))
    assert (await ws.receive_json_from(timeout=5))["type"] == "hello"
    await ws.disconnect()
