"""Fuzzing the action socket with hypothesis: any bytes, any text, any JSON, shaped or
not like our frames. Every frame gets a `pong` or an `error` frame; the socket stays
open, or closes with a documented code (1009: too large); the consumer never raises."""

from __future__ import annotations

import asyncio
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from . import factories
from .conftest import connected

pytestmark = pytest.mark.django_db(transaction=True)

DOCUMENTED_CLOSES = {1009}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30,
)
frame_shaped = st.fixed_dictionaries(
    {"type": st.sampled_from(["ping", "pong", "snapshot", "subscribe", ""]) | st.text(max_size=10)},
    optional={"client_time": json_values, "extra": json_values},
)
frames = st.one_of(
    st.binary(max_size=6000).map(lambda data: {"bytes": data}),
    st.text(max_size=6000).map(lambda text: {"text": text}),
    json_values.map(lambda value: {"text": json.dumps(value)}),
    frame_shaped.map(lambda value: {"text": json.dumps(value)}),
    st.integers(1, 3000).map(lambda depth: {"text": "[" * depth + "]" * depth}),
)


async def exchange(slug: str, frame: dict) -> None:
    ws = await connected(f"/ws/actions/{slug}/")
    assert (await ws.receive_json_from(timeout=5))["type"] == "snapshot"
    await ws.send_input({"type": "websocket.receive", **frame})  # raw: send_to refuses empty frames
    reply = await ws.receive_output(timeout=5)
    closed = None
    if reply["type"] == "websocket.send":
        message = json.loads(reply["text"])
        assert message["type"] in ("pong", "error"), message
        assert message["type"] == "pong" or (message["code"] and message["detail"])
        if not await ws.receive_nothing(timeout=0.05):
            closed = await ws.receive_output(timeout=5)
    else:
        closed = reply
    if closed is None:  # still open: it still answers
        await ws.send_json_to({"type": "ping", "client_time": 1})
        assert (await ws.receive_json_from(timeout=5))["type"] == "pong"
    else:
        assert closed["type"] == "websocket.close" and closed["code"] in DOCUMENTED_CLOSES, closed
    await ws.disconnect()  # re-raises anything the consumer raised


@settings(
    max_examples=int(os.environ.get("FUZZ_SOCKET_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(frame=frames)
def test_any_frame_gets_a_clear_answer(action_for_fuzz, frame: dict) -> None:
    asyncio.run(exchange(action_for_fuzz.slug, frame))


@pytest.fixture
def action_for_fuzz(transactional_db):
    return factories.action(factories.member("olga"))
