"""The force layer's data: the paris-2026 plan's units on tour in a month, at their areas.

Checked against the solver's own plan (``force solve``'s function) rather than against figures
copied here, so the test follows the plan and not one run of it; and the places an area is
drawn at are checked by name.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from api_helpers import HQ

from ceasefire.coalition.model import DEFAULT_COUNTED
from ceasefire.coalition.service import load_coalition_scenario
from ceasefire.coalition.solver import SolveOptions, solve
from ceasefire.store.coalition import (
    SqlCoalition,
    read_pledges,
    read_registry,
    read_requirements,
)
from ceasefire.store.queries import engine_of

PARIS = Path(__file__).resolve().parents[2] / "scenarios" / "paris-2026"


def test_units_on_tour_in_the_month_at_their_areas(hq: HQ) -> None:
    headers = hq.user("fra", nation="FRA")
    empty = hq.client.get("/api/force/deployed", headers=headers).json()
    assert empty["units"] == []  # no coalition loaded yet
    load_coalition_scenario(
        SqlCoalition(engine_of(hq.state.store)), PARIS, now=datetime(2026, 1, 10, tzinfo=UTC)
    )
    with engine_of(hq.state.store).connect() as conn:
        registry = read_registry(conn)
        pledges, lines = tuple(read_pledges(conn)), tuple(read_requirements(conn))
    plan = solve(
        pledges,
        lines,
        registry.area_by_id(),
        SolveOptions(counted=DEFAULT_COUNTED, assumptions=registry.assumptions),
    )
    # the mini agreement's first version enters into force on a known day: month 2 is
    # 60-89 days after it
    start = hq.state.book().versions[0].agreement.in_force_from
    assert start is not None
    at = datetime.fromtimestamp(start.timestamp() + 75 * 86_400, UTC).isoformat()
    body = hq.client.get("/api/force/deployed", params={"at": at}, headers=headers).json()
    assert body["month"] == 2
    expected = sorted(
        (t.pledge_id, t.requirement_id, t.units)
        for t in plan.tours
        if t.start_month <= 2 < t.end_month
    )
    assert sorted((u["pledge"], u["requirement"], u["units"]) for u in body["units"]) == expected
    places = {u["area"]: u["place"] for u in body["units"] + body["gaps"]}
    assert places.get("ua-kyiv") == "Kyiv"
    assert places.get("ua-west") == "Lviv"
    assert places.get("pol-se") == "Rzeszów"
    for item in body["units"] + body["gaps"]:
        assert (item["lon"] is None) == (item["area"] in body["unplaced"])
    assert "home-nato" in body["unplaced"]  # the contributors' home: named by no town

    before = hq.client.get(
        "/api/force/deployed", params={"at": "2020-01-01T00:00:00Z"}, headers=headers
    ).json()
    assert before["month"] < 0
    assert before["units"] == []


def test_the_force_layer_needs_a_login(hq: HQ) -> None:
    assert hq.client.get("/api/force/deployed").status_code == 401
