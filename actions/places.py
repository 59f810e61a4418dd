"""Places by name for the launch form's map search: a Nominatim-compatible geocoder at
GEOCODER_URL (OpenStreetMap's by default; empty turns search off). The server asks, so the
organizer's searches go out under the site's name, not the organizer's address."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from django.conf import settings
from geopy.exc import GeopyError
from geopy.geocoders import Nominatim

from common.errors import Invalid, Unavailable

QUERY_MAX = 120
RESULTS = 5


@dataclass(frozen=True)
class Place:
    name: str
    lat: float
    lon: float


def search(query: str) -> list[Place]:
    query = " ".join((query or "").split())
    if not 2 <= len(query) <= QUERY_MAX:
        raise Invalid("invalid", f"Search for a place with 2 to {QUERY_MAX} characters.", field="q")
    url = urlparse(settings.GEOCODER_URL)
    if not url.netloc:
        raise Unavailable("search_off", "Place search is off on this site: pick the place on the map.")
    geocoder = Nominatim(
        domain=url.netloc + url.path.removesuffix("/search").rstrip("/"),
        scheme=url.scheme or "https",
        user_agent=settings.GEOCODER_USER_AGENT,
        timeout=5,
    )
    try:
        found = geocoder.geocode(query, exactly_one=False, limit=RESULTS) or []
    except GeopyError:
        raise Unavailable("search_unavailable", "Place search did not answer: try again, or pick on the map.") from None
    return [Place(str(place.address)[:200], float(place.latitude), float(place.longitude)) for place in found]
