"""Watch areas: "tell me of actions launched around here". The area is stored as the H3
cells (resolution 6, about 36 km² each) that cover a disc around the chosen point; the
point itself is never kept. A public launch in one of those cells reaches the watcher."""

from __future__ import annotations

import math

import h3
from django.contrib.auth.models import User
from django.db import transaction

from actions import geo
from common.errors import Invalid, NotFound

from .models import WatchArea, WatchCell

RESOLUTION = 6
# Centre-to-centre distance of neighbouring resolution-6 cells, about 6.4 km.
CELL_STEP_KM = 6.4
RADIUS_KM_MIN, RADIUS_KM_MAX = 1, 50
AREAS_MAX = 5


def cell_of(lat: float | None, lon: float | None) -> str:
    return h3.latlng_to_cell(lat, lon, RESOLUTION) if geo.valid_point(lat, lon) else ""


def add(user: User, lat: float, lon: float, radius_km: int) -> WatchArea:
    if not geo.valid_point(lat, lon):
        raise Invalid("invalid", "Give a latitude (-90 to 90) and a longitude (-180 to 180).", field="lat")
    if not RADIUS_KM_MIN <= radius_km <= RADIUS_KM_MAX:
        raise Invalid("invalid", f"The radius is {RADIUS_KM_MIN} to {RADIUS_KM_MAX} km.", field="radius_km")
    if WatchArea.objects.filter(user=user).count() >= AREAS_MAX:
        raise Invalid("too_many", f"At most {AREAS_MAX} watch areas; remove one first.", field="radius_km")
    cells = h3.grid_disk(cell_of(lat, lon), math.ceil(radius_km / CELL_STEP_KM))
    with transaction.atomic():
        area = WatchArea.objects.create(user=user, radius_km=radius_km)
        WatchCell.objects.bulk_create(WatchCell(area=area, user=user, cell=cell) for cell in cells)
    return area


def remove(user: User, area_id: int) -> None:
    if not WatchArea.objects.filter(pk=area_id, user=user).delete()[0]:
        raise NotFound("not_found", "You have no watch area with that id.")


def watchers(cell: str) -> set[int]:
    """Who watches this cell (one query)."""
    if not cell:
        return set()
    return set(WatchCell.objects.filter(cell=cell).values_list("user_id", flat=True))


def centre(area: WatchArea) -> dict[str, float]:
    """The middle of the area, as coarse as its cells."""
    cells = list(area.cells.values_list("cell", flat=True))
    middle = h3.cell_to_parent(cells[0], RESOLUTION - 2) if cells else ""
    lat, lon = h3.cell_to_latlng(middle) if middle else (0.0, 0.0)
    return {"lat": round(lat, 2), "lon": round(lon, 2)}
