"""The HTTP API's request and answer bodies. Limits come from rules.py; frames that the
API also answers with (a snapshot, a message, a verdict) come from protocol.py."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Field, Schema
from pydantic import BaseModel

from common.openapi import SOME_TEXT, Between, WholeNumber

from . import geo, protocol, rules

# Strict: a JSON number, never a boolean or a numeric string.
Latitude = Annotated[float, Field(strict=True, ge=geo.LAT_MIN, le=geo.LAT_MAX)]
Longitude = Annotated[float, Field(strict=True, ge=geo.LON_MIN, le=geo.LON_MAX)]


# Slugs and handles (Django's SlugField): an unknown one is a 404, a malformed one a 422.
SLUG = r"^[-a-zA-Z0-9_]+$"
Strict = protocol.Strict


class PledgeIn(Schema):
    ref: str | None = Field(None, max_length=40, description="The handle of whoever shared the link.")
    via_raid: str | None = Field(
        None, max_length=60, pattern=SLUG, description="The slug of the action whose raid brought you."
    )
    via_spotlight: str | None = Field(
        None, max_length=60, pattern=SLUG, description="The slug of the action whose spotlight brought you."
    )


# The network's inputs take no other keys: a typo is a 422, not silently nothing.
class SpotlightIn(Strict):
    slugs: list[Annotated[str, Field(max_length=60, pattern=SLUG)]] = Field(
        max_length=rules.SPOTLIGHT_MAX,
        json_schema_extra={"uniqueItems": True},
        description="Up to three other actions, each once, in order; [] clears it.",
    )


class RaidIn(Strict):
    to: str = Field(max_length=60, pattern=SLUG, description="The slug of the action to hand the crowd to.")


class PledgeOut(Schema):
    action: str
    handle: str
    pledged_at: str
    share_url: str


class CheckInIn(BaseModel):
    # A plain pydantic model, not a ninja Schema: every check-in is validated against
    # it, and the Schema's wrapping validator (it reads the fields through a getter
    # object) took 32 µs where pydantic alone takes 3.4. The OpenAPI shape is the same.
    lat: Latitude | None = None
    lon: Longitude | None = None
    accuracy_m: float | None = Field(None, strict=True, ge=0, le=rules.ACCURACY_MAX)
    idempotency_key: str = Field(
        min_length=rules.IDEMPOTENCY_KEY_MIN,
        max_length=rules.IDEMPOTENCY_KEY_MAX,
        description="A fresh one per attempt.",
    )
    presence_code: str | None = Field(
        None,
        min_length=rules.PRESENCE_CODE_LENGTH,
        max_length=rules.PRESENCE_CODE_LENGTH + 4,
        pattern=r"^[0-9][0-9 -]*[0-9]$",
        description="The code on the screen at the spot (it changes every 30 s; spaces and dashes are fine).",
    )
    fixed_at: datetime | None = Field(
        None,
        description="For a check-in tapped offline and sent later: when the fix was taken (server clock, "
        "ISO 8601 with a time zone). It counts if taken inside the window and sent within "
        f"{rules.LATE_SYNC_GRACE.seconds // 60} minutes of the end.",
    )


class PlaceAndTime(Schema):
    place_name: str = Field("", max_length=rules.PLACE_NAME_MAX)
    lat: Latitude | None = None
    lon: Longitude | None = None
    radius_m: Annotated[int, Between(rules.RADIUS_MIN, rules.RADIUS_MAX)] | None = Field(
        None, description="Null: the deed is done anywhere."
    )
    starts_at: datetime = Field(description="ISO 8601 with a time zone; from now to 30 days ahead.")
    capacity: Annotated[int, Between(1, rules.CAPACITY_MAX)] | None = None


class RescheduleIn(Strict):
    starts_at: datetime
    duration_minutes: Annotated[int, Between(1, rules.DURATION_MAX)] | None = None


class DispatchIn(Strict):
    """Alert people watching the area, nearest first, widening every minute, until
    `people` have pledged, the rings reach `max_radius_km` or the action starts."""

    people: WholeNumber = Field(ge=1, le=rules.DISPATCH_PEOPLE_MAX)
    max_radius_km: WholeNumber = Field(ge=1, le=rules.DISPATCH_RADIUS_KM_MAX)
    begins_at: datetime | None = Field(None, description="When the first ring goes out; now where left out.")


class ActionIn(PlaceAndTime):
    title: str = Field(min_length=1, max_length=rules.TITLE_MAX, pattern=SOME_TEXT)
    deed: str = Field(min_length=1, max_length=rules.DEED_MAX, pattern=SOME_TEXT)
    duration_minutes: WholeNumber = Field(ge=1, le=rules.DURATION_MAX)
    goal: WholeNumber = Field(ge=1, le=rules.GOAL_MAX)
    dispatch: DispatchIn | None = Field(None, description="Nearby dispatch; needs a track record (403 otherwise).")


class ForkIn(PlaceAndTime, Strict):
    """The deed is the original's and cannot be changed; what is left out is copied."""

    title: str | None = Field(None, min_length=1, max_length=rules.TITLE_MAX, pattern=SOME_TEXT)
    duration_minutes: Annotated[int, Between(1, rules.DURATION_MAX)] | None = None
    goal: Annotated[int, Between(1, rules.GOAL_MAX)] | None = None


class ActionCreated(Schema):
    slug: str
    join_code: str
    url: str
    dashboard_url: str
    qr_url: str


class ForkCreated(ActionCreated):
    movement: protocol.MovementRef


class MessageIn(Schema):
    text: str = Field(min_length=1, max_length=rules.MESSAGE_MAX, pattern=SOME_TEXT)


class Funnel(protocol.Counts):
    pending: int
    rejected: dict[str, int] = Field(description="Rejected check-ins by reason.")
    verified_by: dict[str, int] = Field(
        description="Verified check-ins by method (gps, code, gps+code, anywhere), and synced_late: "
        "those tapped offline and sent after the end."
    )


class Referrer(protocol.Person):
    brought: int
    deeds: int


class Passed(protocol.Strict):
    people: int
    deeds: int = Field(description="How many of them did the deed (verified).")


class Attention(protocol.Strict):
    given: Passed = Field(description="People this action passed on to others by spotlight or raid.")
    received: Passed = Field(description="People other actions passed on to this one.")


class Results(protocol.Strict):
    counts: protocol.Counts
    cells: list[protocol.Cell]
    referrers: list[Referrer]
    attention: Attention


class HandleIn(Strict):
    handle: str = Field(max_length=40, pattern=SLUG, description="A person's handle (as in /u/<handle>).")


class OrganizerOut(protocol.Person):
    accepted: bool = Field(description="False while the invitation waits for them.")


class MomentumIn(Strict):
    deeds: WholeNumber = Field(ge=1, le=rules.LEVEL_DEEDS_MAX, description="Deeds that reach a level...")
    within_minutes: WholeNumber = Field(
        ge=1, le=rules.LEVEL_WITHIN_MAX, description="...when done within these minutes."
    )
    add_minutes: WholeNumber = Field(ge=1, le=rules.LEVEL_ADD_MAX, description="Minutes each level adds to the end.")
    cap_minutes: WholeNumber = Field(
        ge=1, le=rules.LEVEL_CAP_MAX, description="The most minutes all levels add (at least add_minutes)."
    )
