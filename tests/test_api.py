from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts import services as accounts
from accounts.models import Profile
from actions import services
from actions.models import Action, Pledge
from social.models import Follow

from . import factories
from .conftest import assert_problem, post
from .factories import action_body

pytestmark = pytest.mark.django_db(transaction=True)


def test_guest_gets_token_and_session(api):
    response = post(api, "/api/v1/guests", {"name": "Rosa"})
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Rosa" and body["handle"].startswith("rosa-") and len(body["token"]) > 30
    assert "sessionid" in response.cookies
    assert accounts.user_for_token(body["token"]).profile.display_name == "Rosa"


def test_create_action_and_read_it(api, bearer):
    _, headers = bearer
    response = post(api, "/api/v1/actions", action_body(), headers)
    assert response.status_code == 201, response.content
    created = response.json()
    assert set(created) == {"slug", "join_code", "url", "dashboard_url", "qr_url"}
    assert created["url"].startswith("http://testserver/a/")
    snap = api.get(f"/api/v1/actions/{created['slug']}").json()
    assert snap["phase"] == "scheduled"
    assert snap["counts"]["goal"] == 20
    assert snap["server_now"].endswith("Z")
    joined = api.get(f"/api/v1/join/{created['join_code'].lower()}").json()
    assert joined["action"]["slug"] == created["slug"]
    qr = api.get(created["qr_url"].replace("http://testserver", ""))
    assert qr["Content-Type"] == "image/svg+xml" and b'xmlns="http://www.w3.org/2000/svg"' in qr.content


def test_anywhere_action_by_api(api, bearer):
    _, headers = bearer
    body = action_body(lat=None, lon=None, radius_m=None, place_name="")
    assert post(api, "/api/v1/actions", body, headers).status_code == 201


def test_pledge_is_idempotent(api, action):
    token = post(api, "/api/v1/guests", {"name": "Ike"}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    first = post(api, f"/api/v1/actions/{action.slug}/pledges", {"ref": "olga"}, headers)
    again = post(api, f"/api/v1/actions/{action.slug}/pledges", {}, headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["share_url"].endswith(f"?ref={first.json()['handle']}")
    assert Pledge.objects.get(action=action).referrer.profile.handle == "olga"
    assert api.get(f"/api/v1/actions/{action.slug}/tally").json() == {
        "pledged": 1,
        "checked_in": 0,
        "deeds": 0,
        "goal": 50,
    }


def test_pledge_without_body(api, action, bearer):
    _, headers = bearer
    response = api.post(f"/api/v1/actions/{action.slug}/pledges", content_type="application/json", headers=headers)
    assert response.status_code == 201, response.content


def test_full_action_answers_409(api, organizer):
    small = factories.action(organizer, capacity=1)
    services.pledge(small, factories.guest())
    _, headers = factories.member(), {"Authorization": f"Bearer {accounts.issue_token(factories.member())}"}
    assert_problem(post(api, f"/api/v1/actions/{small.slug}/pledges", {}, headers), 409, "full")


@pytest.mark.parametrize("final", ["ended", "cancelled"])
def test_pledge_to_finished_action_answers_409(api, organizer, bearer, final):
    target = factories.action(organizer)
    if final == "cancelled":
        services.cancel_action(target, organizer)
    else:
        factories.move_clock(target, starts_in=timedelta(hours=-2))
    _, headers = bearer
    assert_problem(post(api, f"/api/v1/actions/{target.slug}/pledges", {}, headers), 409, final)
    assert not Pledge.objects.exists()


def test_session_caller_needs_csrf(api, action):
    post(api, "/api/v1/guests", {"name": "Cookie"})
    response = post(api, f"/api/v1/actions/{action.slug}/pledges", {})
    assert response.status_code in (401, 403)
    assert not Pledge.objects.exists()


def test_follow_and_unfollow(api, bearer, organizer):
    user, headers = bearer
    followed = post(api, "/api/v1/users/olga/follow", {}, headers)
    assert followed.status_code == 200 and followed.json() == {"handle": "olga", "following": True, "followers": 1}
    assert post(api, "/api/v1/users/olga/follow", {}, headers).json()["followers"] == 1
    gone = api.delete("/api/v1/users/olga/follow", headers=headers)
    assert gone.json() == {"handle": "olga", "following": False, "followers": 0}
    assert not Follow.objects.exists()
    assert_problem(post(api, "/api/v1/users/caller/follow", {}, headers), 409, "self_follow")
    assert_problem(post(api, "/api/v1/users/nobody/follow", {}, headers), 404, "not_found")


def test_cancel_by_api(api, action, bearer):
    _, headers = bearer
    assert_problem(post(api, f"/api/v1/actions/{action.slug}/cancel", {}, headers), 403, "forbidden")
    owner = {"Authorization": f"Bearer {accounts.issue_token(action.organizer)}"}
    response = post(api, f"/api/v1/actions/{action.slug}/cancel", {}, owner)
    assert response.status_code == 200 and response.json()["phase"] == "cancelled"


@pytest.mark.parametrize(
    "overrides",
    [
        {"lat": 90.5},
        {"lat": -91},
        {"lon": 181},
        {"lon": -180.5},
        {"lat": "north"},
        {"duration_minutes": 0},
        {"duration_minutes": 181},
        {"duration_minutes": 1.5},
        {"starts_at": (timezone.now() - timedelta(hours=1)).isoformat()},
        {"starts_at": (timezone.now() + timedelta(days=31)).isoformat()},
        {"starts_at": "tomorrow-ish"},
        {"goal": 0},
        {"goal": -5},
        {"title": ""},
        {"title": "t" * 200},
        {"deed": ""},
        {"radius_m": 3},
        {"capacity": 0},
        {"title": None},
    ],
)
def test_create_action_rejects_bad_fields(api, bearer, overrides):
    _, headers = bearer
    assert_problem(post(api, "/api/v1/actions", action_body(**overrides), headers), 422)
    assert not Action.objects.exists()


@pytest.mark.parametrize("missing", ["title", "deed", "starts_at", "duration_minutes", "goal"])
def test_create_action_rejects_missing_fields(api, bearer, missing):
    _, headers = bearer
    body = action_body()
    del body[missing]
    assert_problem(post(api, "/api/v1/actions", body, headers), 422, "invalid")
    assert not Action.objects.exists()


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "invalid_json"),
        ("[1, 2]", "invalid_json"),
        ("\xff\xfe", "invalid_json"),
        ('"text"', "invalid_json"),
    ],
)
def test_malformed_bodies(api, bearer, raw, code):
    _, headers = bearer
    assert_problem(post(api, "/api/v1/actions", raw=raw, headers=headers), 400, code)
    assert_problem(post(api, "/api/v1/guests", raw=raw), 400, code)
    assert not Action.objects.exists()


