"""API: Web Push subscriptions and key, alert preferences, a pledger's rough whereabouts
for the nudge, and the dispatch's progress (DESIGN.md section 5)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Status

from accounts.auth import BearerAuth, SessionAuth, caller
from actions import protocol
from actions.doors import find_action
from actions.schemas import Latitude, Longitude
from actions.services import require_organizer
from common.errors import NotFound
from common.openapi import Patch, refusals

from . import dispatch, push, services, whereabouts
from .messages import PREFERENCE_LABELS

router = Router(tags=["alerts"], auth=[BearerAuth(), SessionAuth()])
Strict = protocol.Strict
B64URL = r"^[A-Za-z0-9_-]+={0,2}$"
PUSH_URL = r"^https?://[^\s\x00]+$"


class PushKeyOut(Strict):
    public_key: str = Field(description="The VAPID applicationServerKey (base64url of the raw P-256 point).")


class SubscriptionKeys(Strict):
    p256dh: str = Field(min_length=80, max_length=100, pattern=B64URL)
    auth: str = Field(min_length=16, max_length=30, pattern=B64URL)


class SubscriptionIn(Strict):
    """As the browser's PushSubscription.toJSON() gives it."""

    endpoint: str = Field(min_length=8, max_length=500, pattern=PUSH_URL)
    expirationTime: float | None = Field(None, strict=True)  # noqa: N815 (the Push API's own name)
    keys: SubscriptionKeys


class EndpointIn(Strict):
    endpoint: str = Field(min_length=8, max_length=500, pattern=PUSH_URL)


class SubscriptionOut(Strict):
    id: int
    endpoint: str


class PreferencesOut(Strict):
    followed: bool = Field(description=str(PREFERENCE_LABELS["followed"]))
    nearby: bool = Field(description=str(PREFERENCE_LABELS["nearby"]))
    reminders: bool = Field(description=str(PREFERENCE_LABELS["reminders"]))
    nudges: bool = Field(description=str(PREFERENCE_LABELS["nudges"]))
    changes: bool = Field(description=str(PREFERENCE_LABELS["changes"]))
    email: bool = Field(description="Also by email (to a confirmed address).")
    push_subscriptions: int = Field(description="Browsers that get Web Push.")
    email_confirmed: bool


class PreferencesIn(Patch):
    followed: bool = Field(None, strict=True)  # type: ignore[assignment]
    nearby: bool = Field(None, strict=True)  # type: ignore[assignment]
    reminders: bool = Field(None, strict=True)  # type: ignore[assignment]
    nudges: bool = Field(None, strict=True)  # type: ignore[assignment]
    changes: bool = Field(None, strict=True)  # type: ignore[assignment]
    email: bool = Field(None, strict=True)  # type: ignore[assignment]


class WhereaboutsIn(Strict):
    lat: Latitude
    lon: Longitude


class DispatchOut(Strict):
    wanted: int
    max_radius_km: int
    begins_at: datetime
    rings_sent: int
    radius_km: float = Field(description="How far out the rings have reached.")
    alerted: int
    pledged_from_dispatch: int
    pledged: int
    finished_because: str = Field(description="Empty while it runs; else enough, max_radius, started or closed.")


@router.get("/push/key", auth=None, response={200: PushKeyOut, **refusals(404)}, tags=["alerts"])
def push_key(request: HttpRequest) -> dict[str, str]:
    """The key to subscribe with (404 `push_off` where the server has none)."""
    return {"public_key": push.public_key()}


@router.post("/me/push-subscriptions", response={201: SubscriptionOut, **refusals()})
def add_push_subscription(request: HttpRequest, payload: SubscriptionIn) -> Status:
    """Get alerts in this browser. The endpoint must be https on a public host."""
    made = push.subscribe(caller(request), payload.endpoint, payload.keys.p256dh, payload.keys.auth)
    return Status(201, {"id": made.pk, "endpoint": made.endpoint})


@router.delete("/me/push-subscriptions", response={204: None, **refusals()})
def remove_push_subscription(request: HttpRequest, payload: EndpointIn) -> Status:
    """Stop alerts in that browser (no error when it was not subscribed)."""
    push.unsubscribe(caller(request), payload.endpoint)
    return Status(204, None)


def _preferences(request: HttpRequest) -> dict[str, Any]:
    user = caller(request)
    return {
        **services.preferences(user),
        "push_subscriptions": user.push_subscriptions.count(),
        "email_confirmed": bool(user.email) and user.profile.email_verified,
    }


@router.get("/me/alerts", response={200: PreferencesOut, **refusals()})
def alert_preferences(request: HttpRequest) -> dict[str, Any]:
    """What you are alerted about (on by default once you subscribe or switch email on)."""
    return _preferences(request)


@router.patch("/me/alerts", response={200: PreferencesOut, **refusals()})
def set_alert_preferences(request: HttpRequest, payload: PreferencesIn) -> dict[str, Any]:
    services.set_preferences(caller(request), **payload.dict(exclude_none=True))
    return _preferences(request)


@router.put("/actions/{slug}/whereabouts", response={204: None, **refusals(404, 409, 410)})
def put_whereabouts(request: HttpRequest, slug: str, payload: WhereaboutsIn) -> Status:
    """A pledger's page says roughly where they are (kept as a cell of about 0.1 km² until
    the action ends), so a last-minutes nudge can say how far the spot is."""
    whereabouts.record(find_action(slug), caller(request), payload.lat, payload.lon)
    return Status(204, None)


@router.get("/actions/{slug}/dispatch", response={200: DispatchOut, **refusals(403, 404)}, tags=["organizer"])
def dispatch_progress(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Nearby dispatch so far (organizers): rings sent, people alerted, pledges it brought."""
    action = find_action(slug)
    require_organizer(action, caller(request))
    found = dispatch.progress(action)
    if found is None:
        raise NotFound("no_dispatch", "This action asked nobody nearby.")
    return found
