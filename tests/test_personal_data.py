"""People own their data: the export holds everything about them, and deleting the
account erases the person while every tally stays exact."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User
from django.test import Client

from accounts import personal
from accounts import services as accounts
from accounts.models import ApiToken
from actions import selectors, services
from actions.models import CheckIn
from social import services as social
from social.models import Follow

from . import factories
from .conftest import assert_problem

PASSWORD = "a-long-test-password"
SPOT = {"lat": 50.0617, "lon": 19.9373, "accuracy_m": 10.0}


def busy_person(organizer):
    """Someone with a bit of everything: a pledge, a verified check-in and deed, follows, a token."""
    live = factories.move_clock(factories.action(organizer), starts_in=timedelta(minutes=-1))
    ana = accounts.create_member("ana", PASSWORD, "Ana", email="ana@example.org")
    services.pledge(live, ana, ref_handle=organizer.profile.handle)
    services.check_in(live, ana, services.CheckInInput("ana-000001", **SPOT))
    services.verify_pending(live.pk)
    services.mark_deed_done(live, ana)
    social.follow(ana, organizer)
    social.follow(organizer, ana)
    key = accounts.issue_token(ana, "my script")
    return live, ana, key


def test_export_holds_everything_about_the_person(organizer):
    live, ana, key = busy_person(organizer)
    client = Client()
    response = client.get("/api/v1/me/export", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    data = response.json()
    assert data["account"]["handle"] == "ana" and data["account"]["email"] == "ana@example.org"
    assert [t["name"] for t in data["api_tokens"]] == ["my script"] and key not in response.content.decode()
    [pledge] = data["pledges"]
    assert pledge["action"] == live.slug and pledge["brought_by"] == organizer.profile.handle
    assert pledge["checkin"]["status"] == "verified" and pledge["checkin"]["deed_done_at"]
    assert pledge["checkin"]["lat"] == SPOT["lat"]  # still within the retention period
    assert data["following"] == [organizer.profile.handle] and data["followers"] == [organizer.profile.handle]
    client.force_login(ana)
    download = client.get("/account/export.json")
    assert download["Content-Disposition"].startswith("attachment") and download.json()["pledges"]


def test_deleting_erases_the_person_and_keeps_tallies_exact(organizer):
    live, ana, key = busy_person(organizer)
    session = Client()
    session.force_login(ana)
    before = selectors.counts(live)
    assert session.delete("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code == 204

    assert selectors.counts(live) == before  # the pledge, check-in and deed still count
    gone = User.objects.get(pk=ana.pk)
    assert gone.username.startswith("deleted-") and gone.email == "" and not gone.has_usable_password()
    assert gone.profile.display_name == personal.DELETED_NAME and not gone.profile.handle == "ana"
    assert not gone.is_active and not ApiToken.objects.filter(user=gone).exists()
    assert not Follow.objects.filter(follower=gone).exists() and not Follow.objects.filter(followee=gone).exists()
    checkin = CheckIn.objects.get(pledge__user=gone)
    assert checkin.lat is None and checkin.lon is None and checkin.status == "verified"
    names = [p["name"] for p in selectors.snapshot(live)["recent_pledges"]]
    assert "Ana" not in names and personal.DELETED_NAME in names
    assert accounts.user_for_token(key) is None  # the token is dead
    assert session.get("/account/").status_code == 302  # and so is the session
    assert Client().post("/login/", {"username": "ana", "password": PASSWORD}).status_code == 200  # refused


def test_delete_from_the_page_asks_for_the_handle(organizer):
    _, ana, _ = busy_person(organizer)
    client = Client()
    client.force_login(ana)
    assert "Type your handle" in client.get("/account/delete/").content.decode()
    client.post("/account/delete/", {"confirm": "not-me"})
    assert User.objects.get(pk=ana.pk).is_active
    assert client.post("/account/delete/", {"confirm": " ANA "}).status_code == 302
    assert not User.objects.get(pk=ana.pk).is_active


def test_export_and_delete_need_a_caller(db):
    assert_problem(Client().get("/api/v1/me/export"), 401, "unauthorized")
    assert_problem(Client().delete("/api/v1/me"), 401, "unauthorized")
    assert Client().get("/account/export.json").status_code == 302  # to the login page


def test_the_privacy_page_says_what_is_kept(db):
    page = Client().get("/privacy/").content.decode()
    assert "24 hours" in page and "five or more people" in page
