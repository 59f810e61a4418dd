"""The domain's rules, each written once: pure functions of values, no queries.

Forms, API schemas, the hot door and the batch path all take their limits from here;
services call the check_* functions, which raise a ServiceError that says what is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_noop

from common.denylist import check_allowed
from common.errors import Conflict, Gone, Invalid
from common.inputs import check_text, one_line

from . import presence
from .geo import LAT_MAX, LAT_MIN, LON_MAX, LON_MIN, in_range
from .models import Action, Phase

# Places (coordinate bounds live in geo).
RADIUS_MIN, RADIUS_MAX = 10, 50_000
DEFAULT_RADIUS = 150
ACCURACY_MAX = 1_000_000.0

# Launch fields.
TITLE_MAX = 120
DEED_MAX = 280
PLACE_NAME_MAX = 120
DURATION_MAX = 180
GOAL_MAX = 10_000_000
CAPACITY_MAX = 1_000_000
# No 0/O, 1/I/L: codes are read aloud on streams and typed on phones.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6


def normalize_join_code(typed: str) -> str:
    """A code as people type it: any case, spaces or dashes as screens group it ("WBX TTB"),
    pasted with stray punctuation."""
    return "".join(ch for ch in (typed or "") if ch.isascii() and ch.isalnum()).upper()


# Check-ins and messages.
IDEMPOTENCY_KEY_MIN, IDEMPOTENCY_KEY_MAX = 8, 80
MESSAGE_MAX = 280
# A deed can take a few minutes: "Done!" is still taken this long after the end.
DEED_GRACE = timedelta(minutes=30)
# A check-in tapped with no signal is kept on the phone and sent when the signal comes
# back: it counts if the fix was taken inside the window and it arrives this soon after
# the end. The phone's time of the fix is believed only within these bounds.
LATE_SYNC_GRACE = timedelta(minutes=15)
CLOCK_SKEW = timedelta(minutes=1)
PRESENCE_CODE_LENGTH = presence.LENGTH

CLOSED = (Phase.ENDED, Phase.CANCELLED)
# The phases as pages print them ({% translate snapshot.phase %}): listed for the catalog.
PHASE_WORDS = (gettext_noop("scheduled"), gettext_noop("live"), gettext_noop("ended"), gettext_noop("cancelled"))

# Attention: other actions one action may spotlight at a time.
SPOTLIGHT_MAX = 3

# Momentum levels.
LEVEL_DEEDS_MAX = 1_000_000
LEVEL_WITHIN_MAX = 60
LEVEL_ADD_MAX = 60
LEVEL_CAP_MAX = 180


def check_coordinates(lat: float | None, lon: float | None) -> None:
    """Each coordinate given is a finite number inside its bounds."""
    if lat is not None and not in_range(lat, LAT_MIN, LAT_MAX):
        raise Invalid("invalid", gettext_noop("Latitude is between -90 and 90."), field="lat")
    if lon is not None and not in_range(lon, LON_MIN, LON_MAX):
        raise Invalid("invalid", gettext_noop("Longitude is between -180 and 180."), field="lon")


HIDDEN_DETAIL = "A moderator hid this action: it takes no more pledges, check-ins or deeds."


def check_visible(action: Action) -> None:
    """A hidden action refuses every write (410): it is gone for everyone but moderators."""
    if action.is_hidden:
        raise Gone("hidden", HIDDEN_DETAIL)


# Public listing (the home page's "happening now and soon", a movement's named places,
# later discovery and nearby alerts) needs a track record of the organizer or of a
# co-organizer who accepted; a launch always reaches its organizer's followers. A track
# record is any of: a moderator vouched for the person (Profile.trusted); a verified
# deed of theirs on an action someone else organized; an earlier action of theirs with
# TRACK_RECORD_DEEDS verified deeds. selectors.with_track_record applies it.
TRACK_RECORD_DEEDS = 5


def is_closed(action: Action, now: datetime) -> bool:
    """Ended or cancelled: no new pledges, no new check-ins to batch."""
    return action.phase_at(now) in CLOSED


def check_open(action: Action, now: datetime) -> None:
    """Open for pledges: neither ended nor cancelled."""
    phase = action.phase_at(now)
    if phase == Phase.CANCELLED:
        raise Conflict("cancelled", gettext_noop("This action was cancelled."))
    if phase == Phase.ENDED:
        raise Conflict("ended", gettext_noop("This action has ended."))


def check_not_cancelled(action: Action, now: datetime) -> None:
    """Check-ins (judged later against the window) and messages are taken until a cancel."""
    if action.phase_at(now) == Phase.CANCELLED:
        raise Conflict("cancelled", gettext_noop("This action was cancelled."))


def check_not_started(action: Action, now: datetime) -> None:
    check_visible(action)
    if action.phase_at(now) != Phase.SCHEDULED:
        raise Conflict("started", gettext_noop("Only an action that has not started can move to a new time."))


def clean_new_start(starts_at: datetime, duration_minutes: int, now: datetime) -> datetime:
    if starts_at.tzinfo is None:
        raise Invalid("invalid", gettext_noop("Give the start time with a time zone (ISO 8601)."), field="starts_at")
    if starts_at < now:
        raise Invalid("invalid", gettext_noop("The start time is in the past."), field="starts_at")
    if starts_at > now + timedelta(days=settings.GOODMOB["MAX_FUTURE_DAYS"]):
        raise Invalid(
            "invalid", f"The start is at most {settings.GOODMOB['MAX_FUTURE_DAYS']} days ahead.", field="starts_at"
        )
    if not 1 <= duration_minutes <= DURATION_MAX:
        raise Invalid("invalid", f"The duration is 1 to {DURATION_MAX} minutes.", field="duration_minutes")
    return starts_at


def check_can_finish(action: Action, now: datetime) -> None:
    """An organizer may end or cancel an action only while it is neither."""
    phase = action.phase_at(now)
    if phase in CLOSED:
        raise Conflict(phase, f"This action has already {'ended' if phase == Phase.ENDED else 'been cancelled'}.")


def counts_as_live(action: Action, received_at: datetime) -> bool:
    """A check-in counts when the server received it inside the window (never the phone's clock)."""
    if action.status == Phase.CANCELLED or action.is_hidden:
        return False
    return action.starts_at <= received_at < action.ends_at


def counts_as_synced_late(action: Action, fixed_at: datetime | None, received_at: datetime) -> bool:
    """An offline check-in sent after the end: its fix inside the window, its arrival
    within the grace period."""
    if fixed_at is None or action.status == Phase.CANCELLED or action.is_hidden:
        return False
    return action.starts_at <= fixed_at < action.ends_at and received_at < action.ends_at + LATE_SYNC_GRACE


def counts_on_public_map(joined: datetime, action: Action) -> bool:
    """A verified check-in counts toward the public map when its person's account existed
    PUBLIC_MAP_MIN_ACCOUNT_AGE_HOURS (24) before the action started. Accounts made for the
    occasion (most guests, and every throwaway an attacker makes to surround someone's
    cell) still check in and count in every tally; they just never light up a cell."""
    min_age = timedelta(hours=settings.GOODMOB["PUBLIC_MAP_MIN_ACCOUNT_AGE_HOURS"])
    return joined <= action.starts_at - min_age


def check_deed_window(action: Action, now: datetime) -> None:
    if action.status == Phase.CANCELLED or now > action.ends_at + DEED_GRACE:
        raise Conflict("ended", gettext_noop("This action is over; deeds can no longer be marked."))


def check_idempotency_key(key: str) -> None:
    if not IDEMPOTENCY_KEY_MIN <= len(key) <= IDEMPOTENCY_KEY_MAX:
        raise Invalid(
            "invalid",
            f"Send an idempotency_key of {IDEMPOTENCY_KEY_MIN} to {IDEMPOTENCY_KEY_MAX} characters "
            "(a fresh one per attempt).",
            field="idempotency_key",
        )


def clean_message(text: str | None) -> str:
    return one_line(
        text,
        field="text",
        max_length=MESSAGE_MAX,
        missing="Write a message.",
        too_long=f"A message has at most {MESSAGE_MAX} characters.",
    )


@dataclass(frozen=True)
class LaunchInput:
    title: str
    deed: str
    starts_at: datetime
    duration_minutes: int
    goal: int
    place_name: str = ""
    lat: float | None = None
    lon: float | None = None
    radius_m: int | None = None
    capacity: int | None = None


# Nearby dispatch (DESIGN.md section 2): how many people, and how far out at most.
DISPATCH_PEOPLE_MAX = 10_000
DISPATCH_RADIUS_KM_MAX = 50


@dataclass(frozen=True)
class DispatchInput:
    people: int
    max_radius_km: int
    begins_at: datetime | None = None


def clean_dispatch(data: DispatchInput, launch: LaunchInput, now: datetime) -> DispatchInput:
    """Asking watchers nearby for `people` helpers, from `begins_at` (now where left out)
    until the start. The action needs a place: rings widen around it."""
    if launch.lat is None or launch.lon is None or launch.radius_m is None:
        raise Invalid("invalid", gettext_noop("Nearby dispatch needs a place, not “anywhere”."), field="dispatch")
    if not 1 <= data.people <= DISPATCH_PEOPLE_MAX:
        raise Invalid("invalid", f"Ask for 1 to {DISPATCH_PEOPLE_MAX:,} people.", field="people")
    if not 1 <= data.max_radius_km <= DISPATCH_RADIUS_KM_MAX:
        raise Invalid("invalid", f"The radius is 1 to {DISPATCH_RADIUS_KM_MAX} km.", field="max_radius_km")
    begins_at = data.begins_at or now
    if begins_at.tzinfo is None:
        raise Invalid(
            "invalid", gettext_noop("Give the dispatch's start with a time zone (ISO 8601)."), field="begins_at"
        )
    if begins_at >= launch.starts_at:
        raise Invalid("invalid", gettext_noop("Dispatch begins before the action starts."), field="begins_at")
    return replace(data, begins_at=max(begins_at, now))


def launch_input(values: Mapping[str, Any]) -> LaunchInput:
    """The launch fields out of a form's or a request's values (anything else is ignored)."""
    return LaunchInput(**{f.name: values[f.name] for f in fields(LaunchInput) if f.name in values})


def copied_by_fork(original: Action) -> dict[str, Any]:
    """What a fork takes from its original unless told otherwise."""
    minutes = int((original.ends_at - original.starts_at).total_seconds() // 60)
    return {"title": original.title, "goal": original.goal, "duration_minutes": min(minutes, DURATION_MAX)}


def fork_input(original: Action, values: Mapping[str, Any]) -> LaunchInput:
    """A fork's launch fields: the original's deed always, and its title, goal and
    duration where `values` leaves them out (None)."""
    copied = copied_by_fork(original)
    given = {key: value for key, value in values.items() if value is not None or key not in copied}
    return launch_input({**copied, **given, "deed": original.deed})


def clean_launch(data: LaunchInput, now: datetime) -> LaunchInput:
    title = one_line(
        data.title,
        field="title",
        max_length=TITLE_MAX,
        missing="Give the action a title.",
        too_long=f"A title has at most {TITLE_MAX} characters.",
    )
    deed = one_line(
        data.deed,
        field="deed",
        max_length=DEED_MAX,
        missing="Say in one sentence what the deed is.",
        too_long=f"The deed has at most {DEED_MAX} characters.",
    )
    if len(data.place_name) > PLACE_NAME_MAX:
        raise Invalid("invalid", f"A place name has at most {PLACE_NAME_MAX} characters.", field="place_name")
    if not 1 <= data.duration_minutes <= DURATION_MAX:
        raise Invalid("invalid", f"The duration is 1 to {DURATION_MAX} minutes.", field="duration_minutes")
    if not 1 <= data.goal <= GOAL_MAX:
        raise Invalid("invalid", f"The goal is 1 to {GOAL_MAX:,} deeds.", field="goal")
    if data.capacity is not None and not 1 <= data.capacity <= CAPACITY_MAX:
        raise Invalid("invalid", f"Capacity is 1 to {CAPACITY_MAX:,} people (or leave it empty).", field="capacity")
    if data.starts_at.tzinfo is None:
        raise Invalid("invalid", gettext_noop("Give the start time with a time zone (ISO 8601)."), field="starts_at")
    if data.starts_at < now - timedelta(minutes=1):
        raise Invalid("invalid", gettext_noop("The start time is in the past."), field="starts_at")
    max_days = settings.GOODMOB["MAX_FUTURE_DAYS"]
    if data.starts_at > now + timedelta(days=max_days):
        raise Invalid("invalid", f"The start is at most {max_days} days ahead.", field="starts_at")
    if data.radius_m is not None:
        if data.lat is None or data.lon is None:
            raise Invalid("invalid", gettext_noop("A place needs a latitude and a longitude."), field="lat")
        if not RADIUS_MIN <= data.radius_m <= RADIUS_MAX:
            raise Invalid("invalid", gettext_noop("The radius is 10 m to 50 km (or anywhere)."), field="radius_m")
    check_coordinates(data.lat, data.lon)
    check_allowed(title, "title")
    check_allowed(deed, "deed")
    return replace(data, title=title, deed=deed, place_name=check_allowed(data.place_name.strip(), "place_name"))


@dataclass(frozen=True)
class CheckInInput:
    idempotency_key: str
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    presence_code: str | None = None  # read off the screen at the spot (presence.py)
    fixed_at: datetime | None = None  # when an offline phone took its fix


def clean_checkin(action: Action, data: CheckInInput, now: datetime) -> CheckInInput:
    key = check_text((data.idempotency_key or "").strip(), "idempotency_key")
    check_idempotency_key(key)
    code = presence.normalize(data.presence_code or "")
    if data.presence_code is not None and len(code) != presence.LENGTH:
        raise Invalid("invalid", f"The code on the screen has {presence.LENGTH} digits.", field="presence_code")
    located = any(v is not None for v in (data.lat, data.lon, data.accuracy_m))
    if located or not (action.is_anywhere or code):
        if data.lat is None or data.lon is None:
            raise Invalid(
                "invalid", gettext_noop("Send your location (lat and lon) or the code on the screen."), field="lat"
            )
        check_coordinates(data.lat, data.lon)
        if not in_range(data.accuracy_m, 0, ACCURACY_MAX):
            raise Invalid(
                "invalid",
                gettext_noop("Send accuracy_m, the fix's accuracy in metres (0 or more)."),
                field="accuracy_m",
            )
    if data.fixed_at is not None:
        if data.fixed_at.tzinfo is None:
            raise Invalid("invalid", gettext_noop("Give fixed_at with a time zone (ISO 8601)."), field="fixed_at")
        if data.fixed_at > now + CLOCK_SKEW:
            raise Invalid(
                "invalid", gettext_noop("fixed_at is in the future: send when the fix was taken."), field="fixed_at"
            )
    return CheckInInput(key, data.lat, data.lon, data.accuracy_m, code, data.fixed_at)


@dataclass(frozen=True)
class MomentumInput:
    deeds: int
    within_minutes: int
    add_minutes: int
    cap_minutes: int


def clean_momentum(data: MomentumInput) -> MomentumInput:
    if not 1 <= data.deeds <= LEVEL_DEEDS_MAX:
        raise Invalid("invalid", f"A level needs 1 to {LEVEL_DEEDS_MAX:,} deeds.", field="deeds")
    if not 1 <= data.within_minutes <= LEVEL_WITHIN_MAX:
        raise Invalid("invalid", f"Count deeds within 1 to {LEVEL_WITHIN_MAX} minutes.", field="within_minutes")
    if not 1 <= data.add_minutes <= LEVEL_ADD_MAX:
        raise Invalid("invalid", f"A level adds 1 to {LEVEL_ADD_MAX} minutes.", field="add_minutes")
    if not data.add_minutes <= data.cap_minutes <= LEVEL_CAP_MAX:
        raise Invalid(
            "invalid",
            f"The cap is at least the minutes one level adds, and at most {LEVEL_CAP_MAX}.",
            field="cap_minutes",
        )
    return data
