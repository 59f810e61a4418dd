"""HTTP API v1: parse, call a service, shape the answer. Errors are {"error", "detail"}."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.contrib.auth import login
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.utils import check_csrf

from . import hotroutes, inputs, ratelimit, responses, selectors, services
from .auth import AsyncBearerAuth, AsyncSessionAuth, BearerAuth, SessionAuth
from .errors import Conflict, NotFound, ServiceError, database_unavailable, first_error_sentence
from .hotpath import hot
from .hotroutes import SOME_TEXT, CheckInIn, Latitude, Longitude, PledgeIn, find_action
from .models import Action
from .selectors import get_profile
from .services import actions as rules
from .services.checkins import ANNOUNCEMENT_MAX
from .services.people import NAME_MAX

JSON_TYPES = ("application/json", "application/problem+json")


class StrictJsonParser(Parser):
    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            body = request.body
        except RequestDataTooBig:
            raise ServiceError("too_large", "The request body is too large.", status=413) from None
        # JSON only: a form or text/plain body is what a foreign page can send without
        # asking (no CORS preflight), so refusing it closes cross-site writes for good.
        if body.strip() and request.content_type not in JSON_TYPES:
            raise ServiceError("unsupported_media_type", "Send the body as application/json.", status=415)
        return inputs.loads_body(body)


api = NinjaAPI(
    title="Good Mob API",
    version="1",
    description="Launch, join and follow time-boxed good deeds. Errors are "
    '`{"error": "<code>", "detail": "<sentence>"}` with a 4xx status.',
    urls_namespace="api-v1",
    parser=StrictJsonParser(),
)
log = logging.getLogger(__name__)
AUTH = [BearerAuth(), SessionAuth()]
# The hot endpoints (a crowd checking in at one moment) are async: middleware and auth
# stay on the event loop, and the database work runs on the hot pool (hotpath.py).
ASYNC_AUTH = [AsyncBearerAuth(), AsyncSessionAuth()]


def error(request: HttpRequest, status: int, code: str, detail: str) -> HttpResponse:
    return responses.problem(ServiceError(code, detail, status=status))


@api.exception_handler(ServiceError)
def on_service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    return responses.problem(exc)


@api.exception_handler(DatabaseError)
def on_database_error(request: HttpRequest, exc: DatabaseError) -> HttpResponse:
    log.warning("API: the database did not answer", exc_info=True)
    return on_service_error(request, database_unavailable())


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return error(request, 422, "invalid", first_error_sentence(exc.errors, skip=1))


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error(request, 401, "unauthorized", "Sign in, join as a guest, or send a bearer token.")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # Ninja wraps whatever the body parser raised; answer with our own refusal.
    if isinstance(exc.__cause__, ServiceError):
        return on_service_error(request, exc.__cause__)
    code = "csrf_failed" if exc.status_code == 403 else "bad_request"
    return error(request, exc.status_code, code, str(exc))


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return error(request, 413, "too_large", "The request body is too large.")


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(request, 404, "not_found", "Nothing lives at that address.")


def site_of(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


class Problem(Schema):
    error: str
    detail: str


# What any operation may answer besides its own refusals: unreadable input (400), too
# many requests (429, with Retry-After), the database not answering (503), and for a
# body: not JSON (415) or not valid (422); for signed-in callers 401 and 403 (CSRF).
ANY_REFUSAL = (400, 401, 403, 415, 422, 429, 503)


def refusals(*statuses: int) -> dict[int, type[Problem]]:
    return {status: Problem for status in sorted({*statuses, *ANY_REFUSAL})}


class GuestIn(Schema):
    name: str = Field(min_length=1, max_length=NAME_MAX, pattern=SOME_TEXT)


class GuestOut(Schema):
    token: str
    handle: str
    name: str


@api.post("/guests", response={201: GuestOut, **refusals(409)}, tags=["people"])
def create_guest(request: HttpRequest, payload: GuestIn) -> Status:
    """Create a guest user (a display name, no password), start a session and return a token.

    From a browser (it sends cookies) the CSRF token is checked, so a foreign page cannot
    plant a session; a caller that is signed in already gets 409 instead of a new person."""
    if request.COOKIES and check_csrf(request) is not None:
        raise ServiceError("csrf_failed", "Send the CSRF token (the csrftoken cookie) as X-CSRFToken.", status=403)
    if request.user.is_authenticated:
        raise Conflict("signed_in", "You are signed in already; sign out first to join as a guest.")
    ratelimit.check_new_guest(ratelimit.client_ip(request))
    user = services.create_guest(payload.name)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return Status(201, {"token": services.issue_token(user), **selectors.person(user)})


class ActionIn(Schema):
    title: str = Field(min_length=1, max_length=rules.TITLE_MAX, pattern=SOME_TEXT)
    deed: str = Field(min_length=1, max_length=rules.DEED_MAX, pattern=SOME_TEXT)
    place_name: str = Field("", max_length=rules.PLACE_NAME_MAX)
    lat: Latitude | None = None
    lon: Longitude | None = None
    radius_m: int | None = Field(None, strict=True, ge=rules.RADIUS_MIN, le=rules.RADIUS_MAX)
    starts_at: datetime = Field(description="ISO 8601 with a time zone; from now to 30 days ahead.")
    duration_minutes: int = Field(strict=True, ge=1, le=rules.DURATION_MAX)
    goal: int = Field(strict=True, ge=1, le=rules.GOAL_MAX)
    capacity: int | None = Field(None, strict=True, ge=1, le=rules.CAPACITY_MAX)


class ActionCreated(Schema):
    slug: str
    join_code: str
    url: str
    dashboard_url: str
    qr_url: str


def absolute_links(request: HttpRequest, action: Action) -> dict[str, str]:
    fields = selectors.action_fields(action)
    return {
        "url": request.build_absolute_uri(fields["url"]),
        "dashboard_url": request.build_absolute_uri(fields["dashboard_url"]),
        "qr_url": request.build_absolute_uri(f"{fields['url']}/qr.svg"),
    }


@api.post("/actions", auth=AUTH, response={201: ActionCreated, **refusals()}, tags=["actions"])
def create_action(request: HttpRequest, payload: ActionIn) -> Status:
    """Launch an action. `radius_m` null means the deed can be done anywhere."""
    ratelimit.check("launch", str(request.auth.pk))
    action = services.launch_action(request.auth, services.LaunchInput(**payload.dict()))
    return Status(201, {"slug": action.slug, "join_code": action.join_code, **absolute_links(request, action)})


@api.get("/actions/{slug}", response={200: dict, **refusals(404)}, tags=["actions"])
def get_action(request: HttpRequest, slug: str) -> dict[str, Any]:
    """The action's snapshot: the same shape the websocket sends."""
    return selectors.snapshot(find_action(slug))


