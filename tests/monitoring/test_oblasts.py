"""Oblast of a point against the bundled geoBoundaries ADM1 units."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from ceasefire.errors import InputError
from ceasefire.monitoring.oblasts import Oblasts


@pytest.fixture(scope="module")
def oblasts() -> Oblasts:
    return Oblasts.default()


@pytest.mark.parametrize(
    ("lon", "lat", "name"),
    [
        (37.80, 48.02, "Donetsk"),  # Donetsk city
        (39.31, 48.57, "Luhansk"),  # Luhansk city
        (36.23, 49.99, "Kharkiv"),  # Kharkiv
        (35.14, 47.84, "Zaporizhzhia"),  # geoBoundaries: Zaporizhia
        (30.52, 50.45, "Kyiv city"),  # Maidan Nezalezhnosti
        (30.73, 46.48, "Odesa"),
        (34.10, 44.95, "Autonomous Republic of Crimea"),  # Simferopol
    ],
)
def test_known_cities_fall_in_their_oblast(
    oblasts: Oblasts, lon: float, lat: float, name: str
) -> None:
    code = int(oblasts.assign(np.asarray([lon]), np.asarray([lat]))[0])
    assert oblasts.names[code] == name


def test_points_outside_ukraine_or_unlocated_get_minus_one(oblasts: Oblasts) -> None:
    lon = np.asarray([37.62, np.nan, 2.35, 40.2])  # Moscow, none, Paris, Rostov region
    lat = np.asarray([55.75, 48.0, 48.86, 47.5])
    assert oblasts.assign(lon, lat).tolist() == [-1, -1, -1, -1]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(22.0, 40.5), st.floats(44.3, 52.4)), min_size=1, max_size=50))
def test_vectorised_assignment_equals_one_point_at_a_time(
    points: list[tuple[float, float]],
) -> None:
    oblasts = Oblasts.default()
    lon = np.asarray([p[0] for p in points])
    lat = np.asarray([p[1] for p in points])
    batch = oblasts.assign(lon, lat)
    for k, (x, y) in enumerate(points):
        single = [i for i, g in enumerate(oblasts.geometries) if g.contains_properly(_pt(x, y))]
        if single:  # points exactly on a shared edge may go either way
            assert int(batch[k]) == single[0]
        else:
            assert int(batch[k]) == -1 or oblasts.geometries[int(batch[k])].touches(_pt(x, y))


def _pt(x: float, y: float) -> shapely.Point:
    return shapely.Point(x, y)


def test_region_selection_by_iso_code_or_name(oblasts: Oblasts) -> None:
    codes = oblasts.select(("UA-14", "luhansk oblast"))
    assert sorted(oblasts.names[int(c)] for c in codes) == ["Donetsk", "Luhansk"]
    with pytest.raises(InputError) as err:
        oblasts.select(("Donbas",))
    assert err.value.field == "region"
