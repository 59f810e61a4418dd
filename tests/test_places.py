"""Place search for the launch form: a Nominatim-style geocoder, here a real HTTP server
on a local port answering as Nominatim does (tests/servers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .conftest import assert_problem
from .servers import FakeNominatim, fake_geocoder

pytestmark = pytest.mark.django_db


@pytest.fixture
def geocoder(settings) -> Iterator[str]:
    with fake_geocoder() as url:
        settings.GEOCODER_URL = url
        yield url


def test_places_by_name(api, bearer, geocoder):
    _, headers = bearer
    found = api.get("/api/v1/places?q=Rynek Główny", headers=headers)
    assert found.status_code == 200
    assert found.json() == [{"name": "Rynek Główny, Kraków, Polska", "lat": 50.0617, "lon": 19.9373}]
    assert FakeNominatim.asked[0]["limit"] == ["5"] and "goodmob" in FakeNominatim.asked[0]["agent"][0]
    assert api.get("/api/v1/places?q=nowhere at all", headers=headers).json() == []


def test_search_needs_a_person_and_a_query(api, bearer, geocoder):
    assert api.get("/api/v1/places?q=Rynek").status_code == 401
    _, headers = bearer
    assert_problem(api.get("/api/v1/places?q=x", headers=headers), 422)
    assert_problem(api.get(f"/api/v1/places?q={'a' * 200}", headers=headers), 422)


def test_search_off_or_down_is_a_clear_503(api, bearer, settings):
    _, headers = bearer
    settings.GEOCODER_URL = ""
    assert_problem(api.get("/api/v1/places?q=Rynek", headers=headers), 503, "search_off")
    settings.GEOCODER_URL = "http://127.0.0.1:9/search"  # nothing listens on the discard port
    assert_problem(api.get("/api/v1/places?q=Rynek", headers=headers), 503, "search_unavailable")
