"""A point and its re-projected twin (WGS 84 → UTM 36N / Web Mercator → WGS 84) are placed alike."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ceasefire.geo import Geography, place_points

ROUND_TRIPS = [
    (
        pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True),
        pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True),
    )
    for crs in ("EPSG:32636", "EPSG:3857")
]


@settings(max_examples=60, deadline=None)
@given(
    lon=st.floats(22.5, 40.0),
    lat=st.floats(44.5, 52.3),
    u_m=st.sampled_from([0.0, 250.0, 5_000.0]),
    trip=st.sampled_from([0, 1]),
)
def test_reprojected_twin_is_placed_alike(
    paris_geo: Geography, lon: float, lat: float, u_m: float, trip: int
) -> None:
    forward, back = ROUND_TRIPS[trip]
    twin_lon, twin_lat = back.transform(*forward.transform(lon, lat))
    p = place_points(
        paris_geo, np.array([lon, twin_lon]), np.array([lat, twin_lat]), np.array([u_m, u_m])
    )
    assert (p.inside[0] == p.inside[1]).all()
    assert (p.possibly_inside[0] == p.possibly_inside[1]).all()
    assert p.party_index[0] == p.party_index[1]
    # alike within the promised accuracy: one twin may be interpolated, the other exact
    assert p.distance_to_line_km[0] == pytest.approx(p.distance_to_line_km[1], rel=0.005, abs=0.05)
