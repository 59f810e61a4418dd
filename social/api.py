"""API: following people."""

from __future__ import annotations

from typing import Any, Literal

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from accounts.auth import BearerAuth, SessionAuth, caller
from accounts.models import Profile
from accounts.selectors import get_profile
from actions import geo, protocol
from actions import selectors as action_selectors
from actions.schemas import Latitude, Longitude
from common import ratelimit
from common.errors import UNAUTHORIZED, Invalid, NotFound
from common.openapi import WholeNumber, refusals

from . import discovery, selectors, services, watching
from .models import WatchArea

router = Router(tags=["people"], auth=[BearerAuth(), SessionAuth()])
# Discovery answers anyone; a signed-in caller (session or bearer) also gets `followed=1`.
DISCOVERY_AUTH = [BearerAuth(), SessionAuth(), lambda request: AnonymousUser()]
# ...which OpenAPI says with an empty requirement beside the two schemes (ninja adds those).
OPTIONAL_AUTH_DOC: dict[str, Any] = {"security": [{}]}


class DiscoveryQuery(Schema):
    near: str | None = Field(
        None,
        pattern=r"^-?\d{1,2}(\.\d{1,7})?,-?\d{1,3}(\.\d{1,7})?$",
        description="`<lat>,<lon>`: nearest first, within `radius_km`. Never stored; round it if you like.",
    )
    radius_km: float = Field(discovery.RADIUS_KM_DEFAULT, gt=0, le=discovery.RADIUS_KM_MAX)
    phase: Literal["upcoming", "live", "ended"] | None = Field(None, description="Default: upcoming and live.")
    followed: bool = Field(False, description="Only actions of people you follow (sign in).")
    limit: int = Field(50, ge=1, le=discovery.LIMIT_MAX)


class Discovered(protocol.FeedItem):
    distance_m: int | None = Field(description="From `near` to the action's place; null without `near`.")


def discover(request: HttpRequest, query: Query[DiscoveryQuery]) -> list[dict[str, Any]]:
    """Public actions to join: soonest first, or nearest first around `near`. Strangers see
    actions whose organizers have a track record; `followed=1` shows every action of the
    people you follow."""
    viewer = request.auth  # type: ignore[attr-defined]
    if query.followed and not viewer.is_authenticated:
        raise UNAUTHORIZED
    near = None
    if query.near:
        lat, lon = (float(part) for part in query.near.split(","))
        if not geo.valid_point(lat, lon):
            raise Invalid("invalid", "`near` is a latitude (-90 to 90) and a longitude (-180 to 180).", field="near")
        near = (lat, lon)
    now = timezone.now()
    found = discovery.discover(
        viewer, now, phase=query.phase, near=near, radius_km=query.radius_km, followed=query.followed, limit=query.limit
    )
    return [{**action_selectors.feed_item(f.action, now), "distance_m": _metres(f.distance_m)} for f in found]


def _metres(distance: float | None) -> int | None:
    return None if distance is None else round(distance)


def add_discovery(actions_router: Router) -> None:
    """`GET /actions` shares its path with the actions app's `POST /actions`, and one path
    is one route: so the project adds it to that router (actions never imports social)."""
    actions_router.get(
        "/actions",
        auth=DISCOVERY_AUTH,
        response={200: list[Discovered], **refusals(401, 422)},
        tags=["discovery"],
        operation_id="discover_actions",
        openapi_extra=OPTIONAL_AUTH_DOC,
    )(discover)


class FollowOut(Schema):
    handle: str
    following: bool
    followers: int


def _follow_target(request: HttpRequest, handle: str) -> Profile:
    profile = get_profile(handle)
    if profile is None:
        raise NotFound("not_found", "No one has that handle.")
    ratelimit.check("follow", str(caller(request).pk))
    return profile


# operation_id: as before the apps were split, for generated clients.
@router.post(
    "/users/{handle}/follow", response={200: FollowOut, **refusals(404, 409)}, operation_id="actions_api_follow"
)
def follow(request: HttpRequest, handle: str) -> dict[str, Any]:
    """Follow someone: their launches reach your feed live. Idempotent; 409 `self_follow` for yourself."""
    profile = _follow_target(request, handle)
    services.follow(caller(request), profile.user)
    return {"handle": profile.handle, "following": True, "followers": selectors.follower_count(profile.user)}


@router.delete(
    "/users/{handle}/follow", response={200: FollowOut, **refusals(404)}, operation_id="actions_api_unfollow"
)
def unfollow(request: HttpRequest, handle: str) -> dict[str, Any]:
    """Stop following someone. Idempotent."""
    profile = _follow_target(request, handle)
    services.unfollow(caller(request), profile.user)
    return {"handle": profile.handle, "following": False, "followers": selectors.follower_count(profile.user)}