def test_oversized_body(api, bearer):
    _, headers = bearer
    huge = json.dumps(action_body(deed="x" * 300_000))
    assert_problem(post(api, "/api/v1/actions", raw=huge, headers=headers), 413, "too_large")


def test_unauthenticated_writes(api, action):
    assert_problem(post(api, "/api/v1/actions", action_body()), 401, "unauthorized")
    assert_problem(post(api, f"/api/v1/actions/{action.slug}/pledges", {}), 401)
    assert_problem(post(api, "/api/v1/users/olga/follow", {}), 401)
    bad = {"Authorization": "Bearer not-a-real-token"}
    assert_problem(post(api, "/api/v1/actions", action_body(), bad), 401)
    assert Action.objects.count() == 1 and not Pledge.objects.exists()


def test_unknown_slug_and_code(api, bearer):
    _, headers = bearer
    assert_problem(api.get("/api/v1/actions/no-such-thing"), 404, "not_found")
    assert_problem(api.get("/api/v1/actions/no-such-thing/tally"), 404, "not_found")
    assert_problem(api.get("/api/v1/join/ZZZZZZ"), 404, "not_found")
    assert_problem(api.get("/api/v1/join/toolongcode"), 404, "not_found")
    assert_problem(post(api, "/api/v1/actions/no-such-thing/pledges", {}, headers), 404, "not_found")
    assert_problem(api.get("/api/v1/nothing-here"), 404)


def test_guest_name_errors(api):
    assert_problem(post(api, "/api/v1/guests", {"name": ""}), 422, "invalid")
    assert_problem(post(api, "/api/v1/guests", {"name": "n" * 61}), 422, "invalid")
    assert_problem(post(api, "/api/v1/guests", {}), 422, "invalid")
    assert_problem(post(api, "/api/v1/guests", {"name": ["list"]}), 422, "invalid")


@pytest.mark.parametrize("scope", ["guest", "guest_hour"])
def test_rate_limited_guests(settings, scope):
    """Per address, whichever window fills first: fresh guests cannot churn past it."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, scope: (2, 60)}
    for _ in range(2):
        assert post(Client(), "/api/v1/guests", {"name": "Flood"}).status_code == 201
    refused = post(Client(), "/api/v1/guests", {"name": "Flood"})
    assert_problem(refused, 429, "rate_limited")
    assert 0 < int(refused["Retry-After"]) <= 60


def test_a_foreign_page_cannot_plant_a_guest_session(db):
    """Login CSRF: a browser (it has our cookies) must send the CSRF token."""
    victim = Client(enforce_csrf_checks=True)
    victim.force_login(factories.member("victim"))
    before = victim.cookies["sessionid"].value
    for content_type in ("text/plain", "application/json"):
        planted = victim.post("/api/v1/guests", data='{"name": "Planted"}', content_type=content_type)
        assert planted.status_code in (403, 415), planted.content
    assert victim.cookies["sessionid"].value == before
    assert not Profile.objects.filter(display_name="Planted").exists()


def test_a_signed_in_caller_is_not_replaced_by_a_guest(db):
    client = Client()
    client.force_login(factories.member("owner"))
    assert_problem(post(client, "/api/v1/guests", {"name": "Other"}), 409, "signed_in")


def test_bodies_must_be_json(api, bearer):
    _, headers = bearer
    response = api.post("/api/v1/actions", data="title=x", content_type="text/plain", headers=headers)
    assert_problem(response, 415, "unsupported_media_type")


def test_openapi_document(api):
    doc = api.get("/api/v1/openapi.json").json()
    assert {"/api/v1/actions", "/api/v1/guests", "/api/v1/actions/{slug}/pledges"} <= set(doc["paths"])
    assert api.get("/api/v1/docs").status_code == 200
