"""The websocket protocol's frames: one schema each, and the one encoder.

Every frame the server sends is built by the selectors or consumers as a dict and
turned into text by `encode`; with the setting GOODMOB["CHECK_FRAMES"] on (the test
suite turns it on) `encode` validates the frame against its schema first, so a frame
that drifts from this module fails the test that sent it. The HTTP API answers with the
same schemas (a snapshot is a snapshot, whichever door it leaves by). docs/protocol.md
documents them for people.
"""

from __future__ import annotations

from typing import Any, Literal

from django.conf import settings
from ninja import Field, Schema
from pydantic import ConfigDict

from common import jsontext

PhaseName = Literal["scheduled", "live", "ended", "cancelled"]
CheckInStatusName = Literal["pending", "verified", "rejected"]


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class Person(Strict):
    handle: str
    name: str


class PersonAt(Person):
    at: str


class Counts(Strict):
    pledged: int
    checked_in: int
    deeds: int
    goal: int


class ActionFields(Strict):
    slug: str
    join_code: str
    title: str
    deed: str
    place_name: str
    lat: float | None
    lon: float | None
    radius_m: int | None
    goal: int
    capacity: int | None
    status: PhaseName
    organizer: Person
    url: str
    dashboard_url: str


class FeedItem(ActionFields):
    phase: PhaseName
    starts_at: str
    ends_at: str


class Cell(Strict):
    cell: str
    lat: float
    lon: float
    boundary: list[list[float]]
    people: int


class Message(Strict):
    type: Literal["message"]
    id: int
    slug: str
    text: str
    at: str


class MomentumState(Strict):
    deeds: int = Field(description="Deeds that reach a level, done within `within_minutes`.")
    within_minutes: int
    add_minutes: int = Field(description="Minutes each level adds to the end.")
    cap_minutes: int = Field(description="The most minutes all levels add together.")
    level: int
    added_minutes: int


class MovementRef(Strict):
    id: int
    url: str


class Snapshot(Strict):
    """Everything a screen of one action needs (docs/protocol.md)."""

    type: Literal["snapshot"]
    action: ActionFields
    phase: PhaseName
    starts_at: str
    ends_at: str
    server_now: str
    counts: Counts
    recent_pledges: list[Person]
    recent_deeds: list[PersonAt]
    cells: list[Cell]
    messages: list[Message]
    co_organizers: list[Person]
    spotlight: list[FeedItem]
    raid: FeedItem | None
    momentum: MomentumState | None
    movement: MovementRef | None = Field(description="The movement this action belongs to, if any.")
    seq: int


class SpotlightFrame(Strict):
    """The organizers lend their screens to these actions (at most three, in order)."""

    type: Literal["spotlight"]
    slug: str
    actions: list[FeedItem]


class RaidFrame(Strict):
    """The action handed its crowd to `to`: offer a one-tap pledge there."""

    type: Literal["raid"]
    slug: str
    to: FeedItem
    at: str


class Level(Strict):
    """The crowd reached a momentum level: every countdown moves to the new `ends_at`."""

    type: Literal["level"]
    slug: str
    level: int
    added_minutes: int
    ends_at: str
    server_now: str


class PhaseFrame(Strict):
    type: Literal["phase"]
    slug: str
    phase: PhaseName
    starts_at: str
    ends_at: str
    server_now: str


class Launch(Strict):
    type: Literal["launch"]
    action: FeedItem


class PledgeNotice(Person):
    type: Literal["pledge"]
    slug: str


class CheckInState(Strict):
    id: int
    slug: str
    status: CheckInStatusName
    reason: str
    detail: str
    distance_m: int | None
    deed_done: bool
    method: Literal["", "gps", "code", "gps+code", "anywhere"]
    synced_late: bool


class CheckInVerdict(CheckInState):
    type: Literal["checkin"]


class Moderated(Strict):
    """A moderator hid the action: stop, show the notice, take no more writes."""

    type: Literal["moderated"]
    slug: str
    detail: str
    why: str


StageName = Literal["visited", "pledged", "arrived", "done"]


class CascadeNode(Strict):
    id: str = Field(description="A pseudonym, stable for this action, meaningless anywhere else.")
    name: str | None = Field(description="The display name, only if its owner allows it.")
    stage: StageName
    brought_by: str | None = Field(description="The id of the person whose link brought them.")
    depth: int
    brought: int = Field(description="People their link brought.")
    branch: int = Field(description="Everyone below them: those they brought, and whom those brought.")
    visits: int = Field(description="Visits through their link.")


class DepthTotals(Strict):
    depth: int
    visited: int = Field(description="Visits through the links of the people one level up.")
    pledged: int
    arrived: int
    done: int


class Cascade(Strict):
    """Who brought whom. `full`: the whole graph, replacing any held; otherwise only the
    nodes new or changed since the frame before (`seq` one less), and ids `removed`."""

    type: Literal["cascade"]
    slug: str
    seq: int
    full: bool
    nodes: list[CascadeNode]
    removed: list[str]
    totals: list[DepthTotals]
    people: int


class Area(Strict):
    """A coarse place: the centre of a cell about 250 km² wide, never the street."""

    lat: float
    lon: float


class Place(Strict):
    area: Area | None = Field(description="None: the deed is done anywhere.")
    phase: PhaseName
    deeds: int


class LocalAction(Place):
    slug: str
    title: str
    place_name: str
    organizer: Person
    starts_at: str
    ends_at: str
    url: str
    counts: Counts


class MovementSnapshot(Strict):
    """One deed in many places (`/ws/movements/<id>/`, `GET /api/v1/movements/<id>`).
    `counts` is the exact sum over every visible local action, recounted from rows.
    `actions` names those whose organizers may be shown to strangers (live first);
    `others` are the rest, as coarse places only."""

    type: Literal["movement"]
    id: int
    title: str
    deed: str
    url: str
    live_url: str
    server_now: str
    counts: Counts
    places: int = Field(description="Local actions, all of them.")
    live: int = Field(description="Local actions live now.")
    actions: list[LocalAction]
    others: list[Place]
    seq: int


class Hello(Strict):
    type: Literal["hello"]
    server_now: str


class Pong(Strict):
    type: Literal["pong"]
    client_time: int | float | str | None
    server_now: str


class Error(Strict):
    type: Literal["error"]
    code: str
    detail: str


FRAMES: dict[str, type[Strict]] = {
    "snapshot": Snapshot,
    "phase": PhaseFrame,
    "message": Message,
    "launch": Launch,
    "pledge": PledgeNotice,
    "checkin": CheckInVerdict,
    "moderated": Moderated,
    "cascade": Cascade,
    "spotlight": SpotlightFrame,
    "raid": RaidFrame,
    "level": Level,
    "movement": MovementSnapshot,
    "hello": Hello,
    "pong": Pong,
    "error": Error,
}


class UnknownFrame(ValueError):
    pass


def check(frame: dict[str, Any]) -> None:
    """Raise if the frame does not match its type's schema (pydantic's ValidationError)."""
    schema = FRAMES.get(frame.get("type", ""))
    if schema is None:
        raise UnknownFrame(f"no frame type {frame.get('type')!r} in the protocol")
    schema.model_validate(frame)


def encode(frame: dict[str, Any]) -> str:
    """The frame as the text every socket receives (encoded once per broadcast)."""
    if settings.GOODMOB["CHECK_FRAMES"]:
        check(frame)
    return jsontext.dumps(frame).decode()


def error(code: str, detail: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "detail": detail}
