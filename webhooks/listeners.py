"""Domain events, told to the organizers' webhook endpoints (services.enqueue). Payloads
carry ids, names the public already sees and times; never a location."""

from __future__ import annotations

from typing import Any

from actions import events
from actions.models import Action, CheckIn, CheckInStatus, Raid
from common.times import iso

from . import services
from .models import Endpoint

PHASE_EVENTS = {"live": "action.started", "ended": "action.ended", "cancelled": "action.cancelled"}
MILESTONES = (25, 50, 75, 100)


def _action(action: Action) -> dict[str, Any]:
    return {
        "slug": action.slug,
        "title": action.title,
        "url": action.get_absolute_url(),
        "starts_at": iso(action.starts_at),
        "ends_at": iso(action.ends_at),
        "status": action.status,
        "goal": action.goal,
    }


def _heard(action_id: int) -> tuple[Action, list[Endpoint]] | None:
    """The action and its organizer's endpoints; None when nobody listens (most actions:
    then one query is all an event costs)."""
    endpoints = services.listening(action_id)
    action = Action.objects.filter(pk=action_id).first() if endpoints else None
    return (action, endpoints) if action else None


@events.listen(events.Launched)
def launched(event: events.Launched) -> None:
    if heard := _heard(event.action_id):
        action, endpoints = heard
        services.enqueue(endpoints, "action.launched", str(action.pk), {"action": _action(action)})


@events.listen(events.PhaseChanged)
def phase_changed(event: events.PhaseChanged) -> None:
    name = PHASE_EVENTS.get(event.phase)
    if name and (heard := _heard(event.action_id)):
        action, endpoints = heard
        services.enqueue(endpoints, name, str(action.pk), {"action": _action(action)})


@events.listen(events.CheckInsVerified)
def checkins_verified(event: events.CheckInsVerified) -> None:
    if not (heard := _heard(event.action_id)):
        return
    action, endpoints = heard
    verified = CheckIn.objects.filter(pk__in=event.checkin_ids, status=CheckInStatus.VERIFIED)
    for checkin_id, at in verified.values_list("pk", "verified_at"):
        data = {"action": {"slug": action.slug}, "checkin": {"id": checkin_id, "verified_at": iso(at) if at else None}}
        services.enqueue(endpoints, "checkin.verified", str(checkin_id), data)


@events.listen(events.DeedDone)
def deed_done(event: events.DeedDone) -> None:
    if not (heard := _heard(event.action_id)):
        return
    action, endpoints = heard
    data = {"action": {"slug": action.slug}, "checkin": {"id": event.checkin_id}}
    services.enqueue(endpoints, "deed.completed", str(event.checkin_id), data)
    if not any("milestone.reached" in e.events for e in endpoints):
        return
    deeds = CheckIn.objects.filter(action=action, status=CheckInStatus.VERIFIED, deed_done_at__isnull=False).count()
    # Each milestone once (the delivery's unique id), however many deeds cross it at once.
    for percent in MILESTONES:
        if deeds * 100 >= action.goal * percent:
            data = {"action": _action(action), "percent": percent, "deeds": deeds}
            services.enqueue(endpoints, "milestone.reached", f"{action.pk}:{percent}", data)


@events.listen(events.RaidStarted)
def raid_started(event: events.RaidStarted) -> None:
    raid = Raid.objects.select_related("source", "target").filter(pk=event.raid_id).first()
    if raid is not None and (heard := _heard(raid.source_id)):
        _, endpoints = heard
        services.enqueue(
            endpoints, "raid.started", str(raid.pk), {"action": _action(raid.source), "to": _action(raid.target)}
        )
