"""Audit, low: the websocket Origin check takes scheme and port; unknown paths and
unicode slugs are told `not_found` (4404) instead of an HTTP 500; a flood close sends
nothing after the close."""

from __future__ import annotations

import pytest
from channels.testing.websocket import WebsocketCommunicator
from django.conf import settings

from goodmob.asgi import application

from . import factories
from .conftest import connected

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]
HOST = (b"host", b"127.0.0.1:8000")


@pytest.fixture
def action(transactional_db):
    return factories.action(factories.member("olga"))


@pytest.mark.parametrize(
    ("origin", "admitted"),
    [
        (b"http://127.0.0.1:8000", True),
        (b"https://127.0.0.1:8000", False),  # another scheme
        (b"http://127.0.0.1:8001", False),  # another port
        (b"http://127.0.0.1", False),
        (b"null", False),
    ],
)
async def test_origin_must_be_this_site_exactly(action, origin: bytes, admitted: bool) -> None:
    ws = WebsocketCommunicator(application, f"/ws/actions/{action.slug}/", headers=[HOST, (b"origin", origin)])
    ok, _ = await ws.connect(timeout=5)
    assert ok is admitted
    await ws.disconnect()


async def test_a_trusted_origin_is_admitted(action, settings) -> None:
    settings.CSRF_TRUSTED_ORIGINS = ["https://goodmob.example"]
    ws = WebsocketCommunicator(
        application, f"/ws/actions/{action.slug}/", headers=[HOST, (b"origin", b"https://goodmob.example")]
    )
    assert (await ws.connect(timeout=5))[0]
    await ws.disconnect()


@pytest.mark.parametrize("path", ["/ws/nothing/", "/ws/actions/żółw/", "/ws/actions/a/b/", "/elsewhere"])
async def test_unknown_socket_paths_are_told_and_closed(path: str) -> None:
    ws = await connected(path)
    assert (await ws.receive_json_from(timeout=5))["code"] == "not_found"
    assert (await ws.receive_output(timeout=5))["code"] == 4404
    await ws.send_input({"type": "websocket.disconnect", "code": 4404})
    await ws.wait(timeout=5)  # re-raises anything the consumer raised


async def test_nothing_is_sent_after_a_flood_close(action) -> None:
    ws = await connected(f"/ws/actions/{action.slug}/")
    await ws.receive_json_from(timeout=5)
    for _ in range(settings.GOODMOB["WS_MAX_FRAMES_PER_10S"] + 20):
        await ws.send_json_to({"type": "ping"})
    outputs = []
    while (message := await ws.receive_output(timeout=5))["type"] != "websocket.close":
        outputs.append(message)
    assert message["code"] == 1008
    for _ in range(5):  # still arriving from the client after the close
        await ws.send_json_to({"type": "ping"})
    assert await ws.receive_nothing(timeout=0.2)
    await ws.send_input({"type": "websocket.disconnect", "code": 1008})
    await ws.wait(timeout=5)  # re-raises "Unexpected ASGI message" if anything was sent
