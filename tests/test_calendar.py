"""Add to calendar: /a/<slug>.ics is a valid RFC 5545 event that calendars can update."""

from __future__ import annotations

import pytest
from icalendar import Calendar

from actions import services

from . import factories

pytestmark = pytest.mark.django_db


def _event(client, action):
    response = client.get(f"/a/{action.slug}.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    assert f'filename="{action.slug}.ics"' in response["Content-Disposition"]
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert len(events) == 1
    return events[0]


def test_the_event_says_what_when_and_where(client, action):
    event = _event(client, action)
    assert str(event["summary"]) == action.title
    # Calendars keep whole seconds.
    assert event.decoded("dtstart") == action.starts_at.replace(microsecond=0)
    assert event.decoded("dtend") == action.ends_at.replace(microsecond=0)
    assert str(event["location"]) == action.place_name
    assert action.deed in str(event["description"]) and str(event["url"]).endswith(f"/a/{action.slug}")
    assert str(event["uid"]) == f"{action.slug}@testserver" and str(event["status"]) == "CONFIRMED"
    assert str(event.walk("VALARM")[0].decoded("trigger")) == "-1 day, 23:50:00"
    page = client.get(action.get_absolute_url()).content.decode()
    assert f'href="/a/{action.slug}.ics"' in page and 'data-testid="share"' in page


def test_a_cancel_and_anywhere_and_a_hidden_action(client):
    anywhere = factories.action(radius_m=None, lat=None, lon=None, title="Anywhere deed")
    event = _event(client, anywhere)
    assert "Anywhere" in str(event["location"]) and "geo" not in event
    services.cancel_action(anywhere, anywhere.organizer)
    anywhere.refresh_from_db()
    cancelled = _event(client, anywhere)
    assert str(cancelled["status"]) == "CANCELLED" and int(cancelled["sequence"]) >= int(event["sequence"])
    services.hide_action(anywhere, "spam")
    assert client.get(f"/a/{anywhere.slug}.ics").status_code == 410
    assert client.get("/a/no-such-action.ics").status_code == 404
