"""Alerts that reach people with no Good Mob page open: Web Push and email.

Each alert is one `Alert` row, unique per (person, action, kind): whatever retries or
races, nobody hears the same thing about the same action twice."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Kind(models.TextChoices):
    FOLLOWED_LAUNCH = "followed_launch", "Someone you follow launched an action"
    NEARBY_LAUNCH = "nearby_launch", "An action launched in your watch area"
    DISPATCH = "dispatch", "Help is asked for near you"
    REMINDER = "reminder", "Starts in 10 minutes"
    GO = "go", "GO"
    CANCELLED = "cancelled", "Cancelled"
    LEAD_CHANGED = "lead_changed", "New lead"
    TIME_CHANGED = "time_changed", "New time"
    RAID = "raid", "The crowd moves on"
    NUDGE = "nudge", "Minutes left, and you are near"


class AlertSettings(models.Model):
    """What a person wants to hear about (each preference covers several kinds) and
    whether by email too. No row: the defaults."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_settings")
    followed = models.BooleanField(default=True)
    nearby = models.BooleanField(default=True)
    reminders = models.BooleanField(default=True)
    nudges = models.BooleanField(default=True)
    changes = models.BooleanField(default=True)
    email = models.BooleanField(default=False)


class PushSubscription(models.Model):
    """A browser's Web Push subscription (its push service's URL and the keys to
    encrypt for it). The push service answers 404 or 410 once it expires: then it goes."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=500, unique=True)
    p256dh = models.CharField(max_length=100)
    auth = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)


class Alert(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    action = models.ForeignKey("actions.Action", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # The insert that made the row: an issuer picks out its own rows with it.
    batch = models.CharField(max_length=32)
    # What was said (the nudge names minutes and metres), kept for the export.
    text = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    pushed = models.PositiveSmallIntegerField(default=0)
    emailed = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "action", "kind"], name="alert_once")]
        indexes = [models.Index(fields=["batch"], name="alert_batch")]


class Notice(models.Model):
    """An action-wide alert (the reminder, the nudge round) has been issued: the sweeps
    look at each action once, not at each pledger every time."""

    action = models.ForeignKey("actions.Action", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["action", "kind"], name="notice_once")]


class Whereabouts(models.Model):
    """Roughly where a pledger was lately (an H3 cell of about 0.1 km², never the point),
    sent by their open page, for the last-minutes nudge; dropped when the action ends."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    action = models.ForeignKey("actions.Action", on_delete=models.CASCADE, related_name="+")
    cell = models.CharField(max_length=16)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "action"], name="whereabouts_once")]
