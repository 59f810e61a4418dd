"""Pledges: one per person per action, guarded by a unique constraint."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.selectors import get_profile
from common.errors import Conflict

from .. import events, rules
from ..models import Action, Pledge, Raid, Spotlight


def pledge(
    action: Action, user: User, ref_handle: str | None = None, came_from: Attention | None = None
) -> tuple[Pledge, bool]:
    """Idempotent: a second pledge by the same person returns the first. `came_from`
    records the spotlight or raid that brought them (an unknown one is ignored)."""
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
    if came_from is not None:
        made.via_raid, made.via_spotlight = came_from.resolve(action)
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
            raise Conflict("full", gettext_noop("This action is full."))
        return _insert_pledge(made)


@dataclass(frozen=True)
class Attention:
    """Where a pledge came from: the slug of the action whose raid or spotlight brought it."""

    raid: str | None = None
    spotlight: str | None = None

    def resolve(self, action: Action) -> tuple[Raid | None, Action | None]:
        if self.raid:
            raid = Raid.objects.filter(source__slug=self.raid, target=action).first()
            if raid is not None:
                return raid, None
        if self.spotlight:
            shown = Spotlight.objects.filter(action__slug=self.spotlight, target=action).select_related("action")
            spot = shown.first()
            if spot is not None:
                return None, spot.action
        return None, None


def _insert_pledge(made: Pledge) -> tuple[Pledge, bool]:
    """Insert, or return the pledge a concurrent request by the same person made."""
    try:
        with transaction.atomic():
            made.save(force_insert=True)
            events.emit(events.Pledged(made.action_id, ((made.pk, made.user_id),)))
    except IntegrityError:
        return Pledge.objects.get(action_id=made.action_id, user_id=made.user_id), False
    return made, True
