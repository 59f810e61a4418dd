"""Stream overlay widgets: one URL each, styled by query string, never broken by a typo."""

from __future__ import annotations

import json
import re

import pytest

from actions import overlays

pytestmark = pytest.mark.django_db


def look_of(page: str) -> dict[str, str]:
    return json.loads(re.search(r'<script id="look" type="application/json">(.*?)</script>', page, re.S).group(1))


@pytest.mark.parametrize("widget", overlays.WIDGETS)
def test_every_widget_has_its_page(client, action, widget):
    answer = client.get(f"/a/{action.slug}/overlay/{widget}")
    assert answer.status_code == 200
    page = answer.content.decode()
    assert f'data-widget="{widget}"' in page and "corner-bl size-m" in page
    assert "frame-ancestors *" in answer["Content-Security-Policy"] and "X-Frame-Options" not in answer


def test_options_come_from_the_query_string(client, action):
    page = client.get(
        f"/a/{action.slug}/overlay/goal?size=l&corner=tr&accent=FF0066&panel=%23ffffff&opacity=50"
    ).content.decode()
    assert "corner-tr size-l" in page
    assert look_of(page) == {"--o-panel": "#ffffff80", "--o-text": "#f8fafc", "--o-accent": "#ff0066"}


def test_unreadable_options_fall_back_to_the_defaults(client, action):
    query = "size=huge&corner=<script>&accent=red;}&opacity=lots&count=money&panel=12345"
    page = client.get(f"/a/{action.slug}/overlay/counter?{query}").content.decode()
    assert "corner-bl size-m" in page and "<script>&" not in page
    assert look_of(page) == overlays.Look().css()
    assert 'data-count="deeds"' in page


def test_the_counter_counts_what_it_is_told(client, action):
    page = client.get(f"/a/{action.slug}/overlay/counter?count=checked_in&label=here+now").content.decode()
    assert 'data-count="checked_in"' in page and "here now" in page


def test_an_unknown_widget_is_a_404(client, action):
    assert client.get(f"/a/{action.slug}/overlay/confetti").status_code == 404
