"""Issuing alerts (one row per person, action and kind, made in one insert) and sending
them (a Celery task per hundred, after commit): nothing per person on a request path."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import timedelta
from functools import partial
from typing import Any

from celery import shared_task
from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from actions.models import Action, Raid

from . import push
from .messages import PREFERENCE, PREFERENCES, SETTINGS, absolute, compose
from .models import Alert, AlertSettings, Kind

log = logging.getLogger(__name__)
SEND_CHUNK = 100
INSERT_CHUNK = 2000


def reachable(kind: str, people: QuerySet[Any] | Iterable[int]) -> QuerySet[User]:
    """Those of `people` who want this kind and can be reached: a push subscription, or
    email alerts switched on with a confirmed address."""
    preference = PREFERENCE[kind]
    return (
        User.objects.filter(pk__in=people, is_active=True)
        .exclude(**{f"alert_settings__{preference}": False})
        .filter(
            Q(push_subscriptions__isnull=False)
            | Q(alert_settings__email=True, profile__email_verified=True, email__gt="")
        )
        .distinct()
    )


def issue(kind: str, action_id: int, people: QuerySet[Any] | Iterable[int], texts: dict[int, str] | None = None) -> int:
    """Alert those of `people` who want it and have not had this kind for this action.
    Returns how many new alerts were queued (after commit)."""
    user_ids = list(reachable(kind, people).values_list("pk", flat=True))
    if not user_ids:
        return 0
    batch = uuid.uuid4().hex
    texts = texts or {}
    # The unique (user, action, kind) row is the "at most once": a conflict means this
    # person already had it, and this insert's `batch` picks out only the new rows.
    Alert.objects.bulk_create(
        (Alert(user_id=uid, action_id=action_id, kind=kind, batch=batch, text=texts.get(uid, "")) for uid in user_ids),
        ignore_conflicts=True,
        batch_size=INSERT_CHUNK,
    )
    ids = list(Alert.objects.filter(batch=batch).values_list("pk", flat=True))
    for start in range(0, len(ids), SEND_CHUNK):
        transaction.on_commit(partial(send_alerts.delay, ids[start : start + SEND_CHUNK]))
    return len(ids)


@shared_task
def send_alerts(alert_ids: list[int]) -> int:
    """Push to each of the person's browsers and email where they asked for it. Best
    effort and at most once: a row is claimed before it is sent."""
    alerts = Alert.objects.filter(pk__in=alert_ids, sent_at=None).select_related(
        "user__profile", "user__alert_settings", "action__organizer__profile"
    )
    mails: list[EmailMultiAlternatives] = []
    composed: dict[tuple[int, str, str, str], dict[str, Any]] = {}
    sent: list[Alert] = []
    for alert in alerts.prefetch_related("user__push_subscriptions"):
        if not Alert.objects.filter(pk=alert.pk, sent_at=None).update(sent_at=timezone.now()):
            continue  # another worker has it
        language = alert.user.profile.language or settings.LANGUAGE_CODE
        key = (alert.action_id, alert.kind, alert.text, language)
        with translation.override(language):
            if key not in composed:
                composed[key] = compose(alert.kind, alert.action, text=alert.text, target=_raid_target(alert))
            message = {**composed[key], "off_url": off_url(alert.user_id, PREFERENCE[alert.kind])}
            mail = _email(alert.user, message)
        alert.pushed = sum(push.send(sub, message).ok for sub in alert.user.push_subscriptions.all())
        if mail is not None:
            mails.append(mail)
        alert.emailed = mail is not None
        sent.append(alert)
    Alert.objects.bulk_update(sent, ["pushed", "emailed"])
    if mails:
        try:
            get_connection().send_messages(mails)
        except OSError as exc:  # SMTP down: best effort, said in the log
            log.warning("alert emails not sent: %s", exc)
            Alert.objects.filter(pk__in=alert_ids).update(emailed=False)
    return len(sent)


def _raid_target(alert: Alert) -> Action | None:
    if alert.kind != Kind.RAID:
        return None
    raid = Raid.objects.select_related("target").filter(source_id=alert.action_id).first()
    return raid.target if raid else None


def _email(user: User, message: dict[str, Any]) -> EmailMultiAlternatives | None:
    prefs = getattr(user, "alert_settings", None)
    if prefs is None or not prefs.email or not user.email or not user.profile.email_verified:
        return None
    body = gettext(
        "%(body)s\n\nOpen it: %(url)s\n\nYou get this because you turned on Good Mob alerts. "
        "Stop this kind of alert: %(off)s\nAll your alert settings: %(settings)s\n"
    ) % {**message, "off": message["off_url"], "settings": absolute(reverse("alerts"))}
    mail = EmailMultiAlternatives(message["title"], body, None, [user.email])
    mail.extra_headers = {
        "List-Unsubscribe": f"<{message['off_url']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return mail


# Unsubscribing from an alert: a signed token of (person, preference), so the link in an
# email or a push works without signing in, and only for that person.
OFF_SALT = "alerts.off"


def off_url(user_id: int, preference: str) -> str:
    token = signing.dumps({"u": user_id, "p": preference}, salt=OFF_SALT, compress=True)
    return absolute(reverse("alerts_off", args=[token]))


def read_off_token(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=OFF_SALT, max_age=timedelta(days=settings.GOODMOB["ALERT_OFF_LINK_DAYS"]))
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("p") not in (*PREFERENCES, "all") or not isinstance(data.get("u"), int):
        return None
    return data["u"], data["p"]


def preferences(user: User) -> dict[str, bool]:
    """Each setting (SETTINGS) as it stands, defaults where the person set nothing."""
    found = AlertSettings.objects.filter(user=user).first() or AlertSettings(user=user)
    return {name: getattr(found, name) for name in SETTINGS}


def set_preferences(user: User, **values: bool) -> AlertSettings:
    unknown = set(values) - set(SETTINGS)
    if unknown:
        raise ValueError(f"unknown preferences {unknown}")
    prefs, _ = AlertSettings.objects.update_or_create(user=user, defaults=values)
    return prefs


def turn_off(user_id: int, preference: str) -> None:
    fields = PREFERENCES if preference == "all" else (preference,)
    AlertSettings.objects.update_or_create(user_id=user_id, defaults=dict.fromkeys(fields, False))
