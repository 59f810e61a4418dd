from __future__ import annotations

from datetime import timedelta

import pytest

from accounts import services as accounts
from actions import services
from actions.models import Announcement, CheckIn, Pledge

from . import factories
from .conftest import assert_problem, post

pytestmark = pytest.mark.django_db(transaction=True)
SPOT = {"lat": 50.0617, "lon": 19.9373, "accuracy_m": 15}


@pytest.fixture
def live(organizer):
    return factories.move_clock(factories.action(organizer), starts_in=timedelta(minutes=-1))


@pytest.fixture
def caller(db):
    user = factories.guest("Caller")
    return user, {"Authorization": f"Bearer {accounts.issue_token(user)}"}


def test_check_in_answers_202_then_same_key_same_check_in(api, live, caller):
    user, headers = caller
    body = {**SPOT, "idempotency_key": "k-0000000001"}
    first = post(api, f"/api/v1/actions/{live.slug}/checkins", body, headers)
    assert first.status_code == 202, first.content
    assert first.json()["status"] == "pending" and first.json()["detail"] == "Checking your location…"
    again = post(api, f"/api/v1/actions/{live.slug}/checkins", body, headers)
    assert again.status_code == 202 and again.json()["id"] == first.json()["id"]
    assert Pledge.objects.filter(user=user).count() == 1 and CheckIn.objects.count() == 1
    mine = api.get(f"/api/v1/actions/{live.slug}/checkins/mine", headers=headers)
    assert mine.json()["id"] == first.json()["id"]


def test_deed_flow_by_api(api, live, caller):
    _, headers = caller
    assert_problem(post(api, f"/api/v1/actions/{live.slug}/deeds", {}, headers), 409, "not_verified")
    post(api, f"/api/v1/actions/{live.slug}/checkins", {**SPOT, "idempotency_key": "k-0000000001"}, headers)
    services.verify_pending(live.pk)
    done = post(api, f"/api/v1/actions/{live.slug}/deeds", {}, headers)
    assert done.status_code == 201 and done.json()["deed_done"] is True
    assert post(api, f"/api/v1/actions/{live.slug}/deeds", {}, headers).status_code == 200
    tally = api.get(f"/api/v1/actions/{live.slug}/tally").json()
    assert tally == {"pledged": 1, "checked_in": 1, "deeds": 1, "goal": 50}


@pytest.mark.parametrize(
    "body",
    [
        {**SPOT},
        {**SPOT, "idempotency_key": ""},
        {**SPOT, "idempotency_key": 12345678},
        {**SPOT, "lat": "here", "idempotency_key": "k-0000000001"},
        {**SPOT, "lat": 100, "idempotency_key": "k-0000000001"},
        {**SPOT, "lon": -200, "idempotency_key": "k-0000000001"},
        {**SPOT, "lon": None, "idempotency_key": "k-0000000001"},
        {**SPOT, "accuracy_m": -3, "idempotency_key": "k-0000000001"},
        {**SPOT, "accuracy_m": "good", "idempotency_key": "k-0000000001"},
        {"idempotency_key": "k-0000000001"},
    ],
)
def test_bad_check_ins_change_nothing(api, live, caller, body):
    _, headers = caller
    assert_problem(post(api, f"/api/v1/actions/{live.slug}/checkins", body, headers), 422)
    assert not CheckIn.objects.exists() and not Pledge.objects.exists()


def test_reused_key_with_other_data(api, live, caller):
    _, headers = caller
    post(api, f"/api/v1/actions/{live.slug}/checkins", {**SPOT, "idempotency_key": "k-0000000001"}, headers)
    moved = {**SPOT, "lat": 50.07, "idempotency_key": "k-0000000001"}
    assert_problem(post(api, f"/api/v1/actions/{live.slug}/checkins", moved, headers), 409, "idempotency_key_reused")
    assert CheckIn.objects.get().lat == SPOT["lat"]


def test_check_in_auth_and_unknown_action(api, live, caller):
    body = {**SPOT, "idempotency_key": "k-0000000001"}
    assert_problem(post(api, f"/api/v1/actions/{live.slug}/checkins", body), 401, "unauthorized")
    _, headers = caller
    assert_problem(post(api, "/api/v1/actions/nope/checkins", body, headers), 404, "not_found")
    assert_problem(post(api, f"/api/v1/actions/{live.slug}/checkins", raw="{oops", headers=headers), 400)
    assert not CheckIn.objects.exists()


def test_check_in_before_start_is_recorded_and_rejected(api, organizer, caller):
    early = factories.action(organizer)
    _, headers = caller
    response = post(api, f"/api/v1/actions/{early.slug}/checkins", {**SPOT, "idempotency_key": "k-0000000001"}, headers)
    assert response.status_code == 202
    services.verify_pending(early.pk)
    mine = api.get(f"/api/v1/actions/{early.slug}/checkins/mine", headers=headers).json()
    assert mine["status"] == "rejected" and mine["reason"] == "not_live"


def test_organizer_console_endpoints_refuse_others(api, live, caller):
    _, headers = caller
    assert_problem(post(api, f"/api/v1/actions/{live.slug}/messages", {"text": "hi"}, headers), 403, "forbidden")
    assert_problem(post(api, f"/api/v1/actions/{live.slug}/end", {}, headers), 403, "forbidden")
    assert_problem(api.get(f"/api/v1/actions/{live.slug}/funnel", headers=headers), 403, "forbidden")
    assert not Announcement.objects.exists()


def test_organizer_messages_and_ends(api, live):
    owner = {"Authorization": f"Bearer {accounts.issue_token(live.organizer)}"}
    sent = post(api, f"/api/v1/actions/{live.slug}/messages", {"text": "Meet at the fountain"}, owner)
    assert sent.status_code == 201 and sent.json()["text"] == "Meet at the fountain"
    assert_problem(post(api, f"/api/v1/actions/{live.slug}/messages", {"text": "x" * 300}, owner), 422)
    assert_problem(post(api, f"/api/v1/actions/{live.slug}/messages", {}, owner), 422)
    funnel = api.get(f"/api/v1/actions/{live.slug}/funnel", headers=owner).json()
    assert funnel["pledged"] == 0 and funnel["rejected"] == {}
    ended = post(api, f"/api/v1/actions/{live.slug}/end", {}, owner)
    assert ended.status_code == 200 and ended.json()["phase"] == "ended"
    assert_problem(post(api, f"/api/v1/actions/{live.slug}/end", {}, owner), 409)


def test_rate_limited_check_ins(api, live, caller, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "checkin": (2, 60)}
    _, headers = caller
    for n in range(2):
        post(api, f"/api/v1/actions/{live.slug}/checkins", {**SPOT, "idempotency_key": f"k-000000000{n}"}, headers)
    body = {**SPOT, "idempotency_key": "k-0000000009"}
    assert_problem(post(api, f"/api/v1/actions/{live.slug}/checkins", body, headers), 429, "rate_limited")


def test_results_are_public(api, live):
    body = api.get(f"/api/v1/actions/{live.slug}/results").json()
    assert body == {
        "counts": {"pledged": 0, "checked_in": 0, "deeds": 0, "goal": 50},
        "cells": [],
        "referrers": [],
        "attention": {"given": {"people": 0, "deeds": 0}, "received": {"people": 0, "deeds": 0}},
    }
