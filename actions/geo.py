"""Pure location rules: distances, the check-in verdict, coarse public cells."""

from __future__ import annotations

import math
from dataclasses import dataclass

import h3
from geopy.distance import geodesic

LAT_MIN, LAT_MAX = -90.0, 90.0
LON_MIN, LON_MAX = -180.0, 180.0
# Phones report a 68% confidence radius. We forgive up to this much of it, so a fix
# drifting across the boundary still counts, but a vague fix cannot stretch the radius.
ACCURACY_ALLOWANCE_CAP_M = 50.0
# Worse than this and the fix says nothing useful about being "here" (cell-tower grade).
WORST_ACCURACY_M = 150.0
# Resolution 9 hexagons average about 0.1 km² (some 340 m across): several city
# blocks. Check-ins keep their cell at this resolution; the public map may coarsen it.
PUBLIC_CELL_RESOLUTION = 9
# A public cell holds at least this many people who count on the map (rules.py says who).
MIN_PEOPLE_PER_CELL = 5
# One or two small cells on a map point at where the crowd is: until at least this many
# cells qualify, the map shows coarser ones (resolution 8, about 0.7 km²; 7, about 5 km²).
MIN_CELLS_AT_A_RESOLUTION = 3
COARSER_RESOLUTIONS = (8, 7)


@dataclass(frozen=True)
class Verdict:
    verified: bool
    reason: str = ""
    distance_m: float | None = None


# One instance: geopy builds the WGS-84 solver per instance, which was 40% of a
# verification batch when made per check-in.
_WGS84 = geodesic()


# WGS-84, for the local approximation below.
_A, _E2 = 6_378_137.0, 6.694_379_990_14e-3
# Within this many degrees the local approximation is off by well under a metre; farther
# apart (someone far from the spot) the exact geodesic is worth its cost.
_LOCAL_DEGREES = 0.25


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Metres between two points on the WGS-84 ellipsoid.

    Near each other (every check-in at the spot) the ellipsoid is flat enough to use its
    radii of curvature at the mean latitude: about 1 µs instead of the geodesic's 100 µs,
    which was a tenth of a millisecond of worker CPU per check-in."""
    (lat1, lon1), (lat2, lon2) = a, b
    dlon = (lon2 - lon1 + 180.0) % 360.0 - 180.0
    if abs(lat2 - lat1) > _LOCAL_DEGREES or abs(dlon) > _LOCAL_DEGREES or max(abs(lat1), abs(lat2)) > 89.0:
        return _WGS84.measure(a, b) * 1000
    phi = math.radians((lat1 + lat2) / 2)
    w = 1 - _E2 * math.sin(phi) ** 2
    meridian = _A * (1 - _E2) / w**1.5  # north-south radius of curvature
    normal = _A / math.sqrt(w)  # east-west
    return math.hypot(math.radians(lat2 - lat1) * meridian, math.radians(dlon) * normal * math.cos(phi))


def bounding_box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float] | None:
    """(south, north, west, east) around a point, a little larger than the circle; None
    where it would wrap a pole or the antimeridian (then only the distance filters)."""
    dlat = radius_m / 110_574 * 1.01
    cos_lat = math.cos(math.radians(lat))
    if abs(lat) + dlat >= 89.0 or cos_lat <= 0:
        return None
    dlon = radius_m / (111_320 * cos_lat) * 1.01
    if abs(lon) + dlon >= 180.0:
        return None
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def in_range(value: float | None, low: float, high: float) -> bool:
    return value is not None and math.isfinite(value) and low <= value <= high


def valid_point(lat: float | None, lon: float | None) -> bool:
    return in_range(lat, LAT_MIN, LAT_MAX) and in_range(lon, LON_MIN, LON_MAX)


def judge_place(
    *,
    target: tuple[float, float] | None,
    radius_m: int | None,
    lat: float | None,
    lon: float | None,
    accuracy_m: float | None,
) -> Verdict:
    """The place half of verification; `radius_m` None means anywhere."""
    if radius_m is None or target is None:
        return Verdict(True)
    if (
        lat is None
        or lon is None
        or not valid_point(lat, lon)
        or accuracy_m is None
        or not math.isfinite(accuracy_m)
        or accuracy_m < 0
    ):
        return Verdict(False, "no_location")
    if lat == 0 and lon == 0:
        return Verdict(False, "implausible")  # "null island": a failed fix, not a place
    if accuracy_m > WORST_ACCURACY_M:
        return Verdict(False, "poor_accuracy")
    away = distance_m(target, (lat, lon))
    if away > radius_m + min(accuracy_m, ACCURACY_ALLOWANCE_CAP_M):
        return Verdict(False, "too_far", away)
    return Verdict(True, "", away)


def public_cell(lat: float | None, lon: float | None) -> str:
    return h3.latlng_to_cell(lat, lon, PUBLIC_CELL_RESOLUTION) if valid_point(lat, lon) else ""


def cell_shape(cell: str) -> dict[str, object]:
    lat, lon = h3.cell_to_latlng(cell)
    return {
        "cell": cell,
        "lat": round(lat, 5),
        "lon": round(lon, 5),
        "boundary": [[round(a, 5), round(b, 5)] for a, b in h3.cell_to_boundary(cell)],
    }


def public_areas(people_per_cell: dict[str, int]) -> list[tuple[str, int]]:
    """The cells a public map may show, (cell, people), most people first.

    Only cells of at least MIN_PEOPLE_PER_CELL people; and while fewer than
    MIN_CELLS_AT_A_RESOLUTION cells qualify, the cells merge into their parents, down to
    the coarsest resolution. `people_per_cell` counts people at PUBLIC_CELL_RESOLUTION."""
    shown: list[tuple[str, int]] = []
    for resolution in (PUBLIC_CELL_RESOLUTION, *COARSER_RESOLUTIONS):
        merged: dict[str, int] = {}
        for cell, people in people_per_cell.items():
            area = cell if resolution == PUBLIC_CELL_RESOLUTION else h3.cell_to_parent(cell, resolution)
            merged[area] = merged.get(area, 0) + people
        shown = sorted(
            ((area, people) for area, people in merged.items() if people >= MIN_PEOPLE_PER_CELL),
            key=lambda item: (-item[1], item[0]),
        )
        if len(shown) >= MIN_CELLS_AT_A_RESOLUTION:
            break
    return shown


# What is kept of a distance after the retention period: the upper edge of its band.
DISTANCE_BANDS_M = (50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000)


def distance_band(distance: float) -> int:
    """The smallest band edge at or above the distance; farther than the last is the last."""
    return next((edge for edge in DISTANCE_BANDS_M if distance <= edge), DISTANCE_BANDS_M[-1])
