"""The one publisher: many messages in a few commands, each to its own group, in order."""

from __future__ import annotations

import uuid

from common import redis as goodmob_redis
from realtime import publish
from realtime.hub import channel_for


def test_many_messages_reach_their_groups_in_order_across_chunks_and_a_script_flush(monkeypatch) -> None:
    monkeypatch.setattr(publish, "PUBLISH_CHUNK", 3)
    groups = [f"user.test-{uuid.uuid4().hex}" for _ in range(2)]
    listener = goodmob_redis.client().pubsub()
    listener.subscribe(*(channel_for(group) for group in groups))
    for _ in groups:
        assert listener.get_message(timeout=5)["type"] == "subscribe"
    goodmob_redis.client().script_flush()  # a new primary has no scripts: loaded again
    sent = [(groups[n % 2], f'{{"n": {n}, "text": "\\u00e9 \\" {n}"}}') for n in range(7)]
    try:
        publish.publish(sent)
        got = []
        while len(got) < len(sent):
            message = listener.get_message(timeout=5)
            assert message is not None, got
            got.append((message["channel"].decode(), message["data"].decode()))
    finally:
        listener.close()
    assert got == [(channel_for(group), text) for group, text in sent]
