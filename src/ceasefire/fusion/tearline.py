"""What a reader sees of an incident some of whose reports are not releasable to them.

The tearline is recomputed from the visible reports only, so nothing derived from a hidden
report reaches the reader: position (information-weighted mean of the visible positions, in a
local metric frame), counts (low / median / high of the visible reports, never summed, as
fusion does), sources and confidence (``fusion.grading`` over the visible reports), the
automatic state (``reported``/``corroborated`` from the visible independent witnesses), unless
an analyst's verdict — verified, disputed, rejected — is marked with reports all visible here
(``shown_verdict``: a verdict on the whole incident is never shown under a tearline, since
its author saw reports this reader may not), category and weapon class (of the best-graded
visible report), and the rules broken (judged again by the agreement at the tearline
position). Attributions and violation ids belong to the whole incident and are not shown
under a tearline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ceasefire.access.releasability import Pairs
from ceasefire.fusion.grading import grade_groups
from ceasefire.fusion.model import CATEGORIES, SOURCE_TYPES, WEAPONS
from ceasefire.fusion.verification import VerificationState, automatic_state
from ceasefire.reports.columns import ReportColumns

_ANALYST_STATES = frozenset(
    {VerificationState.VERIFIED, VerificationState.DISPUTED, VerificationState.REJECTED}
)
_RELIABILITY = "ABCDEF"
_M_PER_DEG = 111_320.0
#: Radius assumed for a visible report stored without an uncertainty, m.
_DEFAULT_UNCERTAINTY_M = 1_000.0


@dataclass(frozen=True, slots=True)
class Tearline:
    """An incident as computed from the visible reports only."""

    observed_at_s: float
    lon: float | None
    lat: float | None
    uncertainty_m: float | None
    category: str
    weapon_class: str | None
    count_low: int
    count_best: int
    count_high: int
    sources: int
    independent_sources: int
    confidence: float
    state: str


def shown_verdict(verdicts: Sequence[tuple[str, Pairs]], seen: Pairs) -> str | None:
    """The latest analyst verdict a tearline shows, or None (the automatic state then).

    ``verdicts``: the incident's analyst states with their markings, in recording order;
    ``seen``: the pairs of the reports the tearline shows. A verdict counts when every pair of
    its marking is seen (its author saw nothing this reader may not see).

    >>> fra, ops = ("SECRET", "FRA"), ("UNCLASSIFIED", "")
    >>> shown_verdict([("rejected", (fra, ops)), ("disputed", (ops,))], (ops,))
    'disputed'
    >>> shown_verdict([("rejected", (fra, ops))], (ops,)) is None
    True
    """
    visible = set(seen)
    found = None
    for state, marking in verdicts:
        if state in _ANALYST_STATES and marking and visible.issuperset(marking):
            found = state
    return found


def tearline(members: Sequence[dict[str, Any]], verdict: str | None) -> Tearline:
    """The incident seen through ``members`` (its visible reports; at least one), with the
    analyst ``verdict`` shown on this tearline (``shown_verdict``; None: none)."""
    if not members:
        raise ValueError("a tearline needs at least one visible report")
    src_codes = {s: k for k, s in enumerate(sorted({str(m["source"]) for m in members}))}
    source = np.array([src_codes[str(m["source"])] for m in members], dtype=np.int64)
    source_type = np.array([SOURCE_TYPES.index(m["source_type"]) for m in members], np.int16)
    reliability = np.array([_RELIABILITY.index(m["reliability"]) for m in members], np.int16)
    credibility = np.array([int(m["credibility"]) for m in members], dtype=np.int16)
    group = np.zeros(len(members), dtype=np.int64)
    confidence, witnesses = grade_groups(
        group,
        1,
        source=source,
        source_type=source_type,
        reliability=reliability,
        credibility=credibility,
    )
    counts = sorted(int(m["count"]) for m in members)
    best = min(members, key=lambda m: (m["reliability"], -int(m["credibility"])))
    weapons = [m["weapon_class"] for m in sorted(members, key=lambda m: m["reliability"])]
    stated = [w for w in weapons if w and w != "unknown"]
    lon, lat, radius = _weighted_position(members)
    n_witnesses = int(witnesses[0])
    state = automatic_state(n_witnesses).value
    if verdict in _ANALYST_STATES:
        state = str(verdict)
    return Tearline(
        observed_at_s=min(float(m["observed_at"]) for m in members),
        lon=lon,
        lat=lat,
        uncertainty_m=radius,
        category=str(best["category"]),
        weapon_class=stated[0] if stated else best["weapon_class"],
        count_low=counts[0],
        count_best=counts[(len(counts) - 1) // 2],
        count_high=counts[-1],
        sources=len(src_codes),
        independent_sources=n_witnesses,
        confidence=float(confidence[0]),
        state=state,
    )


def _weighted_position(
    members: Sequence[dict[str, Any]],
) -> tuple[float | None, float | None, float | None]:
    located = [m for m in members if m["located_lon"] is not None and m["located_lat"] is not None]
    if not located:
        return None, None, None
    lon = np.array([float(m["located_lon"]) for m in located])
    lat = np.array([float(m["located_lat"]) for m in located])
    sigma = np.array([float(m["located_uncertainty_m"] or _DEFAULT_UNCERTAINTY_M) for m in located])
    weight = 1.0 / np.maximum(sigma, 1.0) ** 2
    lat0 = float(np.average(lat, weights=weight))
    scale = float(np.cos(np.radians(lat0)))
    x = float(np.average(lon * scale, weights=weight)) / scale
    return x, lat0, float(1.0 / np.sqrt(weight.sum()))


def tearline_columns(lines: Sequence[Tearline]) -> ReportColumns:
    """Tearlines as the columns ``pipeline.fuse.judge_incidents`` reads (for their rules)."""
    n = len(lines)
    cat = {c.value: i for i, c in enumerate(CATEGORIES)}
    weapon = {w.value: i for i, w in enumerate(WEAPONS)}
    return ReportColumns(
        lon=np.array([t.lon if t.lon is not None else np.nan for t in lines]).reshape(n),
        lat=np.array([t.lat if t.lat is not None else np.nan for t in lines]).reshape(n),
        uncertainty_m=np.array(
            [t.uncertainty_m if t.uncertainty_m is not None else np.nan for t in lines]
        ).reshape(n),
        location_form=np.zeros(n, dtype=np.int8),
        category=np.array([cat[t.category] for t in lines], dtype=np.int16).reshape(n),
        weapon_class=np.array(
            [weapon[t.weapon_class] if t.weapon_class else -1 for t in lines], np.int16
        ).reshape(n),
        observed_at_s=np.array([t.observed_at_s for t in lines], np.float64).reshape(n),
        count=np.array([t.count_best for t in lines], dtype=np.int64).reshape(n),
    )
