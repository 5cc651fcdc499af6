"""The engine fed in chunks, with amendments and withdrawals, equals one batch of what is left.

Fusion is a function of the set of active reports: however the history arrives, the incidents
must be those of the final active reports fused at once — the property windowed re-fusion and
the chunked ingest both rest on.
"""

from __future__ import annotations

from fusion_builders import LAT, LON, at, batch_of, make_report
from hypothesis import given, settings
from hypothesis import strategies as st

from ceasefire.fusion.engine import FusionEngine
from ceasefire.reports.model import Category, ObservationReport, SourceType

SOURCES = (
    ("post-1", SourceType.OBSERVATION_POST),
    ("post-2", SourceType.OBSERVATION_POST),
    ("uav-1", SourceType.UAV),
    ("osint-1", SourceType.OSINT),
)


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[ObservationReport], int]:
    """Reports in arrival order (an amendment or withdrawal after what it names), a chunk."""
    reports: list[ObservationReport] = []
    for k in range(draw(st.integers(2, 18))):
        name, source_type = draw(st.sampled_from(SOURCES))
        earlier = [r.id for r in reports if r.source == name and not r.withdrawn]
        kind = draw(st.sampled_from(["new"] * 3 + ["amend", "withdraw"])) if earlier else "new"
        reports.append(
            make_report(
                id=f"{name}-{k}",
                source=name,
                source_type=source_type,
                observed_at=at(draw(st.sampled_from([0, 2, 5, 40, 300]))),
                category=draw(st.sampled_from([Category.EXPLOSION, Category.MUZZLE_FLASH])),
                lon=LON + 0.004 * draw(st.integers(-2, 2)),
                lat=LAT + 0.004 * draw(st.integers(-2, 2)),
                uncertainty_m=draw(st.sampled_from([50.0, 300.0, 1500.0])),
                count=draw(st.integers(1, 6)),
                amends=draw(st.sampled_from(earlier)) if kind != "new" else None,
                withdrawn=kind == "withdraw",
            )
        )
    return reports, draw(st.integers(1, len(reports)))


def _final(reports: list[ObservationReport]) -> list[ObservationReport]:
    """The reports still active at the end: no withdrawal notice, nothing amended since."""
    replaced = {(r.source, r.amends) for r in reports if r.amends is not None}
    return [r for r in reports if not r.withdrawn and (r.source, r.id) not in replaced]


@settings(max_examples=60, deadline=None)
@given(histories())
def test_chunks_with_amendments_equal_one_batch_of_the_final_reports(
    history: tuple[list[ObservationReport], int],
) -> None:
    reports, chunk = history
    stepwise = FusionEngine()
    for start in range(0, len(reports), chunk):
        stepwise.add(batch_of(reports[start : start + chunk]))
    once = FusionEngine()
    once.add(batch_of(_final(reports)))
    assert stepwise.incidents() == once.incidents()
