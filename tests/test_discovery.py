"""Discovery: `GET /api/v1/actions`, by phase, nearest first around a point that is never
stored, or by the people you follow; strangers see only organizers with a track record."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts import services as accounts
from accounts.models import Profile
from actions import services
from social import services as social

from . import factories
from .conftest import assert_problem

pytestmark = pytest.mark.django_db

KRAKOW = (50.0617, 19.9373)


def _trusted(name):
    user = factories.member(name)
    Profile.objects.filter(user=user).update(trusted=True)
    return user


def _at(title, lat, lon, organizer=None, **more):
    organizer = organizer or _trusted(title.lower().replace(" ", ""))
    return factories.action(organizer, title=title, lat=lat, lon=lon, **more)


def _titles(response):
    assert response.status_code == 200, response.content
    return [item["title"] for item in response.json()]


def test_nearest_first_within_the_radius(api):
    _at("Market Square", 50.0617, 19.9373)
    _at("Kazimierz", 50.0510, 19.9450)  # about 1.3 km
    _at("Nowa Huta", 50.0720, 20.0370)  # about 7 km
    _at("Katowice", 50.2649, 19.0238)  # about 70 km
    _at("Anywhere deed", None, None, radius_m=None)
    found = api.get("/api/v1/actions", {"near": "50.06,19.94", "radius_km": 25})
    assert _titles(found) == ["Market Square", "Kazimierz", "Nowa Huta"]
    distances = [item["distance_m"] for item in found.json()]
    assert distances == sorted(distances) and 1_000 < distances[1] < 2_000 and distances[2] < 8_000
    assert _titles(api.get("/api/v1/actions", {"near": "50.06,19.94", "radius_km": 100}))[-1] == "Katowice"
    # Without a point: soonest first, "anywhere" deeds included, no distance.
    everything = api.get("/api/v1/actions").json()
    assert len(everything) == 5 and {item["distance_m"] for item in everything} == {None}


def test_phases(api):
    live = factories.move_clock(_at("Live one", *KRAKOW), starts_in=-timedelta(minutes=1))
    _at("Soon", *KRAKOW)
    ended = factories.move_clock(_at("Over", *KRAKOW), starts_in=-timedelta(hours=2))
    cancelled = _at("Called off", *KRAKOW)
    services.cancel_action(cancelled, cancelled.organizer)
    assert _titles(api.get("/api/v1/actions", {"phase": "live"})) == [live.title]
    assert _titles(api.get("/api/v1/actions", {"phase": "upcoming"})) == ["Soon"]
    assert _titles(api.get("/api/v1/actions", {"phase": "ended"})) == [ended.title]
    assert set(_titles(api.get("/api/v1/actions"))) == {"Live one", "Soon"}


def test_strangers_see_track_records_followers_see_everyone(api):
    newcomer, fan = factories.guest("New"), factories.member("fan")
    _at("First try", *KRAKOW, organizer=newcomer)
    _at("Old hand", *KRAKOW)
    assert _titles(api.get("/api/v1/actions")) == ["Old hand"]
    social.follow(fan, newcomer)
    mine = {"Authorization": f"Bearer {accounts.issue_token(fan)}"}
    assert _titles(api.get("/api/v1/actions", {"followed": 1}, headers=mine)) == ["First try"]
    assert_problem(api.get("/api/v1/actions", {"followed": 1}), 401)
    # Someone you blocked is not suggested to you.
    social.block(fan, Profile.objects.get(user__username="oldhand").user)
    assert _titles(api.get("/api/v1/actions", headers=mine)) == []


@pytest.mark.parametrize(
    "query",
    [
        {"near": "north"},
        {"near": "95,10"},
        {"near": "50,190"},
        {"near": "50.1;19.9"},
        {"near": "50.06,19.94", "radius_km": 0},
        {"near": "50.06,19.94", "radius_km": 5000},
        {"radius_km": "wide"},
        {"phase": "soon"},
        {"limit": 0},
        {"limit": 1000},
        {"followed": "maybe"},
    ],
)
def test_bad_queries_are_422(api, query):
    assert_problem(api.get("/api/v1/actions", query), 422)


def test_near_the_poles_and_the_antimeridian(api):
    _at("Fiji", -17.7134, 178.5)
    _at("Across the line", -17.70, -179.95)
    assert _titles(api.get("/api/v1/actions", {"near": "-17.71,179.99", "radius_km": 200})) == [
        "Across the line",
        "Fiji",
    ]
    assert api.get("/api/v1/actions", {"near": "89.99,0"}).json() == []


def test_profiles_and_feeds_in_the_api(api):
    star, fan = _trusted("star"), factories.member("fan")
    _at("Star's action", *KRAKOW, organizer=star)
    social.follow(fan, star)
    mine = {"Authorization": f"Bearer {accounts.issue_token(fan)}"}
    seen = api.get("/api/v1/users/star", headers=mine).json()
    assert seen["handle"] == "star" and seen["following"] is True and seen["followers"] == 1
    assert seen["impact"]["organized"] == 1 and [a["title"] for a in seen["actions"]] == ["Star's action"]
    assert api.get("/api/v1/users/star").json()["following"] is False
    assert_problem(api.get("/api/v1/users/nobody-here"), 404)
    assert [a["title"] for a in api.get("/api/v1/me/feed", headers=mine).json()] == ["Star's action"]
    assert_problem(api.get("/api/v1/me/feed"), 401)
