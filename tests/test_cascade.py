"""The cascade: who brought whom, its privacy, visits, the API and the coalesced frames."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async

from accounts import services as accounts
from accounts.models import Profile
from actions import cascade, protocol, services
from actions.models import Pledge, ShareVisit

from . import factories
from .conftest import assert_problem, capture_events, connected, next_of_type

pytestmark = pytest.mark.django_db


def _nodes(action):
    drawing = cascade.draw(action)
    return drawing, {drawing.owners[node[cascade.ID]]: cascade.as_dict(node) for node in drawing.nodes}


def _branch(action, user):
    return cascade.own_branch(Pledge.objects.get(action=action, user=user))


def _chain(action):
    """ann came directly; bob through ann; cy through bob; dee through ann; eve is a guest through cy."""
    ann, bob, cy, dee = (factories.member(n) for n in ("ann", "bob", "cy", "dee"))
    eve = factories.guest("Eve")
    services.pledge(action, ann)
    services.pledge(action, bob, ref_handle="ann")
    services.pledge(action, cy, ref_handle="bob")
    services.pledge(action, dee, ref_handle="ann")
    services.pledge(action, eve, ref_handle=cy.profile.handle)
    return ann, bob, cy, dee, eve


def test_the_graph_has_depths_branches_and_totals(action):
    ann, bob, cy, dee, eve = _chain(action)
    factories.move_clock(action, starts_in=timedelta(minutes=-1))
    services.check_in(action, bob, services.CheckInInput("bob-key-1", **factories.SPOT))
    services.verify_pending(action.pk)
    services.mark_deed_done(action, bob)

    shape, by_user = _nodes(action)
    a, b, c, d, e = (by_user[u.pk] for u in (ann, bob, cy, dee, eve))
    assert (a["depth"], b["depth"], c["depth"], d["depth"], e["depth"]) == (0, 1, 2, 1, 3)
    assert b["brought_by"] == a["id"] and e["brought_by"] == c["id"] and a["brought_by"] is None
    assert (a["brought"], a["branch"]) == (2, 4)
    assert (b["brought"], b["branch"]) == (1, 2)
    assert b["stage"] == "done" and a["stage"] == "pledged"
    assert shape.totals == [
        {"depth": 0, "visited": 0, "pledged": 1, "arrived": 0, "done": 0},
        {"depth": 1, "visited": 0, "pledged": 2, "arrived": 1, "done": 1},
        {"depth": 2, "visited": 0, "pledged": 1, "arrived": 0, "done": 0},
        {"depth": 3, "visited": 0, "pledged": 1, "arrived": 0, "done": 0},
    ]
    protocol.check(cascade.frame(action.slug, shape, 1))
    positions = (cascade.ID, cascade.STAGE, cascade.DEPTH, cascade.BRANCH, cascade.VISITS)
    assert [cascade.NODE_FIELDS[n] for n in positions] == ["id", "stage", "depth", "branch", "visits"]


def test_names_only_for_people_who_allow_them_and_never_a_place(action):
    ann, bob, cy, dee, eve = _chain(action)
    Profile.objects.filter(user=dee).update(named_in_cascade=False)
    _, by_user = _nodes(action)
    assert by_user[ann.pk]["name"] == "Ann"
    assert by_user[dee.pk]["name"] is None  # a member who turned it off
    assert by_user[eve.pk]["name"] is None  # guests are pseudonymous unless they opt in
    text = json.dumps(cascade.current_frame(action))
    for secret in ("dee", "Dee", "Eve", eve.profile.handle, "lat", "lon", "cell", "Market"):
        assert secret not in text


def test_pseudonyms_are_stable_per_action_and_differ_between_actions(action):
    ann = factories.member("ann")
    other = factories.action(factories.member("otto"))
    services.pledge(action, ann)
    services.pledge(other, ann)
    first, _ = _nodes(action)
    again, _ = _nodes(action)
    elsewhere, _ = _nodes(other)
    assert first.nodes[0][cascade.ID] == again.nodes[0][cascade.ID] != elsewhere.nodes[0][cascade.ID]


def test_two_people_who_joined_through_each_other_make_no_loop(action):
    ann, bob = factories.member("ann"), factories.member("bob")
    services.pledge(action, ann, ref_handle="bob")  # bob shared before pledging
    services.pledge(action, bob, ref_handle="ann")
    _, by_user = _nodes(action)
    assert by_user[ann.pk]["brought_by"] is None and by_user[ann.pk]["depth"] == 0
    assert by_user[bob.pk]["brought_by"] == by_user[ann.pk]["id"]
    assert _branch(action, ann) == {
        "id": by_user[ann.pk]["id"],
        "brought": 1,
        "branch": 1,
    }
    assert _branch(action, bob)["branch"] == 0


def test_a_sharer_who_never_pledged_is_a_visited_node(action, organizer):
    ann = factories.member("ann")
    services.pledge(action, ann, ref_handle=organizer.profile.handle)
    _, by_user = _nodes(action)
    assert by_user[organizer.pk]["stage"] == "visited"
    assert by_user[ann.pk]["brought_by"] == by_user[organizer.pk]["id"]


def test_own_branch_matches_the_graph(action):
    ann, *_ = _chain(action)
    _, by_user = _nodes(action)
    assert _branch(action, ann) == {
        "id": by_user[ann.pk]["id"],
        "brought": 2,
        "branch": 4,
    }


def test_visits_are_counted_per_sharer_once_per_browser(client, action):
    ann = factories.member("ann")
    services.pledge(action, ann)
    url = f"/a/{action.slug}?ref=ann"
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200  # the same browser again
    assert ShareVisit.objects.get(action=action, sharer=ann).visits == 1
    other = type(client)()
    other.get(url)
    assert ShareVisit.objects.get(action=action, sharer=ann).visits == 2
    for bad in ("nobody-here", "x" * 500, "%F0%9F%98%80", ""):
        assert client.get(f"/a/{action.slug}?ref={bad}").status_code == 200
    assert client.get(f"/a/{action.slug}?ref=%00").status_code == 400  # bad bytes are refused before the view
    _, by_user = _nodes(action)
    assert by_user[ann.pk]["visits"] == 2
    assert cascade.draw(action).totals[1]["visited"] == 2


def test_opening_ones_own_link_counts_nothing(client, action):
    ann = factories.member("ann")
    services.pledge(action, ann)
    client.force_login(ann)
    client.get(f"/a/{action.slug}?ref=ann")
    assert not ShareVisit.objects.exists()


def test_the_api_gives_the_whole_graph(api, action):
    _chain(action)
    response = api.get(f"/api/v1/actions/{action.slug}/cascade")
    assert response.status_code == 200
    body = response.json()
    protocol.check(body)
    assert body["full"] is True and body["people"] == 5
    assert_problem(api.get("/api/v1/actions/no-such-action/cascade"), 404, "not_found")
    services.hide_action(action, "spam")
    assert_problem(api.get(f"/api/v1/actions/{action.slug}/cascade"), 410, "hidden")


def test_the_page_shows_a_participant_their_branch(client, action):
    ann, *_ = _chain(action)
    client.force_login(ann)
    page = client.get(f"/a/{action.slug}").content.decode()
    me = json.loads(page.split('id="me" type="application/json">')[1].split("</script>")[0])
    assert me["branch"]["brought"] == 2 and me["branch"]["branch"] == 4


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_late_joiners_get_the_graph_and_then_coalesced_changes(celery_worker):
    action = await sync_to_async(factories.action)(await sync_to_async(factories.member)("olga"))
    ann = await sync_to_async(factories.member)("ann")
    await sync_to_async(services.pledge)(action, ann)
    token = await sync_to_async(accounts.issue_token)(ann)
    screen = await connected(f"/ws/actions/{action.slug}/?cascade=1")
    await next_of_type(screen, "snapshot")
    first = await next_of_type(screen, "cascade", timeout=10)
    assert first["full"] is True
    phone = await connected("/ws/me/", (b"authorization", f"Bearer {token}".encode()))

    def crowd() -> None:
        for n in range(30):
            services.pledge(action, factories.guest(f"G{n}"), ref_handle="ann")

    await sync_to_async(crowd)()
    held: dict[str, dict] = {n["id"]: n for n in first["nodes"]}
    frames = []
    while len(held) < 31:
        frame = await next_of_type(screen, "cascade", timeout=20)
        frames.append(frame)
        if frame["full"]:
            held = {}
        held.update({n["id"]: n for n in frame["nodes"]})
    assert len(frames) < 30  # coalesced: never one frame per pledge
    assert [f["seq"] for f in frames] == sorted({f["seq"] for f in frames})
    exact = await sync_to_async(cascade.current_frame)(action)
    assert held == {n["id"]: n for n in exact["nodes"]}

    mine = await next_of_type(phone, "cascade", timeout=10)
    assert [n["id"] for n in mine["nodes"]] == [cascade.pseudonym(action.pk, ann.pk)]
    while mine["nodes"][0]["brought"] < 30:
        mine = await next_of_type(phone, "cascade", timeout=10)
    # A later screen gets a whole graph at once, then the changes since, if any.
    late = await connected(f"/ws/actions/{action.slug}/?cascade=1")
    whole = await next_of_type(late, "cascade", timeout=10)
    assert whole["full"]
    texts = [json.dumps(whole)]
    while len(_applied(texts)) < 31:
        texts.append(json.dumps(await next_of_type(late, "cascade", timeout=10)))
    assert _applied(texts) == held
    # Screens that do not ask for it never get cascade frames.
    plain = await connected(f"/ws/actions/{action.slug}/")
    await next_of_type(plain, "snapshot")
    await sync_to_async(services.pledge)(action, await sync_to_async(factories.guest)("Late"), "ann")
    while (frame := await plain.receive_json_from(timeout=10))["type"] != "snapshot" or frame["counts"]["pledged"] < 32:
        assert frame["type"] != "cascade"
    for ws in (screen, phone, late, plain):
        await ws.disconnect()


def test_each_frame_builds_on_the_last_one_sent_by_any_process(action):
    """The publisher keeps the graph it sent; it must fall back to Redis' copy when another
    process sent since, and send a whole graph when Redis lost it."""
    from common import redis as goodmob_redis
    from realtime import cascades
    from realtime.hub import channel_for

    listener = goodmob_redis.client().pubsub()
    listener.subscribe(channel_for(cascades.group(action.pk)))
    assert listener.get_message(timeout=5)["type"] == "subscribe"

    def sent() -> dict:
        message = listener.get_message(timeout=5)
        assert message is not None
        return json.loads(message["data"])

    ann, *_ = _chain(action)
    assert cascades.publish_cascade(action.pk) == 1 and sent()["full"] is True
    services.pledge(action, factories.guest("Fay"), ref_handle="ann")
    delta = sent() if cascades.publish_cascade(action.pk) == 2 else None
    assert delta is not None and not delta["full"] and len(delta["nodes"]) == 2  # Fay, and ann's branch
    # Another process sent a graph without Gus: this one's copy is no longer the last.
    services.pledge(action, factories.guest("Gus"), ref_handle="ann")
    other = cascade.frame(action.slug, cascade.draw(action), 3)
    goodmob_redis.client().set(cascade.seq_key(action.pk), 3)
    cascades._store(goodmob_redis.client(), action.pk, protocol.encode(other), whole=True)
    assert cascades.publish_cascade(action.pk) is None  # nothing changed since that one
    # Redis lost the last graph: screens get a whole one.
    goodmob_redis.client().delete(cascades._full_key(action.pk))
    assert cascades.publish_cascade(action.pk) == 4
    whole = sent()
    assert whole["full"] is True and whole["people"] == 7
    listener.close()


def test_a_graph_too_big_to_keep_is_read_back_from_redis(action, monkeypatch):
    from realtime import cascades

    monkeypatch.setattr(cascades, "KEPT_NODES", 3)
    _chain(action)  # five people
    assert cascades.publish_cascade(action.pk) == 1
    assert action.pk not in cascades._kept
    services.pledge(action, factories.guest("Fay"), ref_handle="ann")
    assert cascades.publish_cascade(action.pk) == 2  # a delta against Redis' copy
    assert cascades.publish_cascade(action.pk) is None  # nothing changed since
    texts = cascades.last_texts(action.pk)
    assert [json.loads(text)["full"] for text in texts] == [True, False]  # not kept, yet built on
    assert _applied(texts) == {node["id"]: node for node in cascade.current_frame(action)["nodes"]}


def test_two_processes_taking_turns_catch_up_on_each_others_changes(action, monkeypatch):
    """Prefork children take turns: each finds its copy one frame behind and reads only
    the change the other added, not the whole graph, and Redis' list stays whole."""
    from realtime import cascades

    _chain(action)
    monkeypatch.setattr(cascades, "WHOLE_AFTER", 10.0)
    copies: list[dict] = [{}, {}]  # each process's kept copies

    def redraw_in(process: int, name: str) -> None:
        services.pledge(action, factories.guest(name), ref_handle="ann")
        monkeypatch.setattr(cascades, "_kept", copies[process])
        cascades.publish_cascade(action.pk)

    redraw_in(0, "Fay")  # the first frame, whole
    redraw_in(1, "Gus")  # nothing kept here: Redis' copy read back
    read_back = cascades.last_texts
    monkeypatch.setattr(cascades, "last_texts", lambda action_id: pytest.fail("read the whole graph back"))
    for turn, name in enumerate(("Hal", "Ivy", "Jo", "Kit")):
        redraw_in(turn % 2, name)
    texts = read_back(action.pk)
    assert [json.loads(text)["seq"] for text in texts] == [1, 2, 3, 4, 5, 6]
    assert [json.loads(text)["full"] for text in texts] == [True] + [False] * 5
    exact = {node["id"]: node for node in cascade.current_frame(action)["nodes"]}
    assert _applied(texts) == exact and len(exact) == 11
    assert copies[0][action.pk].seq == 5  # each process keeps the graph it last sent
    last = copies[1][action.pk]
    assert last.seq == 6 and {node_id: cascade.as_dict(node) for node_id, node in last.nodes.items()} == exact


