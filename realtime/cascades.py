"""The cascade on the wire: coalesced `cascade` frames of what changed, to the screens
that draw the graph (the `cascade.<id>` group), and each person's own node to their feed
when their branch grows. The last whole graph is kept in Redis for late joiners; the
database stays the truth, and a lost copy only means the next frame is a whole graph."""

from __future__ import annotations

import json
import zlib

import redis
from celery import shared_task
from django.conf import settings

from actions import cascade
from actions.models import Action
from actions.protocol import encode
from common import coalesce
from common import redis as goodmob_redis
from common.tasks import IDEMPOTENT

from . import publish

KEPT_SECONDS = 24 * 3600


def group(action_id: int) -> str:
    return f"cascade.{action_id}"


def cascade_ask(action_id: int) -> coalesce.Ask:
    return coalesce.Ask("cascade", action_id, publish_cascade, settings.GOODMOB["CASCADE_COALESCE_SECONDS"])


def request_cascade(action_id: int) -> None:
    coalesce.request_all(cascade_ask(action_id))


def _full_key(action_id: int) -> str:
    return goodmob_redis.key("cascade", "full", action_id)


def last_full_text(action_id: int) -> str | None:
    """The last whole graph sent, as its frame's text (None when Redis has none)."""
    try:
        packed = goodmob_redis.client().get(_full_key(action_id))
    except redis.RedisError:
        return None
    return zlib.decompress(packed).decode() if isinstance(packed, bytes) else None


@shared_task(**IDEMPOTENT)
def publish_cascade(action_id: int) -> int | None:
    """Read the graph, send what changed since the last frame; returns the frame's seq."""
    r = goodmob_redis.client()
    lock = goodmob_redis.key("cascade", "lock", action_id)
    # One reader at a time per action: two overlapping ones could send an older graph
    # under a newer seq.
    if not r.set(lock, 1, nx=True, px=30_000):
        request_cascade(action_id)
        return None
    try:
        with coalesce.resting("cascade", action_id):
            action = Action.objects.filter(pk=action_id).first()
            if action is None or action.is_hidden:
                return None
            shape = cascade.graph(action)
            text = last_full_text(action_id)
            before = json.loads(text) if text else None
            old = {node["id"]: node for node in before["nodes"]} if before else {}
            changed, removed = cascade.changes(old, shape["nodes"])
            if before is not None and not changed and not removed and before["totals"] == shape["totals"]:
                return None
            seq = int(r.incr(cascade.seq_key(action_id)))
            whole = encode(cascade.frame(action.slug, shape, seq))
            r.set(_full_key(action_id), zlib.compress(whole.encode(), 1), ex=KEPT_SECONDS)
            # With no earlier graph (the first frame, or Redis lost it) screens must replace theirs.
            delta = whole if before is None else encode(cascade.frame(action.slug, shape, seq, changed, removed))
            publish.publish([(group(action_id), delta)])
            # Each person whose link brought someone new sees their own node on their feed.
            grown = [node for node in changed if node["branch"] != old.get(node["id"], {}).get("branch", 0)]
            publish.to_each_user((shape["owners"][n["id"]], cascade.frame(action.slug, shape, seq, [n])) for n in grown)
            return seq
    finally:
        r.delete(lock)
