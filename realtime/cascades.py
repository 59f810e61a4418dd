"""The cascade on the wire: coalesced `cascade` frames of what changed, to the screens
that draw the graph (the `cascade.<id>` group), and each person's own node to their feed
when their branch grows. Redis keeps the last whole graph and the changes since for late
joiners; the database stays the truth, and a lost copy only means the next frame is a
whole graph.

A redraw reads only the rows of what changed (noted by the listeners beside their ask
for a redraw) and applies them to the last graph sent; now and then, and whenever a
change reshapes the graph or nothing was noted, it reads the graph whole."""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any, NamedTuple, cast

import redis
from celery import shared_task
from django.conf import settings

from actions import cascade, events
from actions.cascade import BRANCH, ID
from actions.models import Action
from actions.protocol import encode
from common import coalesce, jsontext
from common import redis as goodmob_redis
from common.tasks import IDEMPOTENT

from . import publish

KEPT_SECONDS = 24 * 3600


def group(action_id: int) -> str:
    return f"cascade.{action_id}"


def cascade_ask(action_id: int, notes: tuple[str, ...] = ()) -> coalesce.Ask:
    return coalesce.Ask("cascade", action_id, publish_cascade, settings.GOODMOB["CASCADE_COALESCE_SECONDS"], notes)


def request_cascade(action_id: int, notes: tuple[str, ...] = ()) -> None:
    coalesce.request_all(cascade_ask(action_id, notes))


# A change to the graph, noted for the next redraw to read only its rows: p<pledge id>,
# c<check-in id>, v<sharer's user id>.
NOTE_PREFIXES = {"p": "pledges", "c": "checkins", "v": "sharers"}


def cascade_notes(event: events.Event) -> tuple[str, ...]:
    if isinstance(event, events.Pledged):
        return tuple(f"p{pledge_id}" for pledge_id, _ in event.pledges)
    if isinstance(event, events.CheckInsVerified):
        return tuple(f"c{checkin_id}" for checkin_id in event.checkin_ids)
    if isinstance(event, events.DeedDone):
        return (f"c{event.checkin_id}",)
    if isinstance(event, events.ShareVisited):
        return (f"v{event.sharer_id}",)
    return ()


def _noted(notes: set[str]) -> cascade.Noted:
    ids: dict[str, set[int]] = {field: set() for field in NOTE_PREFIXES.values()}
    for note in notes:
        field = NOTE_PREFIXES.get(note[:1])
        if field is not None and note[1:].isdigit():
            ids[field].add(int(note[1:]))
    return cascade.Noted(**{field: frozenset(found) for field, found in ids.items()})


def _full_key(action_id: int) -> str:
    return goodmob_redis.key("cascade", "full", action_id)


def _since_key(action_id: int) -> str:
    return goodmob_redis.key("cascade", "since", action_id)


def last_texts(action_id: int) -> list[str] | None:
    """The last whole graph sent and every change sent since, as frame texts in order
    (None when Redis has no whole graph): applied in turn they make the graph now."""
    try:
        pipe = goodmob_redis.client().pipeline()  # one transaction: never a whole with another's changes
        pipe.get(_full_key(action_id))
        pipe.lrange(_since_key(action_id), 0, -1)
        packed, since = pipe.execute()
    except redis.RedisError:
        return None
    if not isinstance(packed, bytes):
        return None
    return [zlib.decompress(packed).decode(), *(text.decode() for text in since)]


# Between whole graphs, Redis keeps the changes sent since the last one, for late joiners:
# encoding and compressing 24,000 nodes every redraw was a third of it. A whole graph
# is written again once the changes since add up to this share of its size, so a late
# joiner never reads much more than two whole graphs.
WHOLE_AFTER = 1.0


class Kept(NamedTuple):
    """The last graph this process sent for an action, and what Redis holds of it."""

    seq: int
    nodes: dict[str, cascade.Node]
    totals: list[dict[str, int]]
    whole_bytes: int
    since_bytes: int


# Reading the last graph back from Redis (2.7 MB of JSON at 23,600 people) cost 35 ms of
# CPU a redraw. At most about 0.3 KB a node (35,400 measured when nodes were dicts; tuples
# take less): this many in all bounds the copies to about 60 MB a process.
KEPT_NODES = 200_000
_kept: dict[int, Kept] = {}


def _keep(action_id: int, kept: Kept) -> None:
    _kept.pop(action_id, None)
    if sum(len(other.nodes) for other in _kept.values()) + len(kept.nodes) > KEPT_NODES:
        _kept.clear()
    if len(kept.nodes) <= KEPT_NODES:  # a bigger graph is read back from Redis each time
        _kept[action_id] = kept