def _applied(texts: list[str]) -> dict[str, dict]:
    """The graph a screen holds after these frames, as cascade.js applies them."""
    held: dict[str, dict] = {}
    for text in texts:
        frame = json.loads(text)
        if frame["full"]:
            held = {}
        held.update({node["id"]: node for node in frame["nodes"]})
        for gone in frame["removed"]:
            held.pop(gone)
    return held


def test_late_joiners_read_the_last_whole_graph_and_the_changes_since(action, monkeypatch):
    from common import redis as goodmob_redis
    from realtime import cascades

    _chain(action)
    monkeypatch.setattr(cascades, "WHOLE_AFTER", 10.0)  # a small graph's changes soon outweigh it
    assert cascades.publish_cascade(action.pk) == 1
    for name in ("Fay", "Gus"):
        services.pledge(action, factories.guest(name), ref_handle="ann")
        cascades.publish_cascade(action.pk)
    texts = cascades.last_texts(action.pk)
    assert [json.loads(text)["full"] for text in texts] == [True, False, False]
    assert [json.loads(text)["seq"] for text in texts] == [1, 2, 3]
    exact = {node["id"]: node for node in cascade.current_frame(action)["nodes"]}
    assert _applied(texts) == exact and len(exact) == 7
    # Once the changes since add up to the whole graph's size, a whole graph replaces them.
    monkeypatch.setattr(cascades, "WHOLE_AFTER", 0.0)
    services.pledge(action, factories.guest("Hal"), ref_handle="bob")
    assert cascades.publish_cascade(action.pk) == 4
    [whole] = cascades.last_texts(action.pk)
    assert json.loads(whole)["full"] is True and json.loads(whole)["people"] == 8
    # Another process reads Redis' copy (whole and changes) and sends only what changed.
    monkeypatch.setattr(cascades, "WHOLE_AFTER", 10.0)
    services.pledge(action, factories.guest("Ivy"), ref_handle="bob")
    assert cascades.publish_cascade(action.pk) == 5
    cascades._kept.clear()
    services.pledge(action, factories.guest("Jo"), ref_handle="cy")
    assert cascades.publish_cascade(action.pk) == 6
    texts = cascades.last_texts(action.pk)
    assert [json.loads(text)["seq"] for text in texts] == [4, 5, 6]  # Redis' copy built on
    assert _applied(texts) == {node["id"]: node for node in cascade.current_frame(action)["nodes"]}
    # A frame numbered but never stored (its process died in between): a whole graph.
    cascades._kept.clear()
    goodmob_redis.client().incr(cascade.seq_key(action.pk))
    services.pledge(action, factories.guest("Kit"), ref_handle="cy")
    assert cascades.publish_cascade(action.pk) == 8
    [whole] = cascades.last_texts(action.pk)
    assert json.loads(whole)["full"] is True and json.loads(whole)["people"] == 11


