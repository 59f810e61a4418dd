from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from actions.models import Action


class Reason(models.TextChoices):
    SPAM = "spam", "Spam or a scam"
    DANGER = "danger", "Dangerous or illegal"
    HATE = "hate", "Hateful or harassing"
    PRIVACY = "privacy", "Exposes someone's private information"
    OFFENSIVE_NAME = "offensive_name", "An offensive name"
    OTHER = "other", "Something else"


class Report(models.Model):
    """One person's report of an action or of someone's display name."""

    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_made")
    action = models.ForeignKey(Action, on_delete=models.CASCADE, null=True, blank=True, related_name="reports")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="reports_about"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Set when a moderator decides about the target: the report leaves the queue.
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reporter", "action"], name="report_action_once"),
            models.UniqueConstraint(fields=["reporter", "person"], name="report_person_once"),
            models.CheckConstraint(
                condition=models.Q(action__isnull=False, person__isnull=True)
                | models.Q(action__isnull=True, person__isnull=False),
                name="report_one_target",
            ),
        ]
        indexes = [models.Index(fields=["resolved_at", "created_at"], name="report_open")]


class Kind(models.TextChoices):
    HIDE = "hide"
    RESTORE = "restore"
    DISMISS = "dismiss"
    RENAME = "rename"
    SUSPEND = "suspend"


class Decision(models.Model):
    """The log: who decided what about which target, why and when. Never edited."""

    moderator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="decisions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    action = models.ForeignKey(Action, on_delete=models.CASCADE, null=True, blank=True, related_name="decisions")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="decisions_about"
    )
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        permissions = [("moderate", "Can review reports, hide and restore actions, rename and suspend people")]
        indexes = [models.Index(fields=["-created_at"], name="decision_recent")]
