"""API: actions, pledges, check-ins and the organizer's controls."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from accounts.auth import AsyncBearerAuth, AsyncSessionAuth, BearerAuth, SessionAuth, caller
from accounts.selectors import person
from common import ratelimit
from common.errors import Forbidden, NotFound, ServiceError
from common.openapi import refusals
from common.pool import hot

from . import cascade, doors, movements, places, presence, protocol, rules, selectors, services
from .doors import find_action
from .models import Action, CoOrganizer, Receipt
from .schemas import (
    ActionCreated,
    ActionIn,
    CheckInIn,
    ForkCreated,
    ForkIn,
    Funnel,
    HandleIn,
    MessageIn,
    MomentumIn,
    OrganizerOut,
    PledgeIn,
    PledgeOut,
    RaidIn,
    RescheduleIn,
    Results,
    SpotlightIn,
)
from .services import receipts

router = Router()
AUTH = [BearerAuth(), SessionAuth()]
# The hot endpoints (a crowd checking in at one moment) are async: middleware and auth
# stay on the event loop, and the database work runs on the hot pool (common/pool.py).
ASYNC_AUTH = [AsyncBearerAuth(), AsyncSessionAuth()]


def site_of(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def absolute_links(request: HttpRequest, action: Action) -> dict[str, str]:
    fields = selectors.action_fields(action)
    return {
        "url": request.build_absolute_uri(fields["url"]),
        "dashboard_url": request.build_absolute_uri(fields["dashboard_url"]),
        "qr_url": request.build_absolute_uri(f"{fields['url']}/qr.svg"),
    }


@router.post("/actions", auth=AUTH, response={201: ActionCreated, **refusals(403)}, tags=["actions"])
def create_action(request: HttpRequest, payload: ActionIn) -> Status:
    """Launch an action. `radius_m` null means the deed can be done anywhere."""
    ratelimit.check("launch", str(caller(request).pk))
    dispatch = rules.DispatchInput(**payload.dispatch.dict()) if payload.dispatch else None
    action = services.launch_action(caller(request), rules.launch_input(payload.dict()), dispatch=dispatch)
    return Status(201, {"slug": action.slug, "join_code": action.join_code, **absolute_links(request, action)})


@router.post(
    "/actions/{slug}/forks", auth=AUTH, response={201: ForkCreated, **refusals(404, 409, 410)}, tags=["network"]
)
def fork(request: HttpRequest, slug: str, payload: ForkIn) -> Status:
    """Do this deed at your own place and time: a new action of your own in the same
    movement. Fields are a launch's (title, goal and duration copied where left out);
    the deed is always the original's. 409 when the original ended or was cancelled."""
    by = caller(request)
    ratelimit.check("launch", str(by.pk))
    original = find_action(slug)
    made = services.fork_action(original, by, rules.fork_input(original, payload.dict(exclude_unset=True)))
    return Status(
        201,
        {
            "slug": made.slug,
            "join_code": made.join_code,
            **absolute_links(request, made),
            "movement": selectors.movement_ref(made),
        },
    )


@router.get(
    "/movements/{int:movement_id}", response={200: protocol.MovementSnapshot, **refusals(404)}, tags=["network"]
)
def get_movement(request: HttpRequest, movement_id: int) -> dict[str, Any]:
    """One deed in many places: every local action, and the exact sum of their tallies."""
    movement = movements.get_movement(movement_id)
    if movement is None:
        raise NotFound("not_found", "No movement has that id.")
    return movements.snapshot(movement)


@router.get("/actions/{slug}", response={200: protocol.Snapshot, **refusals(404, 410)}, tags=["actions"])
def get_action(request: HttpRequest, slug: str) -> dict[str, Any]:
    """The action's snapshot: the same shape the websocket sends."""
    return selectors.snapshot(doors.visible_action(slug))


@router.get("/join/{code}", response={200: protocol.Snapshot, **refusals(404, 410)}, tags=["actions"])
def resolve_join_code(request: HttpRequest, code: str) -> dict[str, Any]:
    """Resolve a 6-character join code (any case) to the action's snapshot."""
    action = selectors.get_action_by_code(code)
    if action is None:
        raise NotFound("not_found", "No action has that join code.")
    rules.check_visible(action)
    return selectors.snapshot(action)