def _last_sent(r: redis.Redis, action_id: int) -> Kept | None:
    """What the last frame sent for the action left on screens, by whichever process.
    Prefork children take turns, so every other redraw finds this process's copy behind:
    it is brought up to date with the changes the others added to Redis' list since,
    while the list holds them all; else Redis' whole graph and changes are read back.
    When their last frame is the last numbered one, the next change is added after it
    as this process's own would be; a frame numbered but never stored (its process died
    between the two) leaves no bytes to build on, so the next frame is stored whole.
    None when Redis has none: the next frame is then a whole graph."""
    pipe = r.pipeline(transaction=False)
    pipe.get(cascade.seq_key(action_id))
    pipe.exists(_full_key(action_id))
    last, present = pipe.execute()
    seq = int(last or 0)
    kept = _kept.pop(action_id, None)
    caught_up = _caught_up(r, action_id, kept, seq) if kept is not None and present else None
    if caught_up is not None:
        _keep(action_id, caught_up)
        return caught_up
    texts = last_texts(action_id)
    if texts is None:
        return None
    held = _sent(
        Kept(0, {}, [], whole_bytes=len(texts[0]), since_bytes=0),
        [jsontext.loads(text) for text in texts],
        since_bytes=sum(map(len, texts[1:])),
    )
    return held if held.seq == seq else held._replace(seq=seq, whole_bytes=0, since_bytes=0)


def _sent(kept: Kept, frames: list[dict[str, Any]], since_bytes: int) -> Kept:
    """`kept` with these frames applied in order, as screens apply them."""
    nodes, totals = kept.nodes, kept.totals
    for sent in frames:
        if sent["full"]:
            nodes.clear()
        nodes.update((node["id"], cascade.as_node(node)) for node in sent["nodes"])
        for gone in sent["removed"]:
            nodes.pop(gone, None)
        totals = sent["totals"]
    return Kept(frames[-1]["seq"], nodes, totals, kept.whole_bytes, since_bytes)


def _caught_up(r: redis.Redis, action_id: int, kept: Kept, seq: int) -> Kept | None:
    """This process's copy brought up to `seq` (as it is, when no one sent since) by the
    changes the other processes added to Redis' list since: only those are read, not the
    whole graph (76 to 106 ms at 23,760 people). None when they are not all there (a
    whole graph was stored since, or a frame was numbered and never stored)."""
    if seq == kept.seq:
        return kept
    if seq < kept.seq:
        return None
    since = cast(list[bytes], r.lrange(_since_key(action_id), kept.seq - seq, -1))  # no decode_responses
    texts = [text.decode() for text in since]
    newer = [jsontext.loads(text) for text in texts]
    if [sent["seq"] for sent in newer] != list(range(kept.seq + 1, seq + 1)):
        return None
    return _sent(kept, newer, since_bytes=kept.since_bytes + sum(map(len, texts)))


def _store(r: redis.Redis, action_id: int, text: str, *, whole: bool) -> None:
    """A whole graph replacing the changes kept since, or one more change after them."""
    pipe = r.pipeline()
    if whole:
        pipe.set(_full_key(action_id), zlib.compress(text.encode(), 1), ex=KEPT_SECONDS)
        pipe.delete(_since_key(action_id))
    else:
        pipe.rpush(_since_key(action_id), text)
        pipe.expire(_since_key(action_id), KEPT_SECONDS)
        pipe.expire(_full_key(action_id), KEPT_SECONDS)
    pipe.execute()


def _branch(node: cascade.Node | None) -> int:
    return node[BRANCH] if node is not None else 0


def _owners_key(action_id: int) -> str:
    return goodmob_redis.key("cascade", "owners", action_id)


def _owners(
    r: redis.Redis, action_id: int, drawing: cascade.Drawing, changed: list[cascade.Node], wanted: list[str]
) -> dict[str, int]:
    """The person behind each `wanted` node. A redraw of a few changes knows only the
    people it read, not those up their chains: Redis keeps who is behind every node
    (never sent anywhere), written as nodes are added or change."""
    known = {node[ID]: drawing.owners[node[ID]] for node in changed if node[ID] in drawing.owners}
    missing = [node_id for node_id in wanted if node_id not in drawing.owners]
    found = {node_id: drawing.owners[node_id] for node_id in wanted if node_id in drawing.owners}
    pipe = r.pipeline(transaction=False)
    if known:
        pipe.hset(_owners_key(action_id), mapping=known)  # type: ignore[arg-type]
        pipe.expire(_owners_key(action_id), KEPT_SECONDS)
    if missing:
        pipe.hmget(_owners_key(action_id), missing)
    try:
        replies = pipe.execute()
    except redis.RedisError:
        return found  # the frame went out; only some feeds miss this one
    if missing:
        found.update((node_id, int(owner)) for node_id, owner in zip(missing, replies[-1], strict=True) if owner)
    return found


