"""What each kind of alert says, and where it leads: one home for the words."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

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
    "followed": _("Launches by people I follow"),
    "nearby": _("Actions near me (my watch areas, and calls for help nearby)"),
    "reminders": _("Reminders: 10 minutes before, and at GO"),
    "nudges": _("A nudge in the last minutes when I pledged, am near and have not checked in"),
    "changes": _("Changes: cancelled, new time, new lead, the crowd moving on"),
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
        return gettext("live now")
    if minutes < 90:
        return gettext("starts in %(minutes)s min") % {"minutes": minutes}
    return gettext("starts %(when)s UTC") % {"when": f"{moment:%d.%m %H:%M}"}


def compose(kind: str, action: Action, *, text: str = "", target: Action | None = None) -> dict[str, Any]:
    """The alert as the push payload (the service worker shows it) and the email's parts,
    in the language active when it is called (send_alerts picks each person's)."""
    now = timezone.now()
    fields = {
        "title": action.title,
        "deed": action.deed,
        "organizer": action.organizer.profile.display_name,
        "when": _when(action.starts_at, now),
        "where": gettext(" at %(place)s") % {"place": action.place_name} if action.place_name else "",
        "text": text,
        "time": f"{action.starts_at:%H:%M}",
        "next": target.title if target else "",
    }
    url = action.get_absolute_url()
    titles = {
        Kind.FOLLOWED_LAUNCH: gettext("%(organizer)s launched “%(title)s”"),
        Kind.NEARBY_LAUNCH: gettext("Near you: %(title)s"),
        Kind.DISPATCH: gettext("Help wanted near you: %(title)s"),
        Kind.REMINDER: gettext("“%(title)s” starts in 10 minutes"),
        Kind.GO: gettext("GO! “%(title)s” is live"),
        Kind.NUDGE: gettext("“%(title)s”: %(text)s"),
        Kind.CANCELLED: gettext("“%(title)s” is cancelled"),
        Kind.LEAD_CHANGED: gettext("“%(title)s” has a new lead"),
        Kind.TIME_CHANGED: gettext("“%(title)s” has a new time"),
        Kind.RAID: gettext("“%(title)s” hands its crowd on"),
    }
    bodies = {
        Kind.FOLLOWED_LAUNCH: gettext("%(deed)s (%(when)s%(where)s)"),
        Kind.NEARBY_LAUNCH: gettext("%(deed)s (%(when)s%(where)s)"),
        Kind.DISPATCH: gettext("%(deed)s (%(when)s%(where)s). Can you come?"),
        Kind.REMINDER: gettext("%(deed)s. Be there on time%(where)s."),
        Kind.GO: gettext("%(deed)s. Tap “I'm here” when you are there."),
        Kind.NUDGE: gettext("Tap to check in when you arrive."),
        Kind.CANCELLED: gettext("The organizer cancelled it. Thank you for being ready."),
        Kind.LEAD_CHANGED: gettext("%(organizer)s leads it now."),
        Kind.TIME_CHANGED: gettext("It %(when)s (%(time)s UTC)%(where)s."),
        Kind.RAID: gettext("Next: “%(next)s”. Join them now.") if target else gettext("Join the next action now."),
    }
    if kind == Kind.RAID and target is not None:
        url = f"{target.get_absolute_url()}?via_raid={action.slug}"
    return {
        "kind": kind,
        "title": titles[Kind(kind)] % fields,
        "body": bodies[Kind(kind)] % fields,
        "url": absolute(url),
        "tag": f"{action.slug}:{kind}",
        "urgency": "high" if kind in URGENT else "normal",
    }