class BlockOut(Schema):
    handle: str
    blocked: bool


@router.post("/users/{handle}/block", response={200: BlockOut, **refusals(404, 409)})
def block(request: HttpRequest, handle: str) -> dict[str, Any]:
    """Block someone: their actions leave your feed, their messages stop reaching you, and
    follows between you end. Idempotent; 409 `self_block` for yourself."""
    profile = _follow_target(request, handle)
    services.block(caller(request), profile.user)
    return {"handle": profile.handle, "blocked": True}


@router.delete("/users/{handle}/block", response={200: BlockOut, **refusals(404)})
def unblock(request: HttpRequest, handle: str) -> dict[str, Any]:
    """Unblock someone. Idempotent."""
    profile = _follow_target(request, handle)
    services.unblock(caller(request), profile.user)
    return {"handle": profile.handle, "blocked": False}


class Impact(Schema):
    deeds: int = Field(description="Verified deeds they did.")
    organized: int
    organized_deeds: int = Field(description="Verified deeds at actions they organized.")
    brought: int = Field(description="People who pledged through their link.")
    attention_given: int
    attention_received: int


class ProfileOut(Schema):
    handle: str
    name: str
    followers: int
    following: bool = Field(description="Whether you follow them (false when not signed in).")
    impact: Impact
    actions: list[protocol.FeedItem] = Field(description="Their latest actions, newest first.")


@router.get(
    "/users/{handle}",
    auth=DISCOVERY_AUTH,
    response={200: ProfileOut, **refusals(404)},
    operation_id="get_profile",
    openapi_extra=OPTIONAL_AUTH_DOC,
)
def profile(request: HttpRequest, handle: str) -> dict[str, Any]:
    """A person's public page as data: their record and their actions."""
    found = get_profile(handle)
    if found is None:
        raise NotFound("not_found", "No one has that handle.")
    now = timezone.now()
    return {
        "handle": found.handle,
        "name": found.display_name,
        "followers": selectors.follower_count(found.user),
        "following": selectors.is_following(request.auth, found.user),  # type: ignore[attr-defined]
        "impact": action_selectors.impact(found.user),
        "actions": [action_selectors.feed_item(a, now) for a in action_selectors.actions_by(found.user)],
    }


@router.get("/me/feed", response={200: list[protocol.FeedItem], **refusals()}, operation_id="my_feed")
def feed(request: HttpRequest) -> list[dict[str, Any]]:
    """Open actions of the people you follow, soonest first (what your home page shows;
    `launch` frames on /ws/me/ bring new ones live)."""
    now = timezone.now()
    return [action_selectors.feed_item(a, now) for a in selectors.feed_for(caller(request))]


class WatchAreaIn(protocol.Strict):
    lat: Latitude = Field(description="Used to pick the cells, then forgotten.")
    lon: Longitude
    radius_km: WholeNumber = Field(ge=watching.RADIUS_KM_MIN, le=watching.RADIUS_KM_MAX)


class WatchAreaOut(Schema):
    id: int
    radius_km: int
    cells: int = Field(description="Coarse H3 cells (resolution 6) kept for this area.")
    centre: dict[str, float] = Field(description="Roughly where (a cell of about 1,800 km²), never the point given.")


def _area(area: WatchArea) -> dict[str, Any]:
    return {"id": area.pk, "radius_km": area.radius_km, "cells": area.cells.count(), "centre": watching.centre(area)}


@router.post("/me/watch-areas", response={201: WatchAreaOut, **refusals()}, operation_id="add_watch_area")
def add_watch_area(request: HttpRequest, payload: WatchAreaIn) -> Status:
    """Hear of public launches around a place (at most 5 areas). Only coarse cells are kept."""
    return Status(201, _area(watching.add(caller(request), payload.lat, payload.lon, payload.radius_km)))


@router.get("/me/watch-areas", response={200: list[WatchAreaOut], **refusals()}, operation_id="watch_areas")
def watch_areas(request: HttpRequest) -> list[dict[str, Any]]:
    return [_area(a) for a in WatchArea.objects.filter(user=caller(request)).order_by("pk")]


@router.delete("/me/watch-areas/{area_id}", response={204: None, **refusals(404)}, operation_id="remove_watch_area")
def remove_watch_area(request: HttpRequest, area_id: int) -> Status:
    watching.remove(caller(request), area_id)
    return Status(204, None)