# Every this many frames the graph is read whole whatever was noted: that brings in what
# no note tells (a name shown or hidden, an account deleted, a note Redis lost).
WHOLE_READ_EVERY = 30


def _most_notes(sent: Kept) -> int:
    """Past this many notes the whole graph is read instead, and the ids stay out of the
    statement's text. A noted row costs PostgreSQL about five times a row of the whole
    read (10 ms for 2,000 against 27 ms for 23,600), but the worker builds only the
    changed nodes, where a whole redraw builds every one (2 µs each): the two cost
    about the same at half the graph."""
    return min(10_000, max(500, len(sent.nodes) // 2))


class Redraw(NamedTuple):
    """The graph now, its nodes by id, what changed since the last frame (nodes, and ids
    removed), and what each changed node was before (missing or None: new)."""

    drawing: cascade.Drawing
    nodes: dict[str, cascade.Node]
    changed: list[cascade.Node]
    removed: list[str]
    before: Mapping[str, cascade.Node | None]


def _redrawn(action: Action, sent: Kept | None, notes: set[str] | None) -> Redraw:
    """The noted changes applied to the last graph sent, or the graph read whole."""
    if sent is not None and notes and (sent.seq + 1) % WHOLE_READ_EVERY and len(notes) <= _most_notes(sent):
        redrawn = cascade.redraw(action, sent.nodes, _noted(notes))
        if redrawn is not None:
            totals = cascade.retotaled(sent.totals, redrawn)
            drawing = cascade.Drawing(sent.nodes.values(), totals, redrawn.owners)
            return Redraw(drawing, sent.nodes, redrawn.changed, [], redrawn.before)
    old = sent.nodes if sent is not None else {}
    drawing = cascade.draw(action)
    nodes = {node[ID]: node for node in drawing.nodes}
    return Redraw(drawing, nodes, *cascade.changes(old, nodes), old)


@shared_task(**IDEMPOTENT)
def publish_cascade(action_id: int) -> int | None:
    """Send what changed in the graph since the last frame; returns the frame's seq."""
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
            sent = _last_sent(r, action_id)
            try:
                return _send(r, action, sent, coalesce.take_notes("cascade", action_id))
            except BaseException:
                # A redraw changes this process's copy in place: one that did not go
                # out must not be the base of the next frame.
                _kept.pop(action_id, None)
                raise
    finally:
        r.delete(lock)


def _send(r: redis.Redis, action: Action, sent: Kept | None, notes: set[str] | None) -> int | None:
    """Redraw the graph, store and send the frame of what changed, and tell each person
    whose branch grew; returns the frame's seq (None: nothing changed)."""
    action_id = action.pk
    drawing, nodes, changed, removed, before = _redrawn(action, sent, notes)
    if sent is not None and not changed and not removed and sent.totals == drawing.totals:
        return None
    seq = int(r.incr(cascade.seq_key(action_id)))
    # With no earlier graph (the first frame, or Redis lost it) screens must replace theirs.
    delta = None if sent is None else encode(cascade.frame(action.slug, drawing, seq, changed, removed))
    whole_bytes, since_bytes = (sent.whole_bytes, sent.since_bytes) if sent is not None else (0, 0)
    if delta is not None and since_bytes + len(delta) <= whole_bytes * WHOLE_AFTER:
        _store(r, action_id, delta, whole=False)
        since_bytes += len(delta)
    else:
        text = encode(cascade.frame(action.slug, drawing, seq))
        _store(r, action_id, text, whole=True)
        whole_bytes, since_bytes = len(text), 0
        delta = delta or text
    _keep(action_id, Kept(seq, nodes, drawing.totals, whole_bytes, since_bytes))
    publish.publish([(group(action_id), delta)])
    # Each person whose link brought someone new sees their own node on their feed.
    grown = [node for node in changed if node[BRANCH] != _branch(before.get(node[ID]))]
    owners = _owners(r, action_id, drawing, changed, [node[ID] for node in grown])
    publish.to_each_user(
        (owners[node[ID]], cascade.frame(action.slug, drawing, seq, [node])) for node in grown if node[ID] in owners
    )
    return seq
