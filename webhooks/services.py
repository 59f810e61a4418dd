"""Signed webhooks (Standard Webhooks): endpoints registered by organizers, a delivery row
per event and endpoint, queued after commit, retried with exponential backoff for
WEBHOOK_RETRY_HOURS, and endpoints that keep failing turned off with an email."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterable
from datetime import timedelta
from functools import partial
from typing import Any

from celery import shared_task
from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from actions.models import Action
from common import metrics, outbound
from common.errors import Invalid, NotFound
from common.tasks import IDEMPOTENT
from common.times import iso

from .models import EVENTS, Delivery, Endpoint, Status

ENDPOINTS_MAX = 10


def register(owner: User, url: str, events: list[str]) -> Endpoint:
    """A new endpoint for these events of the owner's actions; its secret is in the row
    (and shown to the owner once, by the API)."""
    if Endpoint.objects.filter(owner=owner).count() >= ENDPOINTS_MAX:
        raise Invalid("too_many", f"At most {ENDPOINTS_MAX} webhook endpoints each.", field="url")
    unknown = sorted(set(events) - set(EVENTS))
    if unknown or not events:
        raise Invalid("invalid", f"Events are some of: {', '.join(EVENTS)}.", field="events")
    outbound.resolve(outbound.parse(url))
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    return Endpoint.objects.create(owner=owner, url=url, events=sorted(set(events)), secret=secret)


def endpoint_of(owner: User, endpoint_id: int) -> Endpoint:
    """Someone else's endpoint is as unknown as a missing one."""
    found = Endpoint.objects.filter(pk=endpoint_id, owner=owner).first()
    if found is None:
        raise NotFound("not_found", "You have no webhook endpoint with that id.")
    return found


def remove(owner: User, endpoint_id: int) -> None:
    endpoint_of(owner, endpoint_id).delete()


def listening(action_id: int) -> list[Endpoint]:
    """The active endpoints of the action's organizer: one query (joined through the
    action, which need not be read), and for most actions none. Asked at every
    verification round, so in plain SQL: building the join cost the ORM more CPU than
    the whole query costs this way (bench/orm_cost.py)."""
    qn = connection.ops.quote_name
    return list(
        Endpoint.objects.raw(
            f"SELECT e.* FROM {qn(Endpoint._meta.db_table)} e"
            f" JOIN {qn(Action._meta.db_table)} a ON a.organizer_id = e.owner_id WHERE a.id = %s AND e.active",
            [action_id],
        )
    )


def enqueue(endpoints: list[Endpoint], event: str, key: str, data: dict[str, Any]) -> None:
    """One delivery of `event` to each of these endpoints that asked for it. `key` names
    the occurrence: the same key is queued once per endpoint, however often it is told."""
    made = []
    for endpoint in (e for e in endpoints if event in e.events):
        webhook_id = "msg_" + hashlib.sha256(f"{endpoint.pk}:{event}:{key}".encode()).hexdigest()[:32]
        body = {"type": event, "timestamp": iso(timezone.now()), "data": data}
        try:
            with transaction.atomic():
                made.append(
                    Delivery.objects.create(
                        endpoint=endpoint, webhook_id=webhook_id, event=event, payload=json.dumps(body)
                    )
                )
        except IntegrityError:
            continue  # told before: already queued
    for delivery in made:
        transaction.on_commit(partial(deliver.delay, delivery.pk))


def _signed_headers(delivery: Delivery) -> dict[str, str]:
    now = timezone.now()
    signature = Webhook(delivery.endpoint.secret).sign(delivery.webhook_id, now, delivery.payload)
    return {
        "Content-Type": "application/json",
        "User-Agent": "GoodMob-Webhooks/1",
        "webhook-id": delivery.webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }


def backoff(attempts: int) -> timedelta:
    base = settings.GOODMOB["WEBHOOK_RETRY_BASE_SECONDS"]
    return timedelta(seconds=min(3600.0, base * 2 ** max(0, attempts - 1)))


