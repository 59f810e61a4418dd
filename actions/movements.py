"""Reading a movement: one deed carried to many places. Its tally is the exact sum of its
local actions' tallies, recounted from rows in one query (never a running total that a
lost message or a restart could skew). protocol.MovementSnapshot is its wire shape."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import h3
from django.db.models import OuterRef, Q
from django.utils import timezone

from accounts.selectors import person
from common.times import iso

from . import geo, selectors
from .models import Action, CheckIn, CheckInStatus, Movement, Phase, Pledge, Visibility

# Places are shown as the centre of a cell about 250 km² wide: the town, not the street.
AREA_RESOLUTION = 5
# The page lists at most this many local actions (live first); the tally counts them all.
LISTED_MAX = 200
PHASE_ORDER = {Phase.LIVE: 0, Phase.SCHEDULED: 1, Phase.ENDED: 2, Phase.CANCELLED: 3}


def get_movement(movement_id: int) -> Movement | None:
    return Movement.objects.filter(pk=movement_id).first()


def area(action: Action) -> dict[str, float] | None:
    if not geo.valid_point(action.lat, action.lon):
        return None  # an "anywhere" action has no place to show
    lat, lon = h3.cell_to_latlng(h3.latlng_to_cell(action.lat, action.lon, AREA_RESOLUTION))
    return {"lat": round(lat, 3), "lon": round(lon, 3)}


def local_actions(movement: Movement) -> list[Action]:
    """Its visible actions, each with its counts (`pledged`, `checked_in`, `deeds`)."""
    verified = Q(status=CheckInStatus.VERIFIED)
    me = OuterRef("pk")
    return list(
        Action.objects.filter(movement=movement, visibility=Visibility.PUBLIC)
        .select_related("organizer__profile")
        .annotate(
            pledged=selectors.count_per(Pledge.objects.filter(action=me), "action"),
            checked_in=selectors.count_per(CheckIn.objects.filter(verified, action=me), "action"),
            deeds=selectors.count_per(
                CheckIn.objects.filter(verified, action=me, deed_done_at__isnull=False), "action"
            ),
        )
        .order_by("starts_at", "pk")
    )


def _counts(actions: list[Action]) -> dict[str, int]:
    return {
        "pledged": sum(a.pledged for a in actions),  # type: ignore[attr-defined]
        "checked_in": sum(a.checked_in for a in actions),  # type: ignore[attr-defined]
        "deeds": sum(a.deeds for a in actions),  # type: ignore[attr-defined]
        "goal": sum(a.goal for a in actions),
    }


def _listed_ids(movement: Movement, actions: list[Action], now: datetime) -> set[int]:
    """Named on the public page: the first action, and those whose organizers have a track
    record (DESIGN.md section 7: a newcomer's launch is not shown to strangers)."""
    ids = [a.pk for a in actions]
    shown = selectors.with_track_record(Action.objects.filter(pk__in=ids), now).values_list("pk", flat=True)
    return {*shown, *([movement.origin_id] if movement.origin_id else [])}


def snapshot(movement: Movement, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    actions = local_actions(movement)
    listed = _listed_ids(movement, actions, now)
    items: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    for action in sorted(actions, key=lambda a: (PHASE_ORDER[a.phase_at(now)], -a.deeds)):  # type: ignore[attr-defined]
        place = {"area": area(action), "phase": action.phase_at(now), "deeds": action.deeds}  # type: ignore[attr-defined]
        if action.pk in listed and len(items) < LISTED_MAX:
            items.append(
                {
                    **place,
                    "slug": action.slug,
                    "title": action.title,
                    "place_name": action.place_name,
                    "organizer": person(action.organizer),
                    "starts_at": iso(action.starts_at),
                    "ends_at": iso(action.ends_at),
                    "url": action.get_absolute_url(),
                    "counts": {
                        "pledged": action.pledged,  # type: ignore[attr-defined]
                        "checked_in": action.checked_in,  # type: ignore[attr-defined]
                        "deeds": action.deeds,  # type: ignore[attr-defined]
                        "goal": action.goal,
                    },
                }
            )
        else:
            others.append(place)
    return {
        "type": "movement",
        "id": movement.pk,
        "title": movement.title,
        "deed": movement.deed,
        "url": movement.get_absolute_url(),
        "live_url": f"{movement.get_absolute_url()}/live",
        "server_now": iso(now),
        "counts": _counts(actions),
        "places": len(actions),
        "live": sum(1 for a in actions if a.phase_at(now) == Phase.LIVE),
        "actions": items,
        "others": others,
        "seq": movement.seq,
    }


def fork_source(movement: Movement, now: datetime | None = None) -> Action | None:
    """The action a "Do this near me" on the movement's page forks: its first action while
    that is open, else the open one starting soonest."""
    now = now or timezone.now()
    open_ones = selectors.open_actions(now).filter(movement=movement)
    first = open_ones.filter(pk=movement.origin_id).first() if movement.origin_id else None
    return first or open_ones.first()
