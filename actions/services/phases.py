"""Phases: the stored status catching up with the clock, early ends and cancellations."""

from __future__ import annotations

from datetime import datetime, timedelta

from celery import shared_task
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone

from common.tasks import IDEMPOTENT

from .. import events, rules, selectors
from ..models import Action, Phase
from .organizers import require_lead, require_organizer

# Celery's Redis transport redelivers unacked ETA tasks after the visibility timeout;
# far-off flips are left to the 1-second sweep instead.
ETA_HORIZON = timedelta(minutes=50)


@events.listen(events.Launched, events.LevelReached, events.Rescheduled)
def schedule_phase_flips(event: events.Event) -> None:
    """At the start and the end (again when a level moves the end); the sweep backs it up."""
    action = Action.objects.filter(pk=event.action_id).first()
    if action is None:
        return
    now = timezone.now()
    for moment in (action.starts_at, action.ends_at):
        if now <= moment <= now + ETA_HORIZON:
            advance_phase.apply_async((action.pk,), eta=moment)


@shared_task(**IDEMPOTENT)
def advance_phase(action_id: int) -> str | None:
    return sync_phase(action_id)


def sync_phase(action_id: int) -> str | None:
    """Bring the stored status up to the clock. Idempotent; returns the new status."""
    now = timezone.now()
    with transaction.atomic():
        # Row lock: the scheduled flip and the beat sweep may race for the same action.
        action = Action.objects.select_for_update(no_key=True).filter(pk=action_id).first()
        if action is None:
            return None
        phase = action.phase_at(now)
        if phase == action.status:
            return None
        action.status = phase
        action.save(update_fields=["status"])
        events.emit(events.PhaseChanged(action.pk, phase))
    return phase


@shared_task(**IDEMPOTENT, expires=5)
def sweep_phases() -> int:
    due = list(selectors.actions_due(timezone.now()).values_list("pk", flat=True))
    return sum(1 for pk in due if sync_phase(pk))


def cancel_action(action: Action, by: User | AnonymousUser) -> Action:
    require_lead(action, by)
    return _finish(action, Phase.CANCELLED)


def end_action(action: Action, by: User | AnonymousUser) -> Action:
    require_organizer(action, by)
    return end_now(action)


def end_now(action: Action) -> Action:
    """End it now (the caller has checked who asks)."""
    return _finish(action, Phase.ENDED)


def reschedule(action: Action, by: User | AnonymousUser, starts_at: datetime, duration_minutes: int | None) -> Action:
    """A new start (and end) for an action that has not started: pledgers hear at once."""
    require_lead(action, by)
    now = timezone.now()
    with transaction.atomic():
        locked = Action.objects.select_for_update(no_key=True).get(pk=action.pk)
        rules.check_not_started(locked, now)
        minutes = duration_minutes or int((locked.ends_at - locked.starts_at).total_seconds() // 60)
        starts_at = rules.clean_new_start(starts_at, minutes, now)
        if starts_at == locked.starts_at and locked.ends_at == starts_at + timedelta(minutes=minutes):
            return locked
        locked.starts_at, locked.ends_at = starts_at, starts_at + timedelta(minutes=minutes)
        locked.save(update_fields=["starts_at", "ends_at"])
        events.emit(events.Rescheduled(locked.pk))
    return locked


def _finish(action: Action, status: Phase) -> Action:
    now = timezone.now()
    with transaction.atomic():
        locked = Action.objects.select_for_update(no_key=True).get(pk=action.pk)
        rules.check_can_finish(locked, now)
        locked.status = status
        if status == Phase.ENDED:
            locked.ends_at = max(now, locked.starts_at)
        locked.save(update_fields=["status", "ends_at"])
        events.emit(events.PhaseChanged(locked.pk, status))
        if status == Phase.CANCELLED:
            events.emit(events.Cancelled(locked.pk))
    return locked
