"""One spelling of each place in the daily report: the gazetteer's, and the oblast's for the
oblast's namesake city (issue 17 found "Zaporizhia" beside "Zaporizhzhia")."""

from __future__ import annotations

import doctest

from ceasefire.monitoring.oblasts import Oblasts
from ceasefire.reporting import places
from ceasefire.reporting.places import describe_position, nearest_place, respelt
from ceasefire.reports.gazetteer import Gazetteer


def test_the_module_examples_hold() -> None:
    result = doctest.testmod(places)
    assert result.attempted > 0
    assert result.failed == 0


def test_namesake_cities_take_the_oblast_spelling_and_renamed_ones_keep_theirs() -> None:
    found = respelt()
    assert found["Zaporizhzhya"] == "Zaporizhzhia"
    assert found["Mykolayiv"] == "Mykolaiv"
    assert "Dnipro" not in found  # the city was renamed; the oblast is still Dnipropetrovsk
    assert set(found.values()) <= set(Oblasts.default().names)


def test_every_oblast_spelling_is_one_the_gazetteer_knows_for_its_city() -> None:
    gazetteer, oblasts = Gazetteer.default(), Oblasts.default()
    assert "Zaporizhia" not in oblasts.names
    assert "Odessa" not in oblasts.names
    for iso, name in zip(oblasts.iso, oblasts.names, strict=True):
        if name in respelt().values() or name in {"Zaporizhzhia", "Odesa"}:
            hit = gazetteer.lookup(f"{name}, {iso}")
            assert hit is not None, name
            assert hit.oblast_iso == iso, name
    assert int(oblasts.select(("Zaporizhia",))[0]) == oblasts.names.index("Zaporizhzhia")


def test_positions_are_named_from_the_nearest_settlement() -> None:
    assert nearest_place(35.14, 47.84) == "2 km SE of Zaporizhzhia"  # not "Zaporizhzhya"
    assert nearest_place(30.0, 30.0) is None  # nowhere near a settlement of the gazetteer
    assert describe_position(37.80, 48.02) == "Donetsk (48.020°N 37.800°E)"
    assert describe_position(None, None, "the bridge") == "the bridge"
    assert describe_position(None, None) == "—"
