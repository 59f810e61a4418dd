"""API: people joining (guests)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import login
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.utils import check_csrf

from common import ratelimit
from common.errors import Conflict, ServiceError
from common.openapi import SOME_TEXT, Patch, refusals

from . import personal, selectors, services
from .auth import LOGIN_BACKEND, BearerAuth, SessionAuth, caller
from .models import Profile

router = Router(tags=["people"])
AUTH = [BearerAuth(), SessionAuth()]


class GuestIn(Schema):
    name: str = Field(min_length=1, max_length=services.NAME_MAX, pattern=SOME_TEXT)


class GuestOut(Schema):
    token: str
    handle: str
    name: str


# operation_id: the one it had before the apps were split, for generated clients.
@router.post("/guests", response={201: GuestOut, **refusals(409)}, operation_id="actions_api_create_guest")
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
    login(request, user, backend=LOGIN_BACKEND)
    return Status(201, {"token": services.issue_token(user), **selectors.person(user)})


class AccountOut(Schema):
    username: str
    email: str
    email_verified: bool
    joined: str | None
    last_login: str | None
    is_guest: bool
    handle: str
    name: str


class TokenOut(Schema):
    name: str
    created_at: str | None
    last_used_at: str | None


class ExportOut(Schema):
    exported_at: str
    account: AccountOut
    api_tokens: list[TokenOut]
    actions_organized: list[dict[str, Any]] = Field(description="Actions you launched.")
    pledges: list[dict[str, Any]] = Field(description="Each pledge with its check-in, verdict and deed.")
    following: list[str] = Field(description="Handles you follow.")
    followers: list[str] = Field(description="Handles that follow you.")
    blocking: list[str] = Field(description="Handles you block.")
    reports_made: list[dict[str, Any]] = Field(description="Reports you made to the moderators.")
    receipts: list[dict[str, Any]] = Field(description="Signed receipts of your verified deeds.")
    webhooks: list[dict[str, Any]] = Field(description="Your webhook endpoints (not their secrets).")
    watch_areas: list[dict[str, Any]] = Field(description="Your watch areas, as the coarse cells kept.")
    alert_preferences: dict[str, bool] = Field(description="What you are alerted about, and whether by email.")
    push_subscriptions: list[dict[str, Any]] = Field(description="Browsers that get your alerts.")
    alerts: list[dict[str, Any]] = Field(description="Alerts sent to you.")
    whereabouts: list[dict[str, Any]] = Field(description="Rough cells your open pages sent, until the action ends.")


class MeOut(Schema):
    handle: str
    name: str
    is_guest: bool
    named_in_cascade: bool = Field(description="Your name shows in who-brought-whom drawings.")
    email: str
    email_verified: bool


class MeIn(Patch):
    """What to change: at least one of the two."""

    name: str = Field(None, min_length=1, max_length=services.NAME_MAX, pattern=SOME_TEXT)  # type: ignore[assignment]
    named_in_cascade: bool = Field(None, strict=True)  # type: ignore[assignment]


def _me(profile: Profile) -> dict[str, Any]:
    return {
        "handle": profile.handle,
        "name": profile.display_name,
        "is_guest": profile.is_guest,
        "named_in_cascade": profile.named_in_cascade,
        "email": profile.user.email,
        "email_verified": profile.email_verified,
    }


@router.get("/me", auth=AUTH, response={200: MeOut, **refusals()})
def get_me(request: HttpRequest) -> dict[str, Any]:
    """Who you are here, and your settings."""
    return _me(services.ensure_profile(caller(request)))


@router.patch("/me", auth=AUTH, response={200: MeOut, **refusals()})
def patch_me(request: HttpRequest, payload: MeIn) -> dict[str, Any]:
    """Change your display name, or whether it shows in who-brought-whom drawings."""
    return _me(services.update_profile(caller(request), **payload.dict(exclude_none=True)))


@router.get("/me/export", auth=AUTH, response={200: ExportOut, **refusals()})
def export_me(request: HttpRequest) -> dict[str, Any]:
    """Everything kept about you, as JSON: account, tokens (not their keys), actions you
    organized, pledges with check-ins and verdicts, follows."""
    return personal.export(caller(request))


@router.delete("/me", auth=AUTH, response={204: None, **refusals()})
def delete_me(request: HttpRequest) -> Status:
    """Delete your account now: name, email, password, handle, follows, tokens and
    sessions are gone; your pledges and deeds still count, with no name on them."""
    personal.delete_account(caller(request))
    return Status(204, None)
