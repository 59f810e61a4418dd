"""The cascade: who brought whom on one action, read from rows.

A node is a person: everyone who pledged, and anyone whose share link brought people or
visits without a pledge of their own (stage `visited`). Each has a pseudonym that is
stable for the action and says nothing across actions; a display name appears only for
people who allow it (Profile.named_in_cascade). No node carries a place.

Edges point only to an earlier pledge (or to a sharer who never pledged): two people who
pledged through each other's links would otherwise make a loop, and the later pledge is
the one that was truly brought.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from operator import itemgetter
from typing import Any, Final, NamedTuple

import redis
from django.db import connection
from django.db.models import Exists, OuterRef, Subquery
from django.utils.crypto import salted_hmac

from accounts.models import Profile
from common import redis as goodmob_redis
from common import sql

from .models import Action, CheckIn, CheckInStatus, Pledge, ShareVisit

STAGES = ("visited", "pledged", "arrived", "done")


@functools.lru_cache(maxsize=200_000)  # the graph is redrawn every second: 11 µs a node adds up
def pseudonym(action_id: int, user_id: int) -> str:
    return salted_hmac("goodmob.cascade", f"{action_id}:{user_id}").hexdigest()[:12]


def _stage(checkin_status: str | None, deed_done: bool | None) -> str:
    if checkin_status != CheckInStatus.VERIFIED:
        return "pledged"
    return "done" if deed_done else "arrived"


def _pledge_rows(action_id: int) -> list[tuple[int, int, int | None, str | None, bool | None, str | None]]:
    """(pledge, person, referrer, check-in status, deed done, name if shown) in pledge
    order. The graph is redrawn every second or so: through the ORM, with the names asked
    by an `IN` of every person, reading 23,600 people took 0.6 s of CPU here and 0.1 s
    in plain SQL. The check-ins are joined by their action (its index) and the names by
    a lookup per person (the profile's user index): joining whole tables instead hashed
    every profile of the site (PostgreSQL: 230 ms, 80 to 120 ms this way)."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.id, p.user_id, p.referrer_id, c.status, c.deed_done_at IS NOT NULL,"
            f" {_shown_name('p.user_id')}"
            f" FROM {qn(Pledge._meta.db_table)} p"
            f" LEFT JOIN {qn(CheckIn._meta.db_table)} c ON c.pledge_id = p.id AND c.action_id = %s"
            " WHERE p.action_id = %s ORDER BY p.id",
            [action_id, action_id],
        )
        return cursor.fetchall()


def _shown_name(person: str) -> str:
    """SQL: the display name of the person in column `person`, if they allow it in the
    cascade (one lookup on the profile's user index)."""
    table = connection.ops.quote_name(Profile._meta.db_table)
    return f"(SELECT f.display_name FROM {table} f WHERE f.user_id = {person} AND f.named_in_cascade)"


# A node on the wire is an object of these fields. The publisher keeps and compares nodes as
# tuples in this order: building 24,000 dicts a redraw to find the few hundred that changed
# was a third of the redraw.
NODE_FIELDS = ("id", "name", "stage", "brought_by", "depth", "brought", "branch", "visits")
# Positions in a node, for the fields read by position (Final: typed by their own field).
ID: Final = 0
NAME: Final = 1
STAGE: Final = 2
BROUGHT_BY: Final = 3
DEPTH: Final = 4
BROUGHT: Final = 5
BRANCH: Final = 6
VISITS: Final = 7
Node = tuple[str, str | None, str, str | None, int, int, int, int]


class Drawing(NamedTuple):
    """The whole cascade: nodes in pledge order (parents first), totals by depth, and the
    person behind each pseudonym (never sent)."""

    nodes: Collection[Node]  # a redraw hands on its dict's values, not a copy
    totals: list[dict[str, int]]
    owners: dict[str, int]


def as_dict(node: Node) -> dict[str, Any]:
    return dict(zip(NODE_FIELDS, node, strict=True))


_fields_in_order = itemgetter(*NODE_FIELDS)


def as_node(fields: dict[str, Any]) -> Node:
    # itemgetter builds the tuple in C: a generator cost 2 µs a node reading back 24,000.
    return _fields_in_order(fields)


