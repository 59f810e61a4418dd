"""Check-ins and deeds: stored at once as pending (verification.py judges them)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from common.errors import Conflict

from .. import events, rules
from ..models import Action, CheckIn, CheckInStatus
from .pledges import pledge


def check_in(action: Action, user: User, data: rules.CheckInInput) -> tuple[CheckIn, bool]:
    """Store a pending check-in and queue its verification. Returns (check-in, new attempt).

    The same idempotency key returns the same check-in. One check-in per person: a new
    key only starts a new attempt after a rejection.
    """
    data = rules.clean_checkin(action, data, timezone.now())
    rules.check_visible(action)
    rules.check_not_cancelled(action, timezone.now())
    pledged = pledge(action, user)[0]
    fields = {
        "lat": data.lat,
        "lon": data.lon,
        "accuracy_m": data.accuracy_m,
        "presence_code": data.presence_code or "",
        "fixed_at": data.fixed_at,
    }
    fresh = new_checkin(pledged.pk, action.pk, data, timezone.now())
    try:
        # The common case, a first check-in, is one insert; the unique constraint on the
        # pledge sends everything else (a replay, a retry, a race) down the locked path.
        with transaction.atomic():
            fresh.save(force_insert=True)
            events.emit(events.CheckInsReceived(action.pk, (fresh.pk,)))
        return fresh, True
    except IntegrityError:
        pass
    with transaction.atomic():
        existing = CheckIn.objects.select_for_update().get(pledge=pledged)
        if existing.idempotency_key == data.idempotency_key:
            kept = existing.lat is not None or data.lat is None  # the retention sweep may have dropped them
            if kept and any(getattr(existing, name) != value for name, value in fields.items()):
                raise Conflict(
                    "idempotency_key_reused", gettext_noop("That idempotency_key was already used with other data.")
                )
            return existing, False
        if existing.status != CheckInStatus.REJECTED:
            return existing, False  # one check-in per person
        # A retry after a rejection reuses the one row.
        for name, value in fields.items():
            setattr(existing, name, value)
        existing.idempotency_key = data.idempotency_key
        existing.status, existing.reason, existing.distance_m, existing.cell = CheckInStatus.PENDING, "", None, ""
        existing.method, existing.synced_late = "", False
        existing.verified_at, existing.received_at = None, timezone.now()
        existing.save()
        events.emit(events.CheckInsReceived(action.pk, (existing.pk,)))
    return existing, True


def new_checkin(pledge_id: int, action_id: int, data: rules.CheckInInput, received_at: datetime) -> CheckIn:
    """A pending check-in as first stored (not saved here)."""
    return CheckIn(
        pledge_id=pledge_id,
        action_id=action_id,
        idempotency_key=data.idempotency_key,
        lat=data.lat,
        lon=data.lon,
        accuracy_m=data.accuracy_m,
        presence_code=data.presence_code or "",
        fixed_at=data.fixed_at,
        received_at=received_at,
    )


def mark_deed_done(action: Action, user: User) -> tuple[CheckIn, bool]:
    rules.check_visible(action)
    checkin = CheckIn.objects.filter(action=action, pledge__user=user).first()
    if checkin is None or checkin.status != CheckInStatus.VERIFIED:
        raise Conflict(
            "not_verified", gettext_noop("Check in on the spot first: a deed counts after a verified check-in.")
        )
    if checkin.deed_done_at is not None:
        return checkin, False
    now = timezone.now()
    rules.check_deed_window(action, now)
    # Conditional update: two taps at once mark the deed once.
    with transaction.atomic():
        updated = CheckIn.objects.filter(pk=checkin.pk, deed_done_at__isnull=True).update(deed_done_at=now)
        if updated:
            events.emit(events.DeedDone(action.pk, checkin.pk))
    checkin.refresh_from_db()
    return checkin, bool(updated)
