"""When alerts go out: launches (followers, watchers), changes that reach pledgers at once
(GO, cancelled, a new lead, a new time, a raid), and the sweeps for the 10-minute
reminder and the last-minutes nudge. Listeners only queue a task with the action's id:
the people are found and the rows written by the worker."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import h3
from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from actions import events, geo
from actions.models import Action, CheckIn, CheckInStatus, Dispatch, Phase, Pledge, Raid, Visibility
from common.tasks import IDEMPOTENT
from social.notify import launch_audience

from . import services
from .models import Kind, Notice, Whereabouts


def pledgers(action_id: int) -> QuerySet[Pledge, Any]:
    return Pledge.objects.filter(action_id=action_id).values("user_id")


@events.listen(events.Launched)
def on_launch(event: events.Launched) -> None:
    alert_launch.delay(event.action_id)


@events.listen(events.PhaseChanged)
def on_phase(event: events.PhaseChanged) -> None:
    if event.phase == Phase.LIVE:
        alert_pledgers.delay(event.action_id, Kind.GO)


# Changes that reach pledgers at once.
CHANGES: dict[type[events.Event], Kind] = {
    events.Cancelled: Kind.CANCELLED,
    events.LeadChanged: Kind.LEAD_CHANGED,
    events.Rescheduled: Kind.TIME_CHANGED,
    events.RaidStarted: Kind.RAID,
}


@events.listen(*CHANGES)
def on_change(event: events.Event) -> None:
    alert_pledgers.delay(event.action_id, CHANGES[type(event)])


@shared_task(**IDEMPOTENT)
def alert_launch(action_id: int) -> int:
    action = Action.objects.select_related("organizer").filter(pk=action_id, visibility=Visibility.PUBLIC).first()
    if action is None:
        return 0
    followers, nearby = launch_audience(action)
    if Dispatch.objects.filter(action=action).exists():
        nearby = set()  # its rings reach the watchers, nearest first
    return services.issue(Kind.FOLLOWED_LAUNCH, action.pk, followers) + services.issue(
        Kind.NEARBY_LAUNCH, action.pk, nearby
    )


@shared_task(**IDEMPOTENT)
def alert_pledgers(action_id: int, kind: str) -> int:
    """Idempotent: a person's second alert of a kind for an action is refused by its row."""
    if not Action.objects.filter(pk=action_id, visibility=Visibility.PUBLIC).exists():
        return 0
    people = pledgers(action_id)
    if kind == Kind.RAID:
        raid = Raid.objects.filter(source_id=action_id).first()
        if raid is None:
            return 0
        people = people.exclude(user_id__in=Pledge.objects.filter(action_id=raid.target_id).values("user_id"))
    return services.issue(kind, action_id, people)


def _once(action: Action, kind: str) -> bool:
    """Claims the action-wide notice: True for the one sweep that should issue it."""
    try:
        with transaction.atomic():
            Notice.objects.create(action=action, kind=kind)
    except IntegrityError:
        return False
    return True


@shared_task(**IDEMPOTENT, expires=25)
def sweep_reminders() -> int:
    """Pledgers hear 10 minutes before the start (not when that is under 2 minutes away:
    GO comes then)."""
    now = timezone.now()
    due = Action.objects.filter(
        status=Phase.SCHEDULED,
        visibility=Visibility.PUBLIC,
        starts_at__gt=now + timedelta(minutes=2),
        starts_at__lte=now + timedelta(minutes=settings.GOODMOB["REMINDER_MINUTES"]),
    ).exclude(Exists(Notice.objects.filter(action=OuterRef("pk"), kind=Kind.REMINDER)))
    return sum(services.issue(Kind.REMINDER, a.pk, pledgers(a.pk)) for a in due if _once(a, Kind.REMINDER))


@shared_task(**IDEMPOTENT, expires=25)
def sweep_nudges() -> int:
    """In the last minutes of a live action with a place: pledgers not checked in whose
    last rough whereabouts are near hear how long is left and how far it is. Whereabouts
    of ended actions are dropped here too."""
    now = timezone.now()
    Whereabouts.objects.filter(action__ends_at__lt=now).delete()
    minutes = settings.GOODMOB["NUDGE_MINUTES"]
    due = Action.objects.filter(
        status=Phase.LIVE,
        visibility=Visibility.PUBLIC,
        radius_m__isnull=False,
        ends_at__gt=now + timedelta(minutes=1),
        ends_at__lte=now + timedelta(minutes=minutes),
    ).exclude(Exists(Notice.objects.filter(action=OuterRef("pk"), kind=Kind.NUDGE)))
    return sum(_nudge(action, now) for action in due if _once(action, Kind.NUDGE))


def _nudge(action: Action, now: datetime) -> int:
    arrived = CheckIn.objects.filter(
        action=action, pledge__user_id=OuterRef("user_id"), status__in=[CheckInStatus.PENDING, CheckInStatus.VERIFIED]
    )
    rows = Whereabouts.objects.filter(action=action, user_id__in=pledgers(action.pk)).exclude(Exists(arrived))
    left = max(1, int((action.ends_at - now).total_seconds() // 60))
    texts: dict[int, str] = {}
    spot = (action.lat or 0.0, action.lon or 0.0)  # the sweep takes only actions with a place
    for user_id, cell in rows.values_list("user_id", "cell"):
        metres = geo.distance_m(spot, h3.cell_to_latlng(cell))
        if metres <= settings.GOODMOB["NUDGE_RADIUS_M"]:
            far = "right here" if metres < 50 else f"{round(metres, -1 if metres < 1000 else -2):,.0f} m away"
            texts[user_id] = f"{left} minutes left, the spot is {far}"
    return services.issue(Kind.NUDGE, action.pk, list(texts), texts)