@api.get("/join/{code}", response={200: dict, **refusals(404)}, tags=["actions"])
def resolve_join_code(request: HttpRequest, code: str) -> dict[str, Any]:
    """Resolve a 6-character join code (any case) to the action's snapshot."""
    action = selectors.get_action_by_code(code)
    if action is None:
        raise NotFound("not_found", "No action has that join code.")
    return selectors.snapshot(action)


@api.get("/actions/{slug}/tally", response={200: dict, **refusals(404)}, tags=["actions"])
def tally(request: HttpRequest, slug: str) -> dict[str, int]:
    """Exact counts, recounted from the database now."""
    return selectors.counts(find_action(slug))


class PledgeOut(Schema):
    action: str
    handle: str
    pledged_at: str
    share_url: str


@api.post(
    "/actions/{slug}/pledges",
    auth=ASYNC_AUTH,
    response={200: PledgeOut, 201: PledgeOut, **refusals(404, 409)},
    tags=["actions"],
)
async def create_pledge(request: HttpRequest, slug: str, payload: PledgeIn | None = None) -> Status:
    """Pledge to take part. Idempotent: 201 the first time, 200 after. 409 `full`, `ended` or `cancelled`."""
    return Status(*await hot(hotroutes.pledge_as)(request.auth, slug, payload, site_of(request)))


