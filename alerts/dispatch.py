"""Nearest-first dispatch (GoodSAM's way): watchers whose areas are nearest the action
hear first, then a ring of H3 cells further out every minute, until enough people have
pledged, the rings reach the organizer's maximum radius or the action starts. Each ring
is one query over the watch cells; the alert rows are unique, so nobody hears twice."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import h3
from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from actions import events
from actions.models import Action, Dispatch, Phase, Pledge, Visibility
from common.tasks import IDEMPOTENT
from social.models import Block, Follow, WatchCell
from social.watching import CELL_STEP_KM, cell_of

from . import services
from .models import Alert, Kind


def ring_seconds() -> float:
    return settings.GOODMOB["DISPATCH_RING_SECONDS"]


def last_ring(dispatch: Dispatch) -> int:
    return math.ceil(dispatch.max_radius_km / CELL_STEP_KM)


@events.listen(events.Launched)
def on_launch(event: events.Launched) -> None:
    dispatch = Dispatch.objects.filter(action_id=event.action_id).first()
    if dispatch is not None:
        send_ring.apply_async((event.action_id,), eta=max(dispatch.begins_at, timezone.now()))


@shared_task(**IDEMPOTENT)
def send_ring(action_id: int) -> int:
    """The next ring, if it is due (a twice-queued ring is sent once: the row is locked
    and its time checked). Queues the ring after it."""
    now = timezone.now()
    with transaction.atomic():
        dispatch = Dispatch.objects.select_for_update().select_related("action").filter(action_id=action_id).first()
        if dispatch is None or dispatch.finished_at is not None or dispatch.begins_at > now:
            return 0
        if dispatch.last_ring_at and now - dispatch.last_ring_at < timedelta(seconds=ring_seconds() * 0.9):
            return 0
        why = _finished(dispatch, now)
        if why:
            dispatch.finished_at, dispatch.finished_because = now, why
            dispatch.save(update_fields=["finished_at", "finished_because"])
            return 0
        alerted = services.issue(Kind.DISPATCH, action_id, ring_people(dispatch.action, dispatch.next_ring))
        dispatch.next_ring += 1
        dispatch.rings_sent += 1
        dispatch.alerted += alerted
        dispatch.last_ring_at = now
        dispatch.save(update_fields=["next_ring", "rings_sent", "alerted", "last_ring_at"])
    transaction.on_commit(lambda: send_ring.apply_async((action_id,), countdown=ring_seconds()))
    return alerted


def _finished(dispatch: Dispatch, now: Any) -> str:
    action = dispatch.action
    if action.visibility != Visibility.PUBLIC or action.status in (Phase.ENDED, Phase.CANCELLED):
        return "closed"
    if now >= action.starts_at:
        return "started"
    enough = min(dispatch.wanted, action.capacity or dispatch.wanted)
    if Pledge.objects.filter(action=action).count() >= enough:
        return "enough"
    if dispatch.next_ring > last_ring(dispatch):
        return "max_radius"
    return ""


def ring_people(action: Action, ring: int) -> Any:
    """Watchers with a cell `ring` steps from the action's, less its organizer, its
    pledgers, its organizer's followers, whoever heard of it already and whoever blocked
    its organizer (a subquery of the one query that picks who is alerted)."""
    cells = h3.grid_ring(cell_of(action.lat, action.lon), ring)
    heard = Alert.objects.filter(action=action).values("user_id")
    return (
        WatchCell.objects.filter(cell__in=cells)
        .exclude(user_id=action.organizer_id)
        .exclude(user_id__in=Pledge.objects.filter(action=action).values("user_id"))
        .exclude(user_id__in=heard)
        # Followers hear of the launch as followers (alerts.triggers), at the same moment.
        .exclude(user_id__in=Follow.objects.filter(followee_id=action.organizer_id).values("follower_id"))
        .exclude(user_id__in=Block.objects.filter(blocked_id=action.organizer_id).values("blocker_id"))
        .values("user_id")
    )


@shared_task(**IDEMPOTENT, expires=10)
def sweep_dispatch() -> int:
    """Queues again a ring whose task was lost (a broker or worker restart)."""
    now = timezone.now()
    late = now - timedelta(seconds=ring_seconds() + 5)
    due = Dispatch.objects.filter(finished_at=None, begins_at__lte=now).filter(
        Q(last_ring_at=None) | Q(last_ring_at__lte=late)
    )
    ids = list(due.values_list("action_id", flat=True)[:500])
    for action_id in ids:
        send_ring.delay(action_id)
    return len(ids)


def progress(action: Action) -> dict[str, Any] | None:
    """What the organizer's console shows."""
    dispatch = Dispatch.objects.filter(action=action).first()
    if dispatch is None:
        return None
    reached = Pledge.objects.filter(
        action=action, user_id__in=Alert.objects.filter(action=action, kind=Kind.DISPATCH).values("user_id")
    )
    return {
        "wanted": dispatch.wanted,
        "max_radius_km": dispatch.max_radius_km,
        "begins_at": dispatch.begins_at,
        "rings_sent": dispatch.rings_sent,
        # Ring k reaches about (k + 1/2) cell steps out.
        "radius_km": round((dispatch.rings_sent - 0.5) * CELL_STEP_KM, 1) if dispatch.rings_sent else 0.0,
        "alerted": dispatch.alerted,
        "pledged_from_dispatch": reached.count(),
        "pledged": Pledge.objects.filter(action=action).count(),
        "finished_because": dispatch.finished_because,
    }
