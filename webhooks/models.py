from __future__ import annotations

from typing import Literal, get_args

from django.conf import settings
from django.db import models
from django.utils import timezone

EventName = Literal[
    "action.launched",
    "action.started",
    "action.ended",
    "action.cancelled",
    "checkin.verified",
    "deed.completed",
    "milestone.reached",
    "raid.started",
]
EVENTS: tuple[str, ...] = get_args(EventName)


class Endpoint(models.Model):
    """Where an organizer wants to hear about their actions (services.register)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)
    # Standard Webhooks: "whsec_" + base64 of the key; shown once, when registered.
    secret = models.CharField(max_length=80)
    active = models.BooleanField(default=True)
    # Failed attempts in a row; reaching WEBHOOK_DISABLE_AFTER turns the endpoint off.
    failures = models.PositiveIntegerField(default=0)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)


class Status(models.TextChoices):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up: retried for WEBHOOK_RETRY_HOURS, or the endpoint was turned off


class Delivery(models.Model):
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    # The `webhook-id` header: stable across retries and replays, and unique, so an event
    # told twice (a listener re-run) is queued once.
    webhook_id = models.CharField(max_length=64, unique=True)
    event = models.CharField(max_length=40)
    payload = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["endpoint", "-created_at"], name="delivery_endpoint_recent")]
