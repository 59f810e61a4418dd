"""Attention shared: spotlights, raids, the pledges they bring, and how they are counted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async

from accounts import services as accounts
from actions import selectors, services
from actions.models import Pledge

from . import factories
from .conftest import assert_problem, connected, next_of_type, post

pytestmark = pytest.mark.django_db(transaction=True)  # the pledge endpoint works on its own threads


def _as(user):
    return {"Authorization": f"Bearer {accounts.issue_token(user)}"}


def _others(n=4):
    return [factories.action(factories.member(f"org{k}"), title=f"Other {k}") for k in range(n)]


def _put(api, action, slugs, user):
    return api.put(
        f"/api/v1/actions/{action.slug}/spotlight",
        data={"slugs": slugs},
        content_type="application/json",
        headers=_as(user) if user else {},
    )


def test_organizers_spotlight_up_to_three_open_actions(api, action, organizer):
    others = _others()
    made = _put(api, action, [o.slug for o in others[:3]], organizer)
    assert made.status_code == 200
    assert [a["slug"] for a in made.json()["actions"]] == [o.slug for o in others[:3]]
    snapshot = api.get(f"/api/v1/actions/{action.slug}").json()
    assert [a["title"] for a in snapshot["spotlight"]] == ["Other 0", "Other 1", "Other 2"]
    # One hidden later drops out by itself.
    services.hide_action(others[1], "spam")
    assert [a["title"] for a in selectors.snapshot(action)["spotlight"]] == ["Other 0", "Other 2"]
    assert _put(api, action, [], organizer).json()["actions"] == []


def test_bad_spotlights_get_clear_answers(api, action, organizer):
    others = _others()
    assert_problem(_put(api, action, [others[0].slug], None), 401)
    assert_problem(_put(api, action, [others[0].slug], factories.member("stan")), 403)
    assert_problem(_put(api, action, [o.slug for o in others], organizer), 422)
    assert_problem(_put(api, action, [others[0].slug] * 2, organizer), 422)
    assert_problem(_put(api, action, [action.slug], organizer), 422)
    assert_problem(_put(api, action, ["no-such-action"], organizer), 404)
    assert_problem(_put(api, action, "abc", organizer), 422)
    assert_problem(_put(api, action, [{"x": 1}], organizer), 422)
    services.hide_action(others[0], "spam")
    assert_problem(_put(api, action, [others[0].slug], organizer), 410, "hidden")
    services.cancel_action(others[1], others[1].organizer)
    assert_problem(_put(api, action, [others[1].slug], organizer), 409, "cancelled")


def test_a_pledge_through_a_spotlight_is_counted_as_attention(api, action, organizer):
    other = _others(1)[0]
    services.set_spotlight(action, organizer, [other.slug])
    fan = factories.member("fan")
    post(api, f"/api/v1/actions/{other.slug}/pledges", {"via_spotlight": action.slug}, _as(fan))
    assert Pledge.objects.get(user=fan).via_spotlight_id == action.pk
    # A claim nobody made is ignored, never refused.
    stray = factories.member("stray")
    assert (
        post(api, f"/api/v1/actions/{other.slug}/pledges", {"via_spotlight": "made-up"}, _as(stray)).status_code == 201
    )
    assert Pledge.objects.get(user=stray).via_spotlight_id is None
    assert selectors.attention(action)["given"] == {"people": 1, "deeds": 0}
    assert selectors.attention(other)["received"] == {"people": 1, "deeds": 0}
    assert selectors.impact(organizer)["attention_given"] == 1
    assert selectors.impact(other.organizer)["attention_received"] == 1


def _raid_url(action):
    return f"/api/v1/actions/{action.slug}/raid"


def test_a_raid_ends_the_action_and_hands_the_crowd_on(api, action, organizer):
    target = _others(1)[0]
    assert_problem(post(api, _raid_url(action), {"to": target.slug}, _as(organizer)), 409, "not_started")
    factories.move_clock(action, starts_in=-timedelta(minutes=1))
    made = post(api, _raid_url(action), {"to": target.slug}, _as(organizer))
    assert made.status_code == 201 and made.json()["to"]["slug"] == target.slug
    action.refresh_from_db()
    assert action.status == "ended"
    assert selectors.snapshot(action)["raid"]["slug"] == target.slug
    assert_problem(post(api, _raid_url(action), {"to": target.slug}, _as(organizer)), 409, "raided")
    fan = factories.member("fan")
    assert post(api, f"/api/v1/actions/{target.slug}/pledges", {"via_raid": action.slug}, _as(fan)).status_code == 201
    assert Pledge.objects.get(user=fan).via_raid.source_id == action.pk
    assert selectors.attention(action)["given"]["people"] == 1


def test_raids_to_or_from_closed_or_hidden_actions_are_refused(api, organizer):
    def ended():
        made = factories.action(organizer)
        return factories.move_clock(made, starts_in=-timedelta(minutes=30))

    hidden, cancelled, over = _others(3)
    services.hide_action(hidden, "spam")
    services.cancel_action(cancelled, cancelled.organizer)
    factories.move_clock(over, starts_in=-timedelta(minutes=30))
    source = ended()
    assert_problem(post(api, _raid_url(source), {"to": hidden.slug}, _as(organizer)), 410, "hidden")
    assert_problem(post(api, _raid_url(source), {"to": cancelled.slug}, _as(organizer)), 409, "cancelled")
    assert_problem(post(api, _raid_url(source), {"to": over.slug}, _as(organizer)), 409, "ended")
    assert_problem(post(api, _raid_url(source), {"to": source.slug}, _as(organizer)), 422)
    assert_problem(post(api, _raid_url(source), {"to": "nope"}, _as(organizer)), 404)
    assert_problem(post(api, _raid_url(source), {"to": ""}, _as(organizer)), 422)
    assert_problem(post(api, _raid_url(source), {"to": hidden.slug}, _as(factories.member("stan"))), 403)
    assert_problem(post(api, _raid_url(source), {"to": hidden.slug}), 401)
    gone = ended()
    services.hide_action(gone, "spam")
    target = factories.action(factories.member("tina"))
    assert_problem(post(api, _raid_url(gone), {"to": target.slug}, _as(organizer)), 410, "hidden")
    called_off = factories.action(organizer)
    services.cancel_action(called_off, organizer)
    assert_problem(post(api, _raid_url(called_off), {"to": target.slug}, _as(organizer)), 409, "cancelled")


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_every_screen_and_every_pledger_is_told_of_a_raid():
    def setup():
        organizer = factories.member("olga")
        live = factories.move_clock(factories.action(organizer), starts_in=-timedelta(minutes=1))
        fan = factories.member("fan")
        services.pledge(live, fan)
        return live, organizer, fan, factories.action(factories.member("tina"), title="Next one")

    live, organizer, fan, target = await sync_to_async(setup)()
    token = await sync_to_async(accounts.issue_token)(fan)
    screen = await connected(f"/ws/actions/{live.slug}/")
    await next_of_type(screen, "snapshot")
    phone = await connected("/ws/me/", (b"authorization", f"Bearer {token}".encode()))
    await next_of_type(phone, "hello")
    await sync_to_async(services.set_spotlight)(live, organizer, [target.slug])
    shown = await next_of_type(screen, "spotlight")
    assert shown["actions"][0]["title"] == "Next one"
    await sync_to_async(services.raid)(live, organizer, target.slug)
    for ws in (screen, phone):
        told = await next_of_type(ws, "raid")
        assert told["slug"] == live.slug and told["to"]["slug"] == target.slug
        await ws.disconnect()
