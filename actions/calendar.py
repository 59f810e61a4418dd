"""An action as a calendar event (RFC 5545, via `icalendar`): what "Add to calendar"
downloads. The event's UID is stable, so re-importing after a change updates it."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from icalendar import Alarm, Calendar, Event, vGeo

from .models import Action, Phase

REMINDER_BEFORE = timedelta(minutes=10)


def ics(action: Action, url: str, host: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Good Mob//goodmob//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"{action.slug}@{host}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", action.starts_at)
    event.add("dtend", action.ends_at)
    # Grows with every change the screens were told of: calendars keep the newest.
    event.add("sequence", action.seq)
    event.add("summary", action.title)
    event.add("description", f"{action.deed}\n\nJoin: {url}")
    event.add("url", url)
    if action.is_anywhere or action.lat is None or action.lon is None:
        event.add("location", "Anywhere: wherever you are")
    else:
        event.add("location", action.place_name or "On the map")
        event.add("geo", vGeo((action.lat, action.lon)))
    event.add("status", "CANCELLED" if action.status == Phase.CANCELLED else "CONFIRMED")
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", f"{action.title} starts in 10 minutes")
    alarm.add("trigger", -REMINDER_BEFORE)
    event.add_component(alarm)
    calendar.add_component(event)
    return calendar.to_ical()
