"""Discovery: actions by phase, by distance from a point the caller gives (and that is
never stored), or by the people the caller follows. Strangers are shown only actions
whose organizers have a track record (DESIGN.md section 7); followers see every one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from actions import geo, selectors
from actions.models import Action

from .models import Block, Follow

RADIUS_KM_DEFAULT = 25
RADIUS_KM_MAX = 200
LIMIT_MAX = 100
# A bounding box in a crowded city still holds many actions; distances are measured for
# at most this many, nearest-looking first.
MEASURED_MAX = 2000


@dataclass(frozen=True)
class Found:
    action: Action
    distance_m: float | None


def discover(
    viewer: User | AnonymousUser,
    now: datetime,
    *,
    phase: str | None = None,
    near: tuple[float, float] | None = None,
    radius_km: float = RADIUS_KM_DEFAULT,
    followed: bool = False,
    limit: int = 50,
) -> list[Found]:
    rows = _reachable(viewer, selectors.in_phase(phase, now), now, followed)
    if near is None:
        return [Found(action, None) for action in rows[:limit]]
    radius_m = radius_km * 1000
    box = geo.bounding_box(near[0], near[1], radius_m)
    located = rows.filter(lat__isnull=False, lon__isnull=False)
    if box is not None:
        south, north, west, east = box
        located = located.filter(lat__gte=south, lat__lte=north, lon__gte=west, lon__lte=east)
    measured = [Found(a, geo.distance_m(near, (a.lat, a.lon))) for a in located[:MEASURED_MAX]]  # type: ignore[arg-type]
    inside = [found for found in measured if found.distance_m is not None and found.distance_m <= radius_m]
    return sorted(inside, key=lambda found: found.distance_m or 0.0)[:limit]


def _reachable(viewer: User | AnonymousUser, rows: QuerySet[Action], now: datetime, followed: bool) -> QuerySet[Action]:
    if followed and isinstance(viewer, User):
        rows = rows.filter(organizer_id__in=Follow.objects.filter(follower=viewer).values("followee_id"))
    else:
        rows = selectors.with_track_record(rows, now)
    if isinstance(viewer, User):
        rows = rows.exclude(organizer_id__in=Block.objects.filter(blocker=viewer).values("blocked_id"))
    return rows