def draw(action: Action) -> Drawing:
    action_id = action.pk  # once: the pk property is 0.1 µs, 2.4 ms a redraw at 23,600 people
    rows = _pledge_rows(action_id)
    visits = dict(ShareVisit.objects.filter(action=action).values_list("sharer_id", "visits"))
    pledge_of = {user_id: pk for pk, user_id, *_ in rows}
    referrers = {ref for _, _, ref, *_ in rows if ref is not None}
    sharing = (referrers | visits.keys()) - pledge_of.keys()
    sharers = sorted(sharing)
    people = sharers + [user_id for _, user_id, *_ in rows]
    names = {user_id: name for _, user_id, _, _, _, name in rows if name is not None}
    if sharers:
        names.update(
            Profile.objects.filter(user_id__in=sharers, named_in_cascade=True).values_list("user_id", "display_name")
        )

    parent: dict[int, int | None] = {uid: None for uid in sharers}
    stage: dict[int, str] = {uid: "visited" for uid in sharers}
    for pk, user_id, referrer_id, status, done, _ in rows:
        # A set: `in` the sorted list scanned every sharer for every pledge.
        earlier = referrer_id is not None and (referrer_id in sharing or pledge_of.get(referrer_id, pk) < pk)
        parent[user_id] = referrer_id if earlier else None
        stage[user_id] = _stage(status, done)

    depth: dict[int, int] = {}
    brought: dict[int, int] = defaultdict(int)
    for uid in people:  # parents come first
        up = parent[uid]
        depth[uid] = 0 if up is None else depth[up] + 1
        if up is not None:
            brought[up] += 1
    branch: dict[int, int] = defaultdict(int)
    for uid in reversed(people):
        up = parent[uid]
        if up is not None:
            branch[up] += 1 + branch[uid]

    ids = {uid: pseudonym(action_id, uid) for uid in people}
    nodes: list[Node] = [
        (
            ids[uid],
            names.get(uid),
            stage[uid],
            ids[up] if (up := parent[uid]) is not None else None,
            depth[uid],
            brought.get(uid, 0),
            branch.get(uid, 0),
            visits.get(uid, 0),
        )
        for uid in people
    ]
    return Drawing(nodes, totals(nodes), {node_id: uid for uid, node_id in ids.items()})


class Noted(NamedTuple):
    """What changed since the graph was last sent: pledges, check-ins (verified, or their
    deed done) and share links visited (by sharer), by id."""

    pledges: frozenset[int]
    checkins: frozenset[int]
    sharers: frozenset[int]


def _changed_rows(action_id: int, noted: Noted) -> list[tuple[Any, ...]]:
    """The pledges behind the noted pledges and check-ins, in pledge order, as
    `_pledge_rows` reads them, and what placing a new one needs: their referrer's pledge
    (whether it came earlier), and for a referrer who never pledged, the name and visits
    of their node."""
    qn = connection.ops.quote_name
    pledges, checkins = sorted(noted.pledges), sorted(noted.checkins)
    pledge_table, checkin_table = qn(Pledge._meta.db_table), qn(CheckIn._meta.db_table)
    # A union of the two lookups by primary key: with an OR across the two tables
    # PostgreSQL joined every pledge of the action to its check-in first. Lookups by one
    # row (the referrer's pledge, names, visits) are subqueries on unique indexes: as a
    # join, on tables not yet analyzed, the referrers' pledges were scanned once per row
    # (120 to 320 ms a redraw at 20,000 people, auto_explain).
    wanted = " UNION ".join(
        [f"SELECT n.id FROM {pledge_table} n WHERE n.id IN ({sql.placeholders(pledges)})"] * bool(pledges)
        + [f"SELECT n.pledge_id FROM {checkin_table} n WHERE n.id IN ({sql.placeholders(checkins)})"] * bool(checkins)
    )
    if not wanted:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.id, p.user_id, p.referrer_id, c.status, c.deed_done_at IS NOT NULL,"
            f" {_shown_name('p.user_id')},"
            f" (SELECT r.id FROM {pledge_table} r WHERE r.action_id = p.action_id AND r.user_id = p.referrer_id),"
            f" {_shown_name('p.referrer_id')},"
            f" (SELECT v.visits FROM {qn(ShareVisit._meta.db_table)} v"
            "   WHERE v.action_id = p.action_id AND v.sharer_id = p.referrer_id)"
            f" FROM {pledge_table} p LEFT JOIN {checkin_table} c ON c.pledge_id = p.id"
            f" WHERE p.action_id = %s AND p.id IN ({wanted}) ORDER BY p.id",
            [action_id, *pledges, *checkins],
        )
        return cursor.fetchall()