@api.post(
    "/actions/{slug}/cancel",
    auth=AUTH,
    response={200: dict, **refusals(404, 409)},
    tags=["organizer"],
)
def cancel(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Cancel an action (organizer only). Every open page is told at once."""
    action = services.cancel_action(find_action(slug), request.auth)
    return selectors.snapshot(action)


class FollowOut(Schema):
    handle: str
    following: bool
    followers: int


def _follow_target(request: HttpRequest, handle: str) -> Any:
    profile = get_profile(handle)
    if profile is None:
        raise NotFound("not_found", "No one has that handle.")
    ratelimit.check("follow", str(request.auth.pk))
    return profile


@api.post(
    "/users/{handle}/follow",
    auth=AUTH,
    response={200: FollowOut, **refusals(404)},
    tags=["people"],
)
def follow(request: HttpRequest, handle: str) -> dict[str, Any]:
    """Follow someone: their launches reach your feed live. Idempotent."""
    profile = _follow_target(request, handle)
    services.follow(request.auth, profile.user)
    return {"handle": profile.handle, "following": True, "followers": selectors.follower_count(profile.user)}


@api.delete("/users/{handle}/follow", auth=AUTH, response={200: FollowOut, **refusals(404)}, tags=["people"])
def unfollow(request: HttpRequest, handle: str) -> dict[str, Any]:
    """Stop following someone. Idempotent."""
    profile = _follow_target(request, handle)
    services.unfollow(request.auth, profile.user)
    return {"handle": profile.handle, "following": False, "followers": selectors.follower_count(profile.user)}


class CheckInOut(Schema):
    id: int
    slug: str
    status: str
    reason: str
    detail: str
    distance_m: int | None
    deed_done: bool


@api.post(
    "/actions/{slug}/checkins",
    auth=ASYNC_AUTH,
    response={202: CheckInOut, **refusals(404, 409)},
    tags=["check-ins"],
)
async def create_checkin(request: HttpRequest, slug: str, payload: CheckInIn) -> Status:
    """Check in on the spot. Stored at once as `pending` (202); a worker verifies it and the
    verdict reaches `/ws/me/`. The same `idempotency_key` returns the same check-in; a new
    key starts a new attempt only after a rejection. Pledges first if needed."""
    answer = await hotroutes.checkin_writes.submit(hotroutes.CheckInCall(slug, payload, user=request.auth))
    if isinstance(answer, ServiceError):
        raise answer
    return Status(*answer)


@api.get(
    "/actions/{slug}/checkins/mine",
    auth=AUTH,
    response={200: CheckInOut, **refusals(404)},
    tags=["check-ins"],
)
def my_checkin(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Your own check-in on this action and its verdict (for clients without a socket)."""
    action = find_action(slug)
    state = selectors.my_state(action, request.auth)["checkin"]
    if state is None:
        raise NotFound("not_found", "You have not checked in to this action.")
    return state


@api.post(
    "/actions/{slug}/deeds",
    auth=ASYNC_AUTH,
    response={200: CheckInOut, 201: CheckInOut, **refusals(404, 409)},
    tags=["check-ins"],
)
async def mark_deed(request: HttpRequest, slug: str) -> Status:
    """Mark your deed done (201; 200 if it already was). 409 `not_verified` without a verified check-in."""
    return Status(*await hot(hotroutes.deed_as)(request.auth, slug, None, site_of(request)))


class MessageIn(Schema):
    text: str = Field(min_length=1, max_length=ANNOUNCEMENT_MAX, pattern=SOME_TEXT)


@api.post(
    "/actions/{slug}/messages",
    auth=AUTH,
    response={201: dict, **refusals(404, 409)},
    tags=["organizer"],
)
def send_message(request: HttpRequest, slug: str, payload: MessageIn) -> Status:
    """Send a short message (at most 280 characters) to everyone on the action. Organizer only."""
    action = find_action(slug)
    ratelimit.check("message", str(request.auth.pk))
    return Status(201, selectors.announcement_message(services.announce(action, request.auth, payload.text)))


@api.post("/actions/{slug}/end", auth=AUTH, response={200: dict, **refusals(404, 409)}, tags=["organizer"])
def end_early(request: HttpRequest, slug: str) -> dict[str, Any]:
    """End the action now (organizer only). Check-ins after this are rejected as `not_live`."""
    return selectors.snapshot(services.end_action(find_action(slug), request.auth))


@api.get("/actions/{slug}/funnel", auth=AUTH, response={200: dict, **refusals(404)}, tags=["organizer"])
def funnel(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Pledged, checked in, done, pending and rejections by reason. Organizer only."""
    action = find_action(slug)
    services.require_organizer(action, request.auth)
    return selectors.funnel(action)


@api.get("/actions/{slug}/results", response={200: dict, **refusals(404)}, tags=["actions"])
def results(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Totals against the goal, public map cells and top referrers by verified deeds."""
    action = find_action(slug)
    return {
        "counts": selectors.counts(action),
        "cells": selectors.public_cells(action),
        "referrers": selectors.top_referrers(action),
    }
