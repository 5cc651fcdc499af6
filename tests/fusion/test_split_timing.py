"""Time in the split's ranking (``FusionParams.time_weight``, issue 18): in a dense burst two
groups are often equally close in space, and the report of the second shell belongs to the
group of its minute. Weighted 1 (as before), a few hundred metres of space outweigh two
minutes of time; weighted as now, the report joins the group it is simultaneous with."""

from __future__ import annotations

from fusion_builders import LAT, LON, at, batch_of, make_report

from ceasefire.fusion.engine import FusionEngine
from ceasefire.fusion.model import FusionParams
from ceasefire.reports.model import ObservationReport

#: metres east of (LON, LAT) per degree of longitude at 48.1 N
M_PER_DEG = 74_300.0


def burst() -> list[ObservationReport]:
    """Two shells 600 m apart, two minutes apart: posts 1-2 report the first, posts 1 and 3
    the second (post 1 twice: the component must be split), and post 4 reports the second
    at the second's minute but only 50 m from the first."""

    def point(rid: str, source: str, minute: float, east_m: float) -> ObservationReport:
        return make_report(
            id=rid,
            source=source,
            observed_at=at(minute),
            lon=LON + east_m / M_PER_DEG,
            lat=LAT,
            uncertainty_m=1000.0,
        )

    return [
        point("a1", "post-1", 0, 0.0),
        point("a2", "post-2", 0, 0.0),
        point("b1", "post-1", 2, 600.0),
        point("b2", "post-3", 2, 600.0),
        point("x", "post-4", 2, 50.0),
    ]


def members(params: FusionParams) -> dict[str, set[str]]:
    """Report ids of the incident holding each report."""
    engine = FusionEngine(params)
    engine.add(batch_of(burst()))
    incident_of = engine.assignment()
    by_incident: dict[str, set[str]] = {}
    for (_, rid), incident in incident_of.items():
        by_incident.setdefault(incident, set()).add(rid)
    return {rid: by_incident[i] for (_, rid), i in incident_of.items()}


def test_space_alone_puts_the_report_with_the_nearer_group() -> None:
    assert members(FusionParams(time_weight=1.0))["x"] == {"a1", "a2", "x"}


def test_weighted_time_puts_it_with_the_group_of_its_minute() -> None:
    got = members(FusionParams())
    assert got["x"] == {"b1", "b2", "x"}
    assert got["a1"] == {"a1", "a2"}
