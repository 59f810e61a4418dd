"""API: people joining (guests)."""

from __future__ import annotations

from django.contrib.auth import login
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.utils import check_csrf

from common import ratelimit
from common.errors import Conflict, ServiceError
from common.openapi import SOME_TEXT, refusals

from . import selectors, services
from .auth import LOGIN_BACKEND

router = Router(tags=["people"])


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
