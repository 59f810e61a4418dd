"""API: following people."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from accounts.auth import BearerAuth, SessionAuth, caller
from accounts.models import Profile
from accounts.selectors import get_profile
from common import ratelimit
from common.errors import NotFound
from common.openapi import refusals

from . import selectors, services

router = Router(tags=["people"], auth=[BearerAuth(), SessionAuth()])


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
