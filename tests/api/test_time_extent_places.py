"""The COP's anchors: the time span a reader is shown, and the place names of the map.

``/api/time/extent`` must tell each reader the times of what *they* are shown: an incident
whose every report is hidden does not move it, and one seen through a tearline counts at its
tearline's time, exactly as ``/api/incidents`` lists it.
"""

from __future__ import annotations

from typing import Any

from api_helpers import HQ, report


def _items(hq: HQ, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = hq.client.get("/api/incidents", params={"limit": 5000}, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_extent_is_what_each_reader_is_shown(hq: HQ) -> None:
    fra = hq.user("fra", nation="FRA")
    usa = hq.user("usa", nation="USA")
    assert hq.client.get("/api/time/extent", headers=fra).json() == {"first": None, "last": None}
    hq.ingest(
        [
            # day 1, seen by all
            report("early", minute=5, observed_at="2026-03-09T08:05:00Z", lon=37.40),
            # day 2, 10:00: seen by all
            report("all", minute=0, lon=37.30),
            # day 2, 10:40, far away: the USA only (France must not learn its time)
            report("usa-only", minute=40, lon=37.10, lat=48.4, releasable_to=["USA"]),
            # one incident, two reports: France sees its 10:20 report only (a tearline),
            # the USA the whole incident (its 10:22 report too)
            report("torn-a", minute=20, lon=37.45, source="OP-2"),
            report("torn-b", minute=22, lon=37.45, source="OP-3", releasable_to=["USA"]),
        ]
    )
    fra_extent = hq.client.get("/api/time/extent", headers=fra).json()
    usa_extent = hq.client.get("/api/time/extent", headers=usa).json()
    for headers, extent in ((fra, fra_extent), (usa, usa_extent)):
        times = sorted(item["observed_at"] for item in _items(hq, headers))
        assert extent == {"first": times[0], "last": times[-1]}
    assert [item["partial"] for item in _items(hq, fra)].count(True) == 1  # the tearline
    assert fra_extent["first"] == "2026-03-09T08:05:00Z"
    assert fra_extent["last"] == "2026-03-10T10:20:00Z"  # not the USA-only 10:40
    assert usa_extent["last"] == "2026-03-10T10:40:00Z"


def test_extent_and_places_need_a_login(hq: HQ) -> None:
    assert hq.client.get("/api/time/extent").status_code == 401
    assert hq.client.get("/api/geo/places").status_code == 401


def test_places_are_the_theatres_settlements_largest_first(hq: HQ) -> None:
    headers = hq.user("fra", nation="FRA")
    response = hq.client.get("/api/geo/places", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    features = response.json()["features"]
    names = [f["properties"]["name"] for f in features]
    populations = [f["properties"]["population"] for f in features]
    assert names[:2] == ["Moscow", "Kyiv"]  # the two largest of lon 20-42, lat 43-57
    assert populations == sorted(populations, reverse=True)
    assert min(populations) >= 5_000
    for needed in ("Kharkiv", "Zaporizhzhya", "Donetsk", "Kherson", "Enerhodar"):
        assert needed in names
    for feature in features:
        lon, lat = feature["geometry"]["coordinates"]
        assert 20 <= lon <= 42
        assert 43 <= lat <= 57
    assert "Paris" not in names  # coalition capitals are outside the theatre
