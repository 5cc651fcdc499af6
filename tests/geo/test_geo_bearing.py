"""Bearing localisation: the point sits mid-range on the bearing; the circle covers the sector."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ceasefire.geo.bearing import DEFAULT_RANGE_MAX_M, DEFAULT_RANGE_MIN_M, locate_by_bearing

GEOD = pyproj.Geod(ellps="WGS84")
NAN = float("nan")


def test_mid_range_on_the_bearing() -> None:
    lon, lat, u = locate_by_bearing([37.5], [48.5], [45.0], [5.0], [2000.0], [6000.0])
    az, _, dist = GEOD.inv(37.5, 48.5, lon[0], lat[0])
    assert dist == pytest.approx(4000.0, abs=0.01)
    assert az == pytest.approx(45.0, abs=1e-6)
    # farthest corner: 6 km at 5° off the bearing, from the 4 km point
    expected = np.sqrt(6000**2 + 4000**2 - 2 * 6000 * 4000 * np.cos(np.radians(5)))
    assert u[0] == pytest.approx(expected)


def test_defaults_and_missing_values() -> None:
    lon, lat, u = locate_by_bearing(
        [37.5, 37.5, NAN], [48.5, 48.5, 48.5], [90.0, 90.0, 90.0], [NAN, 0.0, 1.0],
        [NAN, NAN, 100.0], [NAN, 3000.0, 200.0],
    )  # fmt: skip
    mid = (DEFAULT_RANGE_MIN_M + DEFAULT_RANGE_MAX_M) / 2
    assert GEOD.inv(37.5, 48.5, lon[0], lat[0])[2] == pytest.approx(mid, abs=0.01)
    assert u[0] > (DEFAULT_RANGE_MAX_M - DEFAULT_RANGE_MIN_M) / 2  # 22.5° default error too
    assert GEOD.inv(37.5, 48.5, lon[1], lat[1])[2] == pytest.approx(1500.0, abs=0.01)
    assert u[1] == pytest.approx(1500.0)
    assert np.isnan([lon[2], lat[2], u[2]]).all()


@settings(max_examples=80, deadline=None)
@given(
    bearing=st.floats(0, 359.9),
    error=st.floats(0, 60),
    near=st.floats(0, 20_000),
    depth=st.floats(0, 20_000),
    t_range=st.floats(0, 1),
    t_angle=st.floats(-1, 1),
)
def test_circle_covers_every_position_in_the_sector(  # noqa: PLR0917
    bearing: float, error: float, near: float, depth: float, t_range: float, t_angle: float
) -> None:
    lon, lat, u = locate_by_bearing([36.0], [48.0], [bearing], [error], [near], [near + depth])
    # any position the report allows...
    lon2, lat2, _ = GEOD.fwd(36.0, 48.0, bearing + t_angle * error, near + t_range * depth)
    # ...is inside the circle (1 m slack for the ellipsoid vs the plane over <= 40 km)
    assert GEOD.inv(lon[0], lat[0], lon2, lat2)[2] <= u[0] * 1.001 + 1.0