def _noted(seen) -> cascade.Noted:
    from realtime import cascades

    return cascades._noted({note for event in seen for note in cascades.cascade_notes(event)})


def _parents_first(nodes) -> bool:
    placed: set[str] = set()
    for node in nodes:
        if node[cascade.DEPTH] and node[cascade.BROUGHT_BY] not in placed:
            return False
        placed.add(node[cascade.ID])
    return True


def test_a_redraw_of_the_noted_changes_matches_the_whole_graph(action):
    """Random crowds: pledges through earlier pledgers, through sharers who never pledge
    and through people who pledge only later; check-ins, deeds, visits. After each round
    the graph redrawn from the noted changes is the graph read whole."""
    from django.contrib.auth.models import AnonymousUser

    rng = random.Random(14)
    factories.move_clock(action, starts_in=timedelta(minutes=-1))
    sharers = [factories.member(f"sharer{n}") for n in range(3)]
    waiting = [factories.member(f"p{n}") for n in range(45)]
    later = waiting[-5:]  # referred to before they pledge, and never pledging here
    pledged: list = []
    checked_in: list = []
    first = cascade.draw(action)
    nodes, totals = {node[cascade.ID]: node for node in first.nodes}, first.totals
    for _ in range(14):
        with capture_events() as seen:
            for _ in range(rng.randint(1, 6)):
                move = rng.random()
                if move < 0.5 and len(waiting) > len(later):
                    person = waiting.pop(0)
                    through = rng.choice([None, *pledged[-8:], *sharers, *later])
                    handle = through.profile.handle if through is not None else None
                    services.pledge(action, person, ref_handle=handle)
                    pledged.append(person)
                elif move < 0.7 and len(checked_in) < len(pledged):
                    person = rng.choice([p for p in pledged if p not in checked_in])
                    services.check_in(action, person, services.CheckInInput(f"checkin-{person.pk}", **factories.SPOT))
                    services.verify_pending(action.pk)
                    checked_in.append(person)
                elif move < 0.8 and checked_in:
                    services.mark_deed_done(action, rng.choice(checked_in))
                else:
                    sharing = rng.choice([*sharers, *pledged[:3]])
                    services.record_visit(action, sharing.profile.handle, AnonymousUser())
        last = dict(nodes)
        redrawn = cascade.redraw(action, nodes, _noted(seen))
        whole = cascade.draw(action)
        assert redrawn is not None
        assert nodes == {node[cascade.ID]: node for node in whole.nodes}
        totals = cascade.retotaled(totals, redrawn)
        assert totals == whole.totals
        assert _parents_first(nodes.values())
        changed = {node[cascade.ID]: node for node in redrawn.changed}
        assert changed == {node_id: node for node_id, node in nodes.items() if last.get(node_id) != node}
        # A screen applying the frame knows every parent by the time it reads a node.
        assert _parents_first([*last.values(), *(node for node in redrawn.changed if node[cascade.ID] not in last)])
        assert redrawn.before == {node[cascade.ID]: last.get(node[cascade.ID]) for node in redrawn.changed}
    # The rounds went through every case: sharers' nodes with people under them, visits
    # on a pledger's link, deeds done.
    assert any(node[cascade.STAGE] == "visited" and node[cascade.BROUGHT] for node in nodes.values())
    assert any(node[cascade.STAGE] != "visited" and node[cascade.VISITS] for node in nodes.values())
    assert any(node[cascade.STAGE] == "done" for node in nodes.values()) and len(pledged) > 20


