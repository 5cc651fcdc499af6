"""The real UCDP GED events of 2015-2018 placed against the minsk-2015 line of contact.

Each checked event is a named settlement; its distance to the 2015-2022 line is measured
independently with ``pyproj.Geod`` on the densified line (``geodesic_distance_km``) and must
agree with placement to 0.5 % or 50 m. The rounded figures in the table are those
measurements (km), kept so a change of data shows up as a failure here; the party side is
what the 2015-2022 map says (e.g. Horlivka and Luhansk were held by the armed formations).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from test_geo_accuracy import dense_line, geodesic_distance_km

from ceasefire.geo import Geography, place_points
from ceasefire.scenarios import scenario_dir

EVENTS = scenario_dir("minsk-2015") / "events" / "ucdp_ged_2015-2018.csv"

#: UCDP event id -> (settlement, party side, distance to the line in km, measured with Geod)
CHECKED = {
    198887: ("Horlivka", "RBAF", 11.47),
    198949: ("Luhansk", "RBAF", 12.99),
    198904: ("Mariupol", "UKR", 20.75),
    203377: ("Kramatorsk", "UKR", 45.37),
    423919: ("Svatove (Svatovo)", "UKR", 82.62),
    203356: ("Avdiivka", "UKR", 5.46),
    198682: ("Stanytsia Luhanska", "UKR", 4.12),
    424248: ("Shyrokyne", "UKR", 3.14),
    203678: ("Marinka", "UKR", 1.59),
    236757: ("Zolote", "UKR", 0.87),
}


def read_events(path: Path) -> dict[str, np.ndarray]:
    """id, lon, lat, date columns of the UCDP file."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {
        "id": np.array([int(r["id"]) for r in rows]),
        "lon": np.array([float(r["longitude"]) for r in rows]),
        "lat": np.array([float(r["latitude"]) for r in rows]),
        "year": np.array([int(r["date_start"][:4]) for r in rows]),
    }


def test_all_2015_2018_events_are_placed(minsk_geo: Geography) -> None:
    events = read_events(EVENTS)
    assert len(events["id"]) > 1000
    assert set(events["year"]) == {2015, 2016, 2017, 2018}
    p = place_points(minsk_geo, events["lon"], events["lat"], np.zeros(len(events["id"])))
    assert np.isfinite(p.distance_to_line_km).all()
    # a war along the line: most events lie within 30 km of it, on both sides
    assert np.median(p.distance_to_line_km) < 30
    sides = {minsk_geo.party_ids[i]: int((p.party_index == i).sum()) for i in (0, 1)}
    assert sides["UKR"] > 100
    assert sides["RBAF"] > 100


@pytest.mark.parametrize("event_id", sorted(CHECKED))
def test_event_distance_measured_independently(minsk_geo: Geography, event_id: int) -> None:
    settlement, party, km = CHECKED[event_id]
    events = read_events(EVENTS)
    i = int(np.flatnonzero(events["id"] == event_id)[0])
    lon, lat = events["lon"][i : i + 1], events["lat"][i : i + 1]
    p = place_points(minsk_geo, lon, lat, np.zeros(1))
    measured = geodesic_distance_km(dense_line(minsk_geo), lon, lat)[0]
    assert p.distance_to_line_km[0] == pytest.approx(measured, rel=0.005, abs=0.05), settlement
    assert measured == pytest.approx(km, abs=0.02), settlement
    assert minsk_geo.party_ids[p.party_index[0]] == party, settlement
    security = minsk_geo.zone_ids.index("security-zone")
    assert bool(p.inside[0, security]) == (km < 15), settlement