def _visit_rows(action_id: int, sharers: list[int]) -> list[tuple[int, int, bool, str | None]]:
    """(sharer, visits, whether they pledged, name if shown) of these sharers."""
    if not sharers:
        return []
    rows = (
        ShareVisit.objects.filter(action_id=action_id, sharer_id__in=sharers)
        .annotate(
            pledged=Exists(Pledge.objects.filter(action_id=action_id, user_id=OuterRef("sharer_id"))),
            name=Subquery(
                Profile.objects.filter(user_id=OuterRef("sharer_id"), named_in_cascade=True).values("display_name")[:1]
            ),
        )
        .values_list("sharer_id", "visits", "pledged", "name")
    )
    return list(rows)


class Redrawn(NamedTuple):
    """What a redraw of noted changes did: the nodes it changed, in the order first
    changed (a new node after its parent), what each was before (None: new), and the
    people behind the nodes it read."""

    changed: list[Node]
    before: dict[str, Node | None]
    owners: dict[str, int]


def redraw(action: Action, nodes: dict[str, Node], noted: Noted) -> Redrawn | None:
    """The noted changes applied to the graph last sent (`nodes`, by id, changed in
    place), reading only their rows: at 23,600 people reading and building the whole
    graph took 60 ms of the worker's CPU every redraw, and it grows with the crowd. A new
    pledge goes under their referrer as `draw` would place it, and every node up the
    chain grows its branch.

    None, with `nodes` as it was, where a change reshapes the graph (someone who shared
    before pledging now pledges, and the people they brought before that lose them as a
    parent) or a referrer's earlier pledge is not in the graph yet: the caller then draws
    it whole. `draw` stays the truth; the caller draws whole now and then, which also
    brings in what no change notes (names shown or hidden, accounts deleted)."""
    action_id = action.pk
    before: dict[str, Node | None] = {}
    owners: dict[str, int] = {}

    def put(node: Node) -> None:
        if node[ID] not in before:
            before[node[ID]] = nodes.get(node[ID])
        nodes[node[ID]] = node

    def undone() -> Redrawn | None:
        for node_id, node in before.items():
            if node is None:
                del nodes[node_id]
            else:
                nodes[node_id] = node
        return None

    for pk, user_id, referrer_id, status, done, name, referrer_pk, referrer_name, referrer_visits in _changed_rows(
        action_id, noted
    ):
        node_id = pseudonym(action_id, user_id)
        owners[node_id] = user_id
        stage = _stage(status, done)
        known = nodes.get(node_id)
        if known is not None:
            if known[STAGE] == "visited":
                return undone()
            if (known[NAME], known[STAGE]) != (name, stage):
                put((node_id, name, stage, *known[BROUGHT_BY:]))
            continue
        up = None
        if referrer_id is not None and (referrer_pk is None or referrer_pk < pk):
            up = pseudonym(action_id, referrer_id)
            if up not in nodes:
                if referrer_pk is not None:
                    return undone()
                owners[up] = referrer_id
                put((up, referrer_name, "visited", None, 0, 0, 0, referrer_visits or 0))
        put((node_id, name, stage, up, 0 if up is None else nodes[up][DEPTH] + 1, 0, 0, 0))
        if up is not None:
            parent = nodes[up]
            put((*parent[:BROUGHT], parent[BROUGHT] + 1, *parent[BRANCH:]))
        for _ in range(len(nodes)):  # edges point to earlier nodes: the chain ends
            if up is None:
                break
            above = nodes[up]
            put((*above[:BRANCH], above[BRANCH] + 1, above[VISITS]))
            up = above[BROUGHT_BY]
    for sharer_id, visits, pledged, name in _visit_rows(action_id, sorted(noted.sharers)):
        node_id = pseudonym(action_id, sharer_id)
        known = nodes.get(node_id)
        if known is None:
            if pledged:  # their pledge is not in the graph yet
                return undone()
            owners[node_id] = sharer_id
            put((node_id, name, "visited", None, 0, 0, 0, visits))
        elif known[VISITS] != visits:
            put((*known[:VISITS], visits))
    return Redrawn([nodes[node_id] for node_id in before], before, owners)