@router.get("/actions/{slug}/cascade", response={200: protocol.Cascade, **refusals(404, 410)}, tags=["network"])
def get_cascade(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Who brought whom, read now: one node per person (a pseudonym stable for this action,
    a name only where its owner allows it, never a place) and totals by depth."""
    return cascade.current_frame(doors.visible_action(slug))


@router.get("/actions/{slug}/tally", response={200: protocol.Counts, **refusals(404, 410)}, tags=["actions"])
def tally(request: HttpRequest, slug: str) -> dict[str, int]:
    """Exact counts, recounted from the database now."""
    return selectors.counts(doors.visible_action(slug))


@router.post(
    "/actions/{slug}/pledges",
    auth=ASYNC_AUTH,
    response={200: PledgeOut, 201: PledgeOut, **refusals(404, 409, 410)},
    tags=["actions"],
)
async def create_pledge(request: HttpRequest, slug: str, payload: PledgeIn | None = None) -> Status:
    """Pledge to take part. Idempotent: 201 the first time, 200 after. 409 `full`, `ended` or `cancelled`."""
    return Status(*await hot(doors.pledge_as)(caller(request), slug, payload, site_of(request)))


@router.post(
    "/actions/{slug}/cancel",
    auth=AUTH,
    response={200: protocol.Snapshot, **refusals(404, 409)},
    tags=["organizer"],
)
def cancel(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Cancel an action (organizer only). Every open page is told at once."""
    action = services.cancel_action(find_action(slug), caller(request))
    return selectors.snapshot(action)


@router.post(
    "/actions/{slug}/reschedule",
    auth=AUTH,
    response={200: protocol.Snapshot, **refusals(403, 404, 409, 410)},
    tags=["organizer"],
)
def reschedule(request: HttpRequest, slug: str, payload: RescheduleIn) -> dict[str, Any]:
    """Move an action that has not started (the lead only). Its pledgers are alerted at once."""
    action = services.reschedule(find_action(slug), caller(request), payload.starts_at, payload.duration_minutes)
    return selectors.snapshot(action)


@router.post(
    "/actions/{slug}/checkins",
    auth=ASYNC_AUTH,
    response={202: protocol.CheckInState, **refusals(404, 409, 410)},
    tags=["check-ins"],
)
async def create_checkin(request: HttpRequest, slug: str, payload: CheckInIn) -> Status:
    """Check in on the spot: with your location, the code on the screen there
    (`presence_code`), or both. Stored at once as `pending` (202); a worker verifies it and the
    verdict reaches `/ws/me/`. A check-in tapped offline carries `fixed_at` and is sent when
    the signal returns. The same `idempotency_key` returns the same check-in; a new
    key starts a new attempt only after a rejection. Pledges first if needed."""
    answer = await doors.checkin_writes.submit(doors.CheckInCall(slug, payload, user=caller(request)))
    if isinstance(answer, ServiceError):
        raise answer
    return Status(*answer)


class ParticipantOut(protocol.Person):
    stage: str = Field(description="pledged, checking, refused, here or done")
    method: str = Field(description="How a check-in was verified: gps, code, gps+code, anywhere; empty before")
    reason: str = Field(description="Why a check-in was refused (stage refused)")
    synced_late: bool
    at: str = Field(description="When the person last moved a stage (ISO 8601)")


@router.get(
    "/actions/{slug}/participants",
    auth=AUTH,
    response={200: list[ParticipantOut], **refusals(403, 404)},
    tags=["organizer"],
)
def participants(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    """The organizers' live list of the latest 200 people to move, with each one's stage."""
    action = find_action(slug)
    services.require_organizer(action, caller(request))
    return selectors.participants(action)


class PlaceOut(Schema):
    name: str
    lat: float
    lon: float


class PlaceQuery(Schema):
    q: str = Field(min_length=2, max_length=places.QUERY_MAX, pattern=r"\S[\s\S]*\S", description="A place's name.")


@router.get("/places", auth=AUTH, response={200: list[PlaceOut], **refusals(503)}, tags=["actions"])
def search_places(request: HttpRequest, query: Query[PlaceQuery]) -> list[dict[str, Any]]:
    """Places by name (up to five), to pick where an action happens. 503 when the site's
    geocoder is off or does not answer: the map still picks a place by a tap."""
    ratelimit.check("geocode", str(caller(request).pk))
    return [asdict(place) for place in places.search(query.q)]


class PresenceCodeOut(Schema):
    code: str = Field(description="Six digits; taken for a minute after it first appears.")
    changes_at: str = Field(description="When the next code replaces it (ISO 8601).")
    check_in_url: str = Field(description="The action page with the code filled in: what the QR code holds.")


@router.get(
    "/actions/{slug}/presence-code",
    auth=None,
    response={200: PresenceCodeOut, **refusals(403, 404, 410)},
    tags=["check-ins"],
    openapi_extra={"security": [{}]},
)
def presence_code(request: HttpRequest, slug: str, key: str = "") -> dict[str, Any]:
    """The rotating code for a screen at the spot. `key` comes from the organizer console's
    code-screen link: whoever holds it can check in from anywhere, so keep it off streams."""
    action = doors.visible_action(slug)
    if not presence.check_screen_key(action, key):
        raise Forbidden("forbidden", "That key does not open this action's code screen: take the console's link.")
    shown = presence.shown(action, timezone.now())
    return {
        "code": shown.code,
        "changes_at": selectors.iso(shown.changes_at),
        "check_in_url": request.build_absolute_uri(presence.check_in_path(action, shown.code)),
    }


@router.get(
    "/actions/{slug}/checkins/mine",
    auth=AUTH,
    response={200: protocol.CheckInState, **refusals(404)},
    tags=["check-ins"],
)
def my_checkin(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Your own check-in on this action and its verdict (for clients without a socket)."""
    action = find_action(slug)
    state = selectors.my_state(action, caller(request))["checkin"]
    if state is None:
        raise NotFound("not_found", "You have not checked in to this action.")
    return state


@router.post(
    "/actions/{slug}/deeds",
    auth=ASYNC_AUTH,
    response={200: protocol.CheckInState, 201: protocol.CheckInState, **refusals(404, 409, 410)},
    tags=["check-ins"],
)
async def mark_deed(request: HttpRequest, slug: str) -> Status:
    """Mark your deed done (201; 200 if it already was). 409 `not_verified` without a verified check-in."""
    return Status(*await hot(doors.deed_as)(caller(request), slug, None, site_of(request)))


@router.post(
    "/actions/{slug}/messages",
    auth=AUTH,
    response={201: protocol.Message, **refusals(404, 409, 410)},
    tags=["organizer"],
)
def send_message(request: HttpRequest, slug: str, payload: MessageIn) -> Status:
    """Send a short message (at most 280 characters) to everyone on the action. Organizer only."""
    action = find_action(slug)
    ratelimit.check("message", str(caller(request).pk))
    return Status(201, selectors.announcement_message(services.announce(action, caller(request), payload.text)))


@router.post(
    "/actions/{slug}/end", auth=AUTH, response={200: protocol.Snapshot, **refusals(404, 409)}, tags=["organizer"]
)
def end_early(request: HttpRequest, slug: str) -> dict[str, Any]:
    """End the action now (organizer only). Check-ins after this are rejected as `not_live`."""
    return selectors.snapshot(services.end_action(find_action(slug), caller(request)))


def _organizer(invitation: CoOrganizer) -> dict[str, Any]:
    return {**person(invitation.user), "accepted": invitation.accepted_at is not None}


@router.post(
    "/actions/{slug}/organizers",
    auth=AUTH,
    response={201: OrganizerOut, **refusals(403, 404, 409)},
    tags=["organizer"],
)
def invite_organizer(request: HttpRequest, slug: str, payload: HandleIn) -> Status:
    """Invite a co-organizer by handle (the lead only). They steer once they accept."""
    return Status(201, _organizer(services.invite(doors.visible_action(slug), caller(request), payload.handle)))


@router.post(
    "/actions/{slug}/organizers/accept",
    auth=AUTH,
    response={200: OrganizerOut, **refusals(404)},
    tags=["organizer"],
)
def accept_organizer(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Accept your invitation to co-organize."""
    return _organizer(services.accept_invitation(doors.visible_action(slug), caller(request)))


@router.delete(
    "/actions/{slug}/organizers/{handle}",
    auth=AUTH,
    response={204: None, **refusals(403, 404)},
    tags=["organizer"],
)
def remove_organizer(request: HttpRequest, slug: str, handle: str) -> Status:
    """Remove a co-organizer (the lead), or step down yourself. Their powers end at once."""
    services.remove_organizer(find_action(slug), caller(request), handle)
    return Status(204, None)


@router.post(
    "/actions/{slug}/lead",
    auth=AUTH,
    response={200: protocol.Snapshot, **refusals(403, 404, 409)},
    tags=["organizer"],
)
def hand_lead(request: HttpRequest, slug: str, payload: HandleIn) -> dict[str, Any]:
    """Hand the lead to a co-organizer who accepted (the lead only; mid-action too)."""
    return selectors.snapshot(services.hand_lead(doors.visible_action(slug), caller(request), payload.handle))


@router.put(
    "/actions/{slug}/spotlight",
    auth=AUTH,
    response={200: protocol.SpotlightFrame, **refusals(403, 404, 409, 410)},
    tags=["network"],
)
def spotlight(request: HttpRequest, slug: str, payload: SpotlightIn) -> dict[str, Any]:
    """Show up to three other upcoming or live actions on this action's pages and dashboard
    (organizers). Every open screen gets a `spotlight` frame."""
    action = find_action(slug)
    services.set_spotlight(action, caller(request), payload.slugs)
    return selectors.spotlight_message(action)


@router.post(
    "/actions/{slug}/raid",
    auth=AUTH,
    response={201: protocol.RaidFrame, **refusals(403, 404, 409, 410)},
    tags=["network"],
)
def raid(request: HttpRequest, slug: str, payload: RaidIn) -> Status:
    """At or after the end, hand the crowd to another open action (organizers; a live action
    ends now). Every open page, dashboard and pledger's feed gets a `raid` frame."""
    made = services.raid(find_action(slug), caller(request), payload.to)
    return Status(201, selectors.raid_message(made))


@router.put(
    "/actions/{slug}/momentum",
    auth=AUTH,
    response={200: protocol.MomentumState, **refusals(403, 404, 409, 410)},
    tags=["organizer"],
)
def set_momentum(request: HttpRequest, slug: str, payload: MomentumIn) -> dict[str, Any]:
    """Set momentum levels (organizers, until the end): each `deeds` deeds done within
    `within_minutes` reach a level that moves the end by `add_minutes`, `cap_minutes` in all."""
    action = find_action(slug)
    services.set_momentum(action, caller(request), rules.MomentumInput(**payload.dict()))
    return selectors.momentum_state(action) or {}


@router.delete(
    "/actions/{slug}/momentum", auth=AUTH, response={204: None, **refusals(403, 404, 409, 410)}, tags=["organizer"]
)
def clear_momentum(request: HttpRequest, slug: str) -> Status:
    """Remove the levels (the minutes already added stay)."""
    services.set_momentum(find_action(slug), caller(request), None)
    return Status(204, None)


@router.get("/actions/{slug}/funnel", auth=AUTH, response={200: Funnel, **refusals(404)}, tags=["organizer"])
def funnel(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Pledged, checked in, done, pending and rejections by reason. Organizer only."""
    action = find_action(slug)
    services.require_organizer(action, caller(request))
    return selectors.funnel(action)


@router.get("/actions/{slug}/results", response={200: Results, **refusals(404, 410)}, tags=["actions"])
def results(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Totals against the goal, public map cells and top referrers by verified deeds."""
    action = doors.visible_action(slug)
    return {
        "counts": selectors.counts(action),
        "cells": selectors.public_cells(action),
        "referrers": selectors.top_referrers(action),
        "attention": selectors.attention(action),
    }


class ReceiptOut(Schema):
    payload: str = Field(description="The exact signed text: canonical JSON (sorted keys, no spaces, UTF-8).")
    signature: str = Field(description="base64url Ed25519 signature of the payload's UTF-8 bytes.")


class ReceiptKey(Schema):
    alg: str
    public_key: str = Field(description="base64url of the raw 32-byte Ed25519 public key.")


@router.get("/receipts/key", response={200: ReceiptKey, **refusals()}, tags=["receipts"])
def receipt_key(request: HttpRequest) -> dict[str, str]:
    """The key that signs every receipt: verify one offline with any Ed25519 library."""
    return {"alg": "Ed25519", "public_key": receipts.public_key()}


@router.get("/receipts/{receipt_id}", response={200: ReceiptOut, **refusals(404)}, tags=["receipts"])
def receipt(request: HttpRequest, receipt_id: str) -> dict[str, str]:
    """A signed record of one verified deed."""
    found = Receipt.objects.filter(public_id=receipt_id).first()
    if found is None:
        raise NotFound("not_found", "No receipt has that id.")
    return {"payload": found.payload, "signature": found.signature}


@router.get("/me/receipts", auth=AUTH, response={200: list[ReceiptOut], **refusals()}, tags=["receipts"])
def my_receipts(request: HttpRequest) -> list[dict[str, str]]:
    """Your receipts, newest first."""
    mine = Receipt.objects.filter(checkin__pledge__user=caller(request)).order_by("-created_at")
    return [{"payload": r.payload, "signature": r.signature} for r in mine]