@shared_task(**IDEMPOTENT)
def deliver(delivery_id: int) -> str | None:
    """One attempt; on failure the next is scheduled (at-least-once: the receiver dedupes
    by `webhook-id`)."""
    delivery = Delivery.objects.select_related("endpoint__owner").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != Status.PENDING:
        return None
    endpoint = delivery.endpoint
    if not endpoint.active:
        Delivery.objects.filter(pk=delivery.pk).update(status=Status.FAILED, last_error="endpoint turned off")
        return Status.FAILED
    try:
        target = outbound.parse(endpoint.url)
        answer = outbound.post(
            target,
            outbound.resolve(target),
            delivery.payload.encode(),
            _signed_headers(delivery),
            settings.GOODMOB["WEBHOOK_TIMEOUT_SECONDS"],
        )
    except Invalid as exc:
        answer = outbound.Answer(None, exc.detail)
    now = timezone.now()
    delivered = answer.status is not None and 200 <= answer.status < 300
    metrics.WEBHOOK_ATTEMPTS.labels("delivered" if delivered else "failed").inc()
    if delivered:
        # One commit: nobody may see the delivery done with the endpoint's failures not
        # yet reset (the suite's webhook test saw exactly that under load).
        with transaction.atomic():
            Delivery.objects.filter(pk=delivery.pk).update(
                status=Status.DELIVERED, attempts=F("attempts") + 1, last_status_code=answer.status, delivered_at=now
            )
            Endpoint.objects.filter(pk=endpoint.pk).update(failures=0)
        return Status.DELIVERED
    attempts = delivery.attempts + 1
    error = answer.error or f"HTTP {answer.status}"
    give_up = now + backoff(attempts) > delivery.created_at + timedelta(hours=settings.GOODMOB["WEBHOOK_RETRY_HOURS"])
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Status.FAILED if give_up else Status.PENDING,
        attempts=attempts,
        last_status_code=answer.status,
        last_error=error[:200],
        next_attempt_at=None if give_up else now + backoff(attempts),
    )
    _count_failure(endpoint)
    if not give_up:
        deliver.apply_async((delivery.pk,), countdown=backoff(attempts).total_seconds())
    return Status.FAILED if give_up else Status.PENDING


def _count_failure(endpoint: Endpoint) -> None:
    Endpoint.objects.filter(pk=endpoint.pk).update(failures=F("failures") + 1)
    limit = settings.GOODMOB["WEBHOOK_DISABLE_AFTER"]
    turned_off = Endpoint.objects.filter(pk=endpoint.pk, active=True, failures__gte=limit).update(
        active=False, disabled_reason=f"{limit} failed attempts in a row"
    )
    if turned_off and endpoint.owner.email:
        send_mail(
            "Good Mob turned a webhook off",
            f"Your webhook endpoint {endpoint.url} failed {limit} times in a row, so we stopped sending to it. "
            "Fix it, then register it again.",
            None,
            [endpoint.owner.email],
            fail_silently=True,
        )


# A delivery still pending this long after it was due lost its task.
REQUEUE_GRACE = timedelta(minutes=1)
REQUEUE_BATCH = 500


@shared_task(**IDEMPOTENT, expires=55)
def requeue_due() -> int:
    """Queue again what should have been tried by now (at least once: a duplicate is
    told by its `webhook-id`)."""
    due = timezone.now() - REQUEUE_GRACE
    lost = Delivery.objects.filter(status=Status.PENDING).filter(
        Q(next_attempt_at__lte=due) | Q(next_attempt_at__isnull=True, created_at__lte=due)
    )
    ids = list(lost.order_by("pk").values_list("pk", flat=True)[:REQUEUE_BATCH])
    for delivery_id in ids:
        deliver.delay(delivery_id)
    return len(ids)


def retry(owner: User, endpoint_id: int, delivery_id: int) -> Delivery:
    """Send a delivery again now (a replay keeps its `webhook-id`)."""
    endpoint = endpoint_of(owner, endpoint_id)
    if not endpoint.active:
        raise Invalid("endpoint_off", "This endpoint is turned off; register it again.", field="endpoint")
    delivery = Delivery.objects.filter(pk=delivery_id, endpoint=endpoint).first()
    if delivery is None:
        raise NotFound("not_found", "This endpoint has no delivery with that id.")
    Delivery.objects.filter(pk=delivery.pk).update(status=Status.PENDING, next_attempt_at=timezone.now())
    transaction.on_commit(partial(deliver.delay, delivery.pk))
    delivery.refresh_from_db()
    return delivery


def deliveries_of(owner: User, endpoint_id: int, limit: int = 100) -> Iterable[Delivery]:
    return endpoint_of(owner, endpoint_id).deliveries.order_by("-created_at", "-pk")[:limit]
