"""API: webhook endpoints and their delivery logs (DESIGN.md section 5)."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Status

from accounts.auth import BearerAuth, SessionAuth, caller
from actions.protocol import Strict
from common import outbound
from common.openapi import refusals
from common.times import iso

from . import services
from .models import Delivery, Endpoint, EventName

router = Router(tags=["webhooks"], auth=[BearerAuth(), SessionAuth()])


class WebhookIn(Strict):
    url: str = Field(max_length=outbound.URL_MAX, description="https; not on a private network.")
    events: list[EventName] = Field(min_length=1, max_length=8, json_schema_extra={"uniqueItems": True})


class WebhookOut(Strict):
    id: int
    url: str
    events: list[str]
    active: bool
    disabled_reason: str
    created_at: str


class WebhookCreated(WebhookOut):
    secret: str = Field(description="`whsec_...`: shown this once. Verify each delivery's signature with it.")


class DeliveryOut(Strict):
    id: int
    webhook_id: str
    event: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_status_code: int | None
    last_error: str
    created_at: str
    delivered_at: str | None
    next_attempt_at: str | None


def _endpoint(endpoint: Endpoint) -> dict[str, Any]:
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "events": endpoint.events,
        "active": endpoint.active,
        "disabled_reason": endpoint.disabled_reason,
        "created_at": iso(endpoint.created_at),
    }


def _delivery(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "webhook_id": delivery.webhook_id,
        "event": delivery.event,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "created_at": iso(delivery.created_at),
        "delivered_at": iso(delivery.delivered_at) if delivery.delivered_at else None,
        "next_attempt_at": iso(delivery.next_attempt_at) if delivery.next_attempt_at else None,
    }


@router.post("/webhooks", response={201: WebhookCreated, **refusals()})
def register(request: HttpRequest, payload: WebhookIn) -> Status:
    """Hear about your actions: deliveries in the Standard Webhooks format, signed with the
    secret returned here once, retried with backoff for 24 hours."""
    made = services.register(caller(request), payload.url, list(payload.events))
    return Status(201, {**_endpoint(made), "secret": made.secret})


@router.get("/webhooks", response={200: list[WebhookOut], **refusals()})
def endpoints(request: HttpRequest) -> list[dict[str, Any]]:
    return [_endpoint(e) for e in Endpoint.objects.filter(owner=caller(request)).order_by("pk")]


@router.delete("/webhooks/{endpoint_id}", response={204: None, **refusals(404)})
def remove(request: HttpRequest, endpoint_id: int) -> Status:
    services.remove(caller(request), endpoint_id)
    return Status(204, None)


@router.get("/webhooks/{endpoint_id}/deliveries", response={200: list[DeliveryOut], **refusals(404)})
def deliveries(request: HttpRequest, endpoint_id: int) -> list[dict[str, Any]]:
    """The last 100 deliveries, newest first."""
    return [_delivery(d) for d in services.deliveries_of(caller(request), endpoint_id)]


@router.post(
    "/webhooks/{endpoint_id}/deliveries/{delivery_id}/retry",
    response={202: DeliveryOut, **refusals(404)},
)
def retry(request: HttpRequest, endpoint_id: int, delivery_id: int) -> Status:
    """Send it again now, with the same `webhook-id`."""
    return Status(202, _delivery(services.retry(caller(request), endpoint_id, delivery_id)))