def retotaled(last: list[dict[str, int]], redrawn: Redrawn) -> list[dict[str, int]]:
    """`totals` after a redraw, from the last totals and the nodes it changed. A redraw
    never moves a node to another depth nor lowers its visits, so no level empties."""
    levels = {level["depth"]: dict(level) for level in last}
    for node in redrawn.changed:
        was = redrawn.before[node[ID]]
        if was is not None:
            _count(levels, was[DEPTH], was[STAGE], was[VISITS], -1)
        _count(levels, node[DEPTH], node[STAGE], node[VISITS], 1)
    return [levels[depth] for depth in sorted(levels)]


def totals(nodes: Collection[Node]) -> list[dict[str, int]]:
    """Per depth: visits through the links of the level above, and how many people there
    pledged, arrived and did the deed (each stage counts everyone past it too)."""
    levels: dict[int, dict[str, int]] = {}
    for (depth, stage), count in Counter((node[DEPTH], node[STAGE]) for node in nodes).items():
        _count(levels, depth, stage, 0, count)
    for node in nodes:
        if node[VISITS]:
            _level(levels, node[DEPTH] + 1)["visited"] += node[VISITS]
    return [levels[depth] for depth in sorted(levels)]


def _level(levels: dict[int, dict[str, int]], depth: int) -> dict[str, int]:
    return levels.setdefault(depth, {"depth": depth, **dict.fromkeys(STAGES, 0)})


def _count(levels: dict[int, dict[str, int]], depth: int, stage: str, visits: int, times: int) -> None:
    """`times` people at `depth` in `stage` whose links were visited `visits` times each
    (negative: taken away). A level of sharers only still has its row."""
    level = _level(levels, depth)
    for name in STAGES[1 : STAGES.index(stage) + 1]:
        level[name] += times
    if visits:
        _level(levels, depth + 1)["visited"] += times * visits


def frame(
    slug: str, drawing: Drawing, seq: int, nodes: list[Node] | None = None, removed: Sequence[str] = ()
) -> dict[str, Any]:
    """The `cascade` frame: the whole graph (`full`), or only the nodes that changed."""
    return {
        "type": "cascade",
        "slug": slug,
        "seq": seq,
        "full": nodes is None,
        "nodes": [as_dict(node) for node in (drawing.nodes if nodes is None else nodes)],
        "removed": list(removed),
        "totals": drawing.totals,
        "people": len(drawing.nodes),
    }


def seq_key(action_id: int) -> str:
    """The number of the last cascade frame sent for the action (realtime/cascades.py)."""
    return goodmob_redis.key("cascade", "seq", action_id)


def current_frame(action: Action) -> dict[str, Any]:
    """The whole graph read now, under the seq of the last frame sent (0 if Redis has none)."""
    try:
        seq = int(goodmob_redis.client().get(seq_key(action.pk)) or 0)
    except redis.RedisError:
        seq = 0
    return frame(action.slug, draw(action), seq)


def changes(old: dict[str, Node], new: dict[str, Node]) -> tuple[list[Node], list[str]]:
    """Nodes (by id) new or changed since `old`, in `new`'s order, and the ids gone (an
    account deleted)."""
    changed = [node for node_id, node in new.items() if old.get(node_id) != node]
    return changed, [node_id for node_id in old if node_id not in new]


def own_branch(pledge: Pledge) -> dict[str, Any]:
    """One pledger's place in the cascade without reading all of it: their pseudonym, how
    many their link brought and how many those brought in turn (level by level)."""
    action_id = pledge.action_id
    frontier: dict[int, int | None] = {pledge.user_id: pledge.pk}  # person -> their pledge pk
    levels: list[int] = []
    while frontier:
        children = Pledge.objects.filter(action_id=action_id, referrer_id__in=list(frontier)).values_list(
            "pk", "user_id", "referrer_id"
        )
        found: dict[int, int | None] = {
            uid: pk for pk, uid, ref in children if (up := frontier[ref]) is None or up < pk
        }
        levels.append(len(found))
        frontier = found
    return {"id": pseudonym(action_id, pledge.user_id), "brought": levels[0], "branch": sum(levels)}
