"""Momentum: levels that move the end. When `deeds` verified deeds are done within
`within_minutes` (counting only those after the previous level), the crowd reaches the
next level and the action's end moves by `add_minutes`, until `cap_minutes` have been
added in all. Checked by a task (coalesced per action) after deeds are marked done."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from common import coalesce
from common.tasks import IDEMPOTENT

from .. import events, rules
from ..models import Action, CheckIn, CheckInStatus, Momentum, Phase
from .organizers import require_organizer


def set_momentum(action: Action, by: User | AnonymousUser, data: rules.MomentumInput | None) -> Momentum | None:
    """Set the levels (None removes them). Allowed until the action is over; a level
    already reached stays reached."""
    require_organizer(action, by)
    rules.check_visible(action)
    rules.check_open(action, timezone.now())
    data = rules.clean_momentum(data) if data is not None else None
    made = None
    with transaction.atomic():
        if data is None:
            Momentum.objects.filter(action=action).delete()
        else:
            made, _ = Momentum.objects.update_or_create(
                action=action,
                defaults={
                    "deeds": data.deeds,
                    "within_minutes": data.within_minutes,
                    "add_minutes": data.add_minutes,
                    "cap_minutes": data.cap_minutes,
                },
            )
        # Removing the levels changes every screen too: they stop showing the next one.
        events.emit(events.MomentumSet(action.pk))
    return made


@events.listen(events.DeedDone)
def deed_done(event: events.DeedDone) -> None:
    coalesce.request("momentum", event.action_id, check_momentum, settings.GOODMOB["SNAPSHOT_COALESCE_SECONDS"])


@shared_task(**IDEMPOTENT)
def check_momentum(action_id: int) -> int | None:
    """Reach the next level if the crowd earned it; returns the new level."""
    coalesce.begin("momentum", action_id)
    return reach_level(action_id)


def reach_level(action_id: int) -> int | None:
    # Every live action's deeds queue this check; most have no levels (or have used them
    # all), and those must not take the action's row lock four times a second.
    if not Momentum.objects.filter(action_id=action_id, added_minutes__lt=F("cap_minutes")).exists():
        return None
    now = timezone.now()
    with transaction.atomic():
        # The row lock: two checks racing must not both move the end.
        action = Action.objects.select_for_update(no_key=True).filter(pk=action_id).first()
        momentum = Momentum.objects.filter(action_id=action_id).first()
        if action is None or momentum is None or action.is_hidden or action.phase_at(now) != Phase.LIVE:
            return None
        room = momentum.cap_minutes - momentum.added_minutes
        if room <= 0:
            return None
        since = max(now - timedelta(minutes=momentum.within_minutes), momentum.level_reached_at or action.starts_at)
        recent = CheckIn.objects.filter(
            action=action, status=CheckInStatus.VERIFIED, deed_done_at__gt=since, deed_done_at__lte=now
        ).count()
        if recent < momentum.deeds:
            return None
        added = min(momentum.add_minutes, room)
        action.ends_at += timedelta(minutes=added)
        action.save(update_fields=["ends_at"])
        momentum.level += 1
        momentum.added_minutes += added
        momentum.level_reached_at = now
        momentum.save(update_fields=["level", "added_minutes", "level_reached_at"])
        events.emit(events.LevelReached(action.pk, momentum.level, added))
    return momentum.level
