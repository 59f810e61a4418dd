"""Your own settings: GET|PATCH /api/v1/me and the account page's "What others see"."""

from __future__ import annotations

import pytest

from accounts import services as accounts
from actions import cascade, services

from . import factories
from .conftest import assert_problem

pytestmark = pytest.mark.django_db


def _patch(api, user, body):
    headers = {"Authorization": f"Bearer {accounts.issue_token(user)}"} if user else {}
    return api.patch("/api/v1/me", data=body, content_type="application/json", headers=headers)


def test_a_guest_chooses_to_be_named_in_the_cascade(api, action):
    guest = factories.guest("Mia")
    services.pledge(action, guest)
    mine = {"Authorization": f"Bearer {accounts.issue_token(guest)}"}
    me = api.get("/api/v1/me", headers=mine).json()
    assert me["is_guest"] and me["named_in_cascade"] is False and me["name"] == "Mia"
    assert [n["name"] for n in cascade.current_frame(action)["nodes"]] == [None]
    changed = _patch(api, guest, {"named_in_cascade": True, "name": "Mia K."})
    assert changed.status_code == 200 and changed.json()["named_in_cascade"] and changed.json()["name"] == "Mia K."
    assert [n["name"] for n in cascade.current_frame(action)["nodes"]] == ["Mia K."]
    assert_problem(_patch(api, guest, {}), 422)  # nothing to change is a mistake, not a no-op
    assert_problem(api.patch("/api/v1/me", data="null", content_type="application/json", headers=mine), 422)


@pytest.mark.parametrize(
    "body",
    [{"named_in_cascade": "yes"}, {"named_in_cascade": 1}, {"name": ""}, {"name": "x" * 61}, {"handle": "me"}],
)
def test_bad_changes_are_422(api, body):
    assert_problem(_patch(api, factories.member("mo"), body), 422)
    assert_problem(_patch(api, factories.member("jo"), []), 400)  # not an object at all


def test_only_you(api):
    assert_problem(api.get("/api/v1/me"), 401)
    assert_problem(_patch(api, None, {"named_in_cascade": True}), 401)


def test_the_account_page_switches_it(client):
    member = factories.member("olga")
    client.force_login(member)
    page = client.get("/account/")
    assert b"Show my name in who-brought-whom drawings" in page.content
    saved = client.post("/account/", {"intent": "sharing", "display_name": "Olga W."})
    assert saved.status_code == 302
    member.profile.refresh_from_db()
    assert member.profile.display_name == "Olga W." and member.profile.named_in_cascade is False
    bad = client.post("/account/", {"intent": "sharing", "display_name": ""})
    assert bad.status_code == 200 and b"has-error" in bad.content
