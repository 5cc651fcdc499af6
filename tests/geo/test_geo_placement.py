"""Hand-checked placements in the synthetic meridian theatre (see conftest).

Every test point is built with ``pyproj.Geod.fwd`` perpendicular to a meridian, so its
geodesic distance to the line is known exactly; the zones must be right to 0.5 %, so points
1 % inside or outside an edge must land on the right side.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyproj
import pytest
from geo_builders import write_synthetic

from ceasefire.agreement import load_agreement
from ceasefire.geo import Geography, compile_geography, place_points

GEOD = pyproj.Geod(ellps="WGS84")
EAST, WEST = 90.0, 270.0


def at(lon: float, lat: float, azimuth: float, km: float) -> tuple[float, float]:
    """The point ``km`` along azimuth from (lon, lat)."""
    x, y, _ = GEOD.fwd(lon, lat, azimuth, km * 1000.0)
    return float(x), float(y)


def place_one(geo: Geography, point: tuple[float, float], u_m: float = 0.0) -> dict[str, object]:
    """Placement of one point as a dict of zone -> 'in' / 'maybe' / 'out' plus extras."""
    p = place_points(geo, np.array([point[0]]), np.array([point[1]]), np.array([u_m]))
    zones: dict[str, object] = {}
    for j, zid in enumerate(p.zone_ids):
        zones[zid] = "in" if p.inside[0, j] else "maybe" if p.possibly_inside[0, j] else "out"
    party = int(p.party_index[0])
    zones["party"] = geo.party_ids[party] if party >= 0 else None
    zones["km"] = float(p.distance_to_line_km[0])
    zones["site"] = "at" if p.at_storage_site[0] else "near" if p.near_storage_site[0] else "no"
    return zones


@pytest.mark.parametrize(("azimuth", "party"), [(WEST, "UKR"), (EAST, "RUS")])
@pytest.mark.parametrize(
    ("km", "u_m", "expected"),
    [
        (9.9, 0.0, "in"),  # 1 % inside the 10 km edge
        (10.1, 0.0, "out"),  # 1 % outside
        (9.0, 500.0, "in"),  # circle reaches 9.5 km: wholly inside
        (9.0, 1500.0, "maybe"),  # circle reaches 10.5 km: crosses the edge
        (11.0, 1500.0, "maybe"),  # circle reaches back to 9.5 km
        (11.0, 500.0, "out"),  # circle stops at 10.5 km
        (3.0, 2000.0, "in"),  # crosses the line, but the band continues on the other side
    ],
)
def test_band_edges_on_both_sides(  # noqa: PLR0917
    synthetic_geo: Geography, azimuth: float, party: str, km: float, u_m: float, expected: str
) -> None:
    placed = place_one(synthetic_geo, at(37.0, 48.0, azimuth, km), u_m)
    assert placed["band10"] == expected
    assert placed["party"] == party
    assert placed["km"] == pytest.approx(km, rel=0.005)


def test_own_baseline_band(synthetic_geo: Geography) -> None:
    """RUS's 25 km band is measured from its own baseline (37.2°E), on RUS's side only."""
    on_baseline = place_one(synthetic_geo, (37.2, 48.0))
    assert on_baseline["own25"] == "in"
    assert on_baseline["party"] == "RUS"
    # 0.2° of longitude at 48°N is ~14.9 km: the baseline point is that far from the line
    expected_km = GEOD.inv(37.0, 48.0, 37.2, 48.0)[2] / 1000
    assert on_baseline["km"] == pytest.approx(expected_km, rel=0.005)
    assert on_baseline["band10"] == "out"
    assert place_one(synthetic_geo, at(37.2, 48.0, EAST, 24.75))["own25"] == "in"
    assert place_one(synthetic_geo, at(37.2, 48.0, EAST, 25.25))["own25"] == "out"
    # between the line and the baseline: ~7.4 km from the baseline, still RUS's side
    assert place_one(synthetic_geo, (37.1, 48.0))["own25"] == "in"
    # UKR's side is never in a RUS-only band, even 1 km from the baseline's reach
    assert place_one(synthetic_geo, at(37.0, 48.0, WEST, 1.0))["own25"] == "out"
    # near the line with a circle that crosses into UKR's side: only possibly inside
    assert place_one(synthetic_geo, at(37.0, 48.0, EAST, 1.0), 2000.0)["own25"] == "maybe"


def test_area_zone_and_storage_site(synthetic_geo: Geography) -> None:
    assert place_one(synthetic_geo, (36.05, 48.25))["box"] == "in"
    assert place_one(synthetic_geo, (36.2, 48.25))["box"] == "out"
    # 0.001° north of the box's top edge is ~111 m out: a 200 m circle crosses it
    assert place_one(synthetic_geo, (36.05, 48.301), 200.0)["box"] == "maybe"
    assert place_one(synthetic_geo, (36.05, 48.301), 50.0)["box"] == "out"
    site = (36.5, 48.0)
    assert place_one(synthetic_geo, at(*site, 0.0, 0.5))["site"] == "at"
    assert place_one(synthetic_geo, at(*site, 0.0, 0.5), 800.0)["site"] == "near"
    assert place_one(synthetic_geo, at(*site, 45.0, 1.2), 300.0)["site"] == "near"
    assert place_one(synthetic_geo, at(*site, 45.0, 1.2), 100.0)["site"] == "no"


def test_unlocated_points_are_nowhere(synthetic_geo: Geography) -> None:
    p = place_points(
        synthetic_geo,
        np.array([np.nan, 36.9, 10.0]),
        np.array([48.0, np.nan, 10.0]),
        np.array([0.0, 0.0, np.nan]),
    )
    assert not p.inside.any()
    assert not p.possibly_inside.any()
    assert p.party_index.tolist() == [-1, -1, -1]
    assert np.isnan(p.distance_to_line_km[:2]).all()
    assert p.distance_to_line_km[2] > 3000  # far outside every area, still measured
    assert p.inside.shape == (3, len(synthetic_geo.zone_ids))


def test_batch_equals_one_by_one(synthetic_geo: Geography) -> None:
    """Vectorised answers do not depend on what else is in the batch."""
    rng = np.random.default_rng(7)
    lon = rng.uniform(35.5, 38.5, 300)
    lat = rng.uniform(47.2, 48.8, 300)
    u = rng.choice([0.0, 300.0, 3000.0], 300)
    batch = place_points(synthetic_geo, lon, lat, u)
    for i in range(0, 300, 37):
        one = place_points(synthetic_geo, lon[i : i + 1], lat[i : i + 1], u[i : i + 1])
        assert (one.inside[0] == batch.inside[i]).all()
        assert (one.possibly_inside[0] == batch.possibly_inside[i]).all()
        assert one.distance_to_line_km[0] == pytest.approx(batch.distance_to_line_km[i])


def test_points_off_the_lookup_grid_take_the_exact_path(synthetic_geo: Geography) -> None:
    """Far outside the grid (>1° beyond every area) answers still come out right."""
    grid = synthetic_geo.grid
    far_lon = grid.lon0 - 5.0
    p = place_points(synthetic_geo, np.array([far_lon]), np.array([48.0]), np.array([0.0]))
    expected_km = GEOD.inv(far_lon, 48.0, 37.0, 48.0)[2] / 1000
    assert p.distance_to_line_km[0] == pytest.approx(expected_km, rel=0.005)
    assert p.party_index[0] == -1
    assert not p.inside.any()


def test_compiled_geographies_are_reused_until_a_file_changes(tmp_path: Path) -> None:
    path = write_synthetic(tmp_path)
    first = compile_geography(load_agreement(path))
    assert compile_geography(load_agreement(path)) is first
    sites = tmp_path / "geo" / "sites.geojson"
    sites.write_text(sites.read_text().replace("1000", "2000"))
    again = compile_geography(load_agreement(path))
    assert again is not first
    assert again.sites.radius_m.tolist() == [2000.0]
