"""The HTML side: forms call the same services, and bad input gets a form error."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from accounts import services as accounts
from actions import services
from actions.models import Action, Pledge
from social import services as social
from social.models import Follow

from . import factories

pytestmark = pytest.mark.django_db


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_home_for_visitors_and_members(action):
    assert b"Type it here" in Client().get("/").content
    fan = factories.member("fan")
    social.follow(fan, action.organizer)
    page = logged_in(fan).get("/")
    assert action.title.encode() in page.content
    assert b'id="feed"' in page.content


def test_signup_login_and_profile():
    client = Client()
    response = client.post(
        "/signup/",
        {
            "username": "newbie",
            "display_name": "New Bie",
            "password1": "a-long-test-password",
            "password2": "a-long-test-password",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert user.profile.handle == "newbie" and user.profile.display_name == "New Bie"
    client.post("/logout/")
    assert Client().post("/login/", {"username": "newbie", "password": "a-long-test-password"}).status_code == 302
    assert b"New Bie" in Client().get("/u/newbie").content


def test_signup_errors_are_form_errors():
    factories.member("taken")
    response = Client().post("/signup/", {"username": "taken", "password1": "x", "password2": "y"})
    assert response.status_code == 200
    assert b"error" in response.content
    assert User.objects.count() == 1


def test_join_page_makes_guest_and_pledges_in_one_post(action):
    client = Client()
    page = client.get(f"/a/{action.slug}?ref=olga")
    assert b"I&#x27;m in" in page.content or b"I'm in" in page.content
    response = client.post(f"/a/{action.slug}/join", {"name": "Lou", "ref": "olga"})
    assert response.status_code == 302
    made = Pledge.objects.get(action=action)
    assert made.user.profile.display_name == "Lou" and made.user.profile.is_guest
    assert made.referrer == action.organizer
    again = client.get(f"/a/{action.slug}")
    assert b"You're in" in again.content and b"?ref=lou-" in again.content


def test_join_needs_a_name(action):
    response = Client().post(f"/a/{action.slug}/join", {"name": ""}, follow=True)
    assert b"Enter a display name" in response.content
    assert not Pledge.objects.exists()


def test_join_full_action_says_so(organizer):
    small = factories.action(organizer, capacity=1)
    services.pledge(small, factories.guest())
    response = Client().post(f"/a/{small.slug}/join", {"name": "Late"}, follow=True)
    assert b"This action is full." in response.content
    assert Pledge.objects.filter(action=small).count() == 1


def test_join_code_redirects_and_unknown_code_explains(action):
    assert Client().get(f"/j/{action.join_code.lower()}")["Location"] == f"/a/{action.slug}"
    assert Client().get(f"/j/?code={action.join_code}")["Location"] == f"/a/{action.slug}"
    response = Client().get("/j/QQQQQQ", follow=True)
    assert "No action has the code “QQQQQQ”".encode() in response.content


def test_follow_toggle_from_profile(organizer):
    fan = factories.member("fan")
    client = logged_in(fan)
    client.post("/u/olga/follow", {"intent": "follow"})
    assert Follow.objects.filter(follower=fan, followee=organizer).exists()
    assert b'data-testid="follower-count">1<' in client.get("/u/olga").content
    client.post("/u/olga/follow", {"intent": "unfollow"})
    assert not Follow.objects.exists()
    assert Client().post("/u/olga/follow").status_code == 302  # to the login page
    assert client.post("/u/nobody/follow").status_code == 404


def launch_form(**overrides):
    local = timezone.now() + timedelta(minutes=30)
    data = {
        "title": "Pick up litter",
        "deed": "Pick up one piece.",
        "place_name": "Square",
        "lat": "50.06",
        "lon": "19.94",
        "radius_m": "150",
        "starts_at": local.strftime("%Y-%m-%dT%H:%M"),
        "tz_offset": "0",
        "duration_minutes": "15",
        "goal": "50",
    }
    data.update(overrides)
    return data


def test_launch_form_creates_an_action(organizer):
    response = logged_in(organizer).post("/launch/", launch_form())
    made = Action.objects.get()
    assert response["Location"] == f"/a/{made.slug}"
    assert made.radius_m == 150 and made.lat == 50.06


def test_launch_form_honours_the_browser_time_zone(organizer):
    # 13:00 on a clock two hours ahead of UTC (getTimezoneOffset says -120) is 11:00 UTC.
    local = (timezone.now() + timedelta(days=1)).replace(hour=13, minute=0, second=0, microsecond=0)
    logged_in(organizer).post("/launch/", launch_form(starts_at=local.strftime("%Y-%m-%dT%H:%M"), tz_offset="-120"))
    assert Action.objects.get().starts_at.hour == 11


def test_launch_form_anywhere(organizer):
    logged_in(organizer).post("/launch/", launch_form(anywhere="on", lat="", lon="", place_name=""))
    assert Action.objects.get().is_anywhere


@pytest.mark.parametrize(
    "overrides",
    [
        {"lat": "95"},
        {"lon": "-181"},
        {"lat": "abc"},
        {"lat": "", "lon": ""},
        {"duration_minutes": "0"},
        {"duration_minutes": "500"},
        {"goal": "0"},
        {"title": ""},
        {"title": "x" * 200},
        {"starts_at": "not a time"},
        {"starts_at": (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")},
        {"starts_at": (timezone.now() + timedelta(days=40)).strftime("%Y-%m-%dT%H:%M")},
        {"tz_offset": "99999"},
        {"radius_m": "2"},
    ],
)
def test_launch_form_errors(organizer, overrides):
    response = logged_in(organizer).post("/launch/", launch_form(**overrides))
    assert response.status_code == 200
    assert b'class="error"' in response.content or b"form-error" in response.content
    assert not Action.objects.exists()


def test_launch_needs_login():
    response = Client().get("/launch/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_organizer_sees_code_and_cancels(action):
    client = logged_in(action.organizer)
    page = client.get(f"/a/{action.slug}")
    assert action.join_code.encode() in page.content and b"qr.svg" in page.content
    assert b"join-code" not in Client().get(f"/a/{action.slug}").content
    client.post(f"/a/{action.slug}/cancel")
    action.refresh_from_db()
    assert action.status == "cancelled"


def test_someone_else_cannot_cancel(action):
    response = logged_in(factories.member()).post(f"/a/{action.slug}/cancel", follow=True)
    assert b"Only the lead organizer can do that." in response.content
    action.refresh_from_db()
    assert action.status == "scheduled"


def test_guest_upgrade_keeps_the_record(action):
    guest = factories.guest("Gus")
    services.pledge(action, guest)
    client = logged_in(guest)
    client.post(
        "/account/",
        {"intent": "upgrade", "username": "gus", "email": "gus@example.org", "password": "a-long-test-password"},
    )
    guest.refresh_from_db()
    assert guest.username == "gus" and guest.check_password("a-long-test-password") and not guest.profile.is_guest
    assert Pledge.objects.filter(user=guest).count() == 1
    assert Client().post("/login/", {"username": "gus", "password": "a-long-test-password"}).status_code == 302


def test_account_issues_a_token():
    user = factories.member()
    page = logged_in(user).post("/account/", {"intent": "token"})
    token = page.content.split(b'data-testid="token"><code>')[1].split(b"<")[0].decode()
    assert accounts.user_for_token(token) == user


@pytest.mark.parametrize("path", ["/a/nope", "/a/nope/live", "/a/nope/qr.svg", "/u/nobody", "/j/%ff"])
def test_unknown_pages_are_404(path):
    assert Client().get(path).status_code in (302, 404)


@pytest.mark.parametrize("path", ["/j/%00%ff", "/j/AB%00CD", "/?code=%00", "/a/x%00y"])
def test_nul_in_a_page_address_is_a_400(path):
    assert Client().get(path).status_code == 400


def test_dashboard_and_overlay(action):
    assert action.join_code.encode() in Client().get(f"/a/{action.slug}/live").content
    overlay = Client().get(f"/a/{action.slug}/live?overlay=1").content
    assert b"dashboard overlay" in overlay and b"qr.svg" in overlay


def test_console_is_the_organizers_alone(action):
    assert logged_in(action.organizer).get(f"/a/{action.slug}/console").status_code == 200
    assert logged_in(factories.member()).get(f"/a/{action.slug}/console").status_code == 403
    assert Client().get(f"/a/{action.slug}/console").status_code == 302


def test_results_page_and_csv(action):
    assert b"So far" in Client().get(f"/a/{action.slug}/results").content
    csv_response = logged_in(action.organizer).get(f"/a/{action.slug}/results.csv")
    assert csv_response["Content-Type"] == "text/csv"
    assert csv_response.content.decode().startswith("display_name,pledged_at,checkin_status")
    assert logged_in(factories.member()).get(f"/a/{action.slug}/results.csv").status_code == 403


def test_action_page_carries_the_participants_state(action):
    guest = factories.guest("Ray")
    services.pledge(action, guest)
    page = logged_in(guest).get(f"/a/{action.slug}")
    assert b'"pledged": true' in page.content
    assert "csrftoken" in page.cookies
