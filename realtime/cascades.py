"""The cascade on the wire: coalesced `cascade` frames of what changed, to the screens
that draw the graph (the `cascade.<id>` group), and each person's own node to their feed
when their branch grows. The last whole graph is kept in Redis for late joiners; the
database stays the truth, and a lost copy only means the next frame is a whole graph."""

from __future__ import annotations

import json
import zlib
from typing import Any

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


# The last graph this process sent, by action: (seq, nodes by id, totals). Reading it back
# from Redis (2.7 MB of JSON at 23,600 people) cost 35 ms of CPU a redraw.
# About 0.3 KB a node (35,400 measured): this many in all bounds the copies to about
# 60 MB a process.
KEPT_NODES = 200_000
_kept: dict[int, tuple[int, dict[str, dict[str, Any]], list[dict[str, int]]]] = {}


def _keep(action_id: int, seq: int, shape: dict[str, Any]) -> None:
    _kept.pop(action_id, None)
    if sum(len(nodes) for _, nodes, _ in _kept.values()) + len(shape["nodes"]) > KEPT_NODES:
        _kept.clear()
    if len(shape["nodes"]) <= KEPT_NODES:  # a bigger graph is read back from Redis each time
        _kept[action_id] = (seq, {node["id"]: node for node in shape["nodes"]}, shape["totals"])


def _last_sent(r: redis.Redis, action_id: int) -> tuple[dict[str, dict[str, Any]], list[dict[str, int]]] | None:
    """The nodes (by id) and totals of the last frame sent for the action, by whichever
    process: this process's copy while its seq is still the last, else Redis' (None
    when Redis has none: the next frame is then a whole graph)."""
    pipe = r.pipeline(transaction=False)
    pipe.get(cascade.seq_key(action_id))
    pipe.exists(_full_key(action_id))
    seq, present = pipe.execute()
    kept = _kept.get(action_id)
    if kept is not None and present and int(seq or 0) == kept[0]:
        return kept[1], kept[2]
    _kept.pop(action_id, None)
    text = last_full_text(action_id)
    if text is None:
        return None
    before = json.loads(text)
    return {node["id"]: node for node in before["nodes"]}, before["totals"]


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
            sent = _last_sent(r, action_id)
            old, old_totals = sent or ({}, None)
            changed, removed = cascade.changes(old, shape["nodes"])
            if sent is not None and not changed and not removed and old_totals == shape["totals"]:
                return None
            seq = int(r.incr(cascade.seq_key(action_id)))
            whole = encode(cascade.frame(action.slug, shape, seq))
            r.set(_full_key(action_id), zlib.compress(whole.encode(), 1), ex=KEPT_SECONDS)
            _keep(action_id, seq, shape)
            # With no earlier graph (the first frame, or Redis lost it) screens must replace theirs.
            delta = whole if sent is None else encode(cascade.frame(action.slug, shape, seq, changed, removed))
            publish.publish([(group(action_id), delta)])
            # Each person whose link brought someone new sees their own node on their feed.
            grown = [node for node in changed if node["branch"] != old.get(node["id"], {}).get("branch", 0)]
            publish.to_each_user((shape["owners"][n["id"]], cascade.frame(action.slug, shape, seq, [n])) for n in grown)
            return seq
    finally:
        r.delete(lock)
