"""Pledges: one per person per action, guarded by a unique constraint."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.selectors import get_profile
from common.errors import Conflict

from .. import events, rules
from ..models import Action, Pledge


def pledge(action: Action, user: User, ref_handle: str | None = None) -> tuple[Pledge, bool]:
    """Idempotent: a second pledge by the same person returns the first."""
    rules.check_visible(action)
    existing = Pledge.objects.filter(action=action, user=user).first()
    if existing:
        return existing, False
    now = timezone.now()
    referrer = None
    if ref_handle:
        ref = get_profile(ref_handle)
        referrer = ref.user if ref and ref.user_id != user.pk else None
    made = Pledge(action=action, user=user, referrer=referrer, created_at=now)
    if action.capacity is None:
        # Without a cap a crowd must not queue on one row lock: the unique constraint
        # alone guards two requests from the same person, in one short transaction.
        rules.check_open(action, now)
        return _insert_pledge(made)
    with transaction.atomic():
        # A capped action: the row lock makes the count and the insert one step.
        current = Action.objects.select_for_update(no_key=True).get(pk=action.pk)
        rules.check_open(current, now)
        if Pledge.objects.filter(action=current).count() >= (current.capacity or 0):
            raise Conflict("full", "This action is full.")
        return _insert_pledge(made)


def _insert_pledge(made: Pledge) -> tuple[Pledge, bool]:
    """Insert, or return the pledge a concurrent request by the same person made."""
    try:
        with transaction.atomic():
            made.save(force_insert=True)
            events.emit(events.Pledged(made.action_id, ((made.pk, made.user_id),)))
    except IntegrityError:
        return Pledge.objects.get(action_id=made.action_id, user_id=made.user_id), False
    return made, True
