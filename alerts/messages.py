"""What each kind of alert says, and where it leads: one home for the words."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from actions.models import Action

from .models import Kind

# Each kind obeys one of the preferences a person sets (AlertSettings' fields).
PREFERENCE: dict[str, str] = {
    Kind.FOLLOWED_LAUNCH: "followed",
    Kind.NEARBY_LAUNCH: "nearby",
    Kind.DISPATCH: "nearby",
    Kind.REMINDER: "reminders",
    Kind.GO: "reminders",
    Kind.NUDGE: "nudges",
    Kind.CANCELLED: "changes",
    Kind.LEAD_CHANGED: "changes",
    Kind.TIME_CHANGED: "changes",
    Kind.RAID: "changes",
}
PREFERENCE_LABELS = {
    "followed": "Launches by people I follow",
    "nearby": "Actions near me (my watch areas, and calls for help nearby)",
    "reminders": "Reminders: 10 minutes before, and at GO",
    "nudges": "A nudge in the last minutes when I pledged, am near and have not checked in",
    "changes": "Changes: cancelled, new time, new lead, the crowd moving on",
}
PREFERENCES = tuple(PREFERENCE_LABELS)
# What a person sets: each preference, and email as the second channel.
SETTINGS = (*PREFERENCES, "email")
URGENT = {Kind.GO, Kind.NUDGE, Kind.DISPATCH, Kind.CANCELLED}


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _when(moment: datetime, now: datetime) -> str:
    minutes = round((moment - now).total_seconds() / 60)
    if minutes <= 0:
        return "live now"
    if minutes < 90:
        return f"starts in {minutes} min"
    return f"starts {moment:%a %d %b, %H:%M} UTC"


def compose(kind: str, action: Action, *, text: str = "", target: Action | None = None) -> dict[str, Any]:
    """The alert as the push payload (the service worker shows it) and the email's parts."""
    now = timezone.now()
    where = f" at {action.place_name}" if action.place_name else ""
    url = action.get_absolute_url()
    titles = {
        Kind.FOLLOWED_LAUNCH: f"{action.organizer.profile.display_name} launched “{action.title}”",
        Kind.NEARBY_LAUNCH: f"Near you: {action.title}",
        Kind.DISPATCH: f"Help wanted near you: {action.title}",
        Kind.REMINDER: f"“{action.title}” starts in 10 minutes",
        Kind.GO: f"GO! “{action.title}” is live",
        Kind.NUDGE: f"“{action.title}”: {text}",
        Kind.CANCELLED: f"“{action.title}” is cancelled",
        Kind.LEAD_CHANGED: f"“{action.title}” has a new lead",
        Kind.TIME_CHANGED: f"“{action.title}” has a new time",
        Kind.RAID: f"“{action.title}” hands its crowd on",
    }
    bodies = {
        Kind.FOLLOWED_LAUNCH: f"{action.deed} ({_when(action.starts_at, now)}{where})",
        Kind.NEARBY_LAUNCH: f"{action.deed} ({_when(action.starts_at, now)}{where})",
        Kind.DISPATCH: f"{action.deed} ({_when(action.starts_at, now)}{where}). Can you come?",
        Kind.REMINDER: f"{action.deed}. Be there{where or ' on time'}.",
        Kind.GO: f"{action.deed}. Tap “I'm here” when you are there.",
        Kind.NUDGE: "Tap to check in when you arrive.",
        Kind.CANCELLED: "The organizer cancelled it. Thank you for being ready.",
        Kind.LEAD_CHANGED: f"{action.organizer.profile.display_name} leads it now.",
        Kind.TIME_CHANGED: f"It {_when(action.starts_at, now)} ({action.starts_at:%H:%M} UTC){where}.",
        Kind.RAID: f"Next: “{target.title}”. Join them now." if target else "Join the next action now.",
    }
    if kind == Kind.RAID and target is not None:
        url = f"{target.get_absolute_url()}?via_raid={action.slug}"
    return {
        "kind": kind,
        "title": titles[Kind(kind)],
        "body": bodies[Kind(kind)],
        "url": absolute(url),
        "tag": f"{action.slug}:{kind}",
        "urgency": "high" if kind in URGENT else "normal",
    }
