"""Place search for the launch form: a Nominatim-style geocoder, here a real HTTP server
on a local port answering as Nominatim does."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from .conftest import assert_problem

pytestmark = pytest.mark.django_db

KRAKOW = [{"display_name": "Rynek Główny, Kraków, Polska", "lat": "50.0617", "lon": "19.9373", "place_id": 1}]


class FakeNominatim(BaseHTTPRequestHandler):
    asked: list[dict[str, list[str]]] = []

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        query = parse_qs(urlparse(self.path).query)
        FakeNominatim.asked.append({**query, "agent": [self.headers.get("User-Agent", "")]})
        body = json.dumps(KRAKOW if "rynek" in query.get("q", [""])[0].lower() else []).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def geocoder(settings) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeNominatim)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.GEOCODER_URL = f"http://127.0.0.1:{server.server_port}/search"
    FakeNominatim.asked.clear()
    yield settings.GEOCODER_URL
    server.shutdown()


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
