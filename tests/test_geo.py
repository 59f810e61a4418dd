from __future__ import annotations

import math

import h3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actions import geo

MARKET_SQUARE = (50.06170, 19.93734)


def test_known_distances():
    # Paris to London (Notre-Dame to Trafalgar Square) is about 343.5 km on the WGS-84 ellipsoid.
    assert geo.distance_m((48.8530, 2.3499), (51.5080, -0.1281)) == pytest.approx(343_500, rel=0.005)
    # One thousandth of a degree of latitude is about 111 m.
    assert geo.distance_m((50.0, 19.9), (50.001, 19.9)) == pytest.approx(111.2, abs=0.5)
    assert geo.distance_m(MARKET_SQUARE, MARKET_SQUARE) == 0


def offset(point: tuple[float, float], north_m: float) -> tuple[float, float]:
    return point[0] + north_m / 111_200, point[1]


def judge(lat_lon, accuracy, radius=150):
    return geo.judge_place(target=MARKET_SQUARE, radius_m=radius, lat=lat_lon[0], lon=lat_lon[1], accuracy_m=accuracy)


def test_inside_the_radius_is_verified():
    verdict = judge(offset(MARKET_SQUARE, 100), 10)
    assert verdict.verified and verdict.distance_m == pytest.approx(100, abs=1)


def test_accuracy_allowance_is_capped():
    edge = offset(MARKET_SQUARE, 180)
    assert judge(edge, 40).verified  # 150 + 40 covers 180
    assert not judge(edge, 20).verified  # 150 + 20 does not
    far = offset(MARKET_SQUARE, 260)
    verdict = judge(far, 140)  # the allowance stops at 50 m, however vague the fix
    assert not verdict.verified and verdict.reason == "too_far"
    assert verdict.distance_m == pytest.approx(260, abs=1)


def test_poor_accuracy_is_refused():
    assert judge(MARKET_SQUARE, geo.WORST_ACCURACY_M + 1).reason == "poor_accuracy"
    assert judge(MARKET_SQUARE, geo.WORST_ACCURACY_M).verified


@pytest.mark.parametrize(
    ("lat", "lon", "accuracy", "reason"),
    [
        (None, None, 10, "no_location"),
        (50.0, None, 10, "no_location"),
        (50.0617, 19.9373, None, "no_location"),
        (math.nan, 19.9, 10, "no_location"),
        (0.0, 0.0, 5, "implausible"),
        (91.0, 0.0, 5, "no_location"),
    ],
)
def test_missing_or_implausible_fixes(lat, lon, accuracy, reason):
    verdict = geo.judge_place(target=MARKET_SQUARE, radius_m=150, lat=lat, lon=lon, accuracy_m=accuracy)
    assert not verdict.verified and verdict.reason == reason


def test_anywhere_skips_the_distance():
    assert geo.judge_place(target=None, radius_m=None, lat=None, lon=None, accuracy_m=None).verified


def test_public_cells_are_coarse():
    cell = geo.public_cell(*MARKET_SQUARE)
    assert h3.get_resolution(cell) == geo.PUBLIC_CELL_RESOLUTION
    # Well over a city block (about 0.01 to 0.02 km²).
    assert h3.cell_area(cell, unit="m^2") > 80_000
    shape = geo.cell_shape(cell)
    assert len(shape["boundary"]) == 6
    assert geo.distance_m((shape["lat"], shape["lon"]), MARKET_SQUARE) < 1_000
    assert geo.public_cell(None, None) == ""


@settings(max_examples=2000, deadline=None)
@given(
    lat=st.floats(-88.9, 88.9),
    lon=st.floats(-180, 180),
    dlat=st.floats(-0.25, 0.25),
    dlon=st.floats(-0.25, 0.25),
)
def test_the_fast_local_distance_agrees_with_the_geodesic(lat: float, lon: float, dlat: float, dlon: float) -> None:
    """Check-ins near the spot take the local approximation; it must stay within 10 cm
    of geopy's geodesic everywhere (the antimeridian and high latitudes included)."""
    other = (max(-89.0, min(89.0, lat + dlat)), (lon + dlon + 180) % 360 - 180)
    exact = geo._WGS84.measure((lat, lon), other) * 1000
    assert abs(geo.distance_m((lat, lon), other) - exact) < 0.1