def test_a_sharer_who_pledges_reshapes_the_graph_and_it_is_read_whole(action, organizer):
    """Who pledged through a sharer's link before the sharer pledged loses them as a
    parent (the later pledge was not the one that brought them): a redraw of the noted
    changes cannot say that, so the graph is read whole."""
    from realtime import cascades

    sue, bob = factories.member("sue"), factories.member("bob")
    services.pledge(action, bob, ref_handle="sue")
    first = cascades.publish_cascade(action.pk)
    with capture_events() as seen:
        services.pledge(action, sue)
    kept = cascades._kept[action.pk].nodes
    as_sent = dict(kept)
    assert cascade.redraw(action, kept, _noted(seen)) is None
    assert kept == as_sent  # left as it was, for the whole graph's changes
    assert cascades.publish_cascade(action.pk) == first + 1
    kept = cascades._kept[action.pk].nodes
    assert kept == {node[cascade.ID]: node for node in cascade.draw(action).nodes}
    assert kept[cascade.pseudonym(action.pk, bob.pk)][cascade.BROUGHT_BY] is None


def test_a_redraw_reads_only_the_noted_rows_unless_there_are_too_many(action, monkeypatch):
    from common import coalesce
    from common import redis as goodmob_redis
    from realtime import cascades

    def note(*notes: str) -> None:
        goodmob_redis.client().sadd(coalesce._notes_key("cascade", action.pk), *notes)

    def pledged(name: str) -> str:
        return f"p{services.pledge(action, factories.member(name), ref_handle='ann')[0].pk}"

    services.pledge(action, factories.member("ann"))
    cascades.publish_cascade(action.pk)
    whole_reads: list[int] = []
    draw = cascade.draw
    monkeypatch.setattr(cascade, "draw", lambda action: whole_reads.append(1) or draw(action))
    note(pledged("bob"))
    cascades.publish_cascade(action.pk)
    assert whole_reads == []
    note(pledged("cy"), *(f"p{10**9 + n}" for n in range(600)))  # a flood: say, a worker was down
    cascades.publish_cascade(action.pk)
    assert whole_reads == [1]
    pledged("dee")  # its note lost (Redis restarted): nothing noted, so the graph is read whole
    cascades.publish_cascade(action.pk)
    assert whole_reads == [1, 1]
    kept = cascades._kept[action.pk].nodes
    assert kept == {node[cascade.ID]: node for node in draw(action).nodes} and len(kept) == 4
