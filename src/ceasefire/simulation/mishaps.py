"""How reporting goes wrong, and the final arrival order.

False reports (copies of a kind's real reports moved in time and space, with no true event),
late deliveries, amendments (the source corrects its own count or weapon class later),
withdrawals of false reports, and re-deliveries of the same ``(source, id)``. Finally rows are
put in arrival order and numbered per source: ``<source>-<n>``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ceasefire.simulation.events import EventTable
from ceasefire.simulation.lines import step
from ceasefire.simulation.observers import OBSERVER_KINDS, ObserverKind
from ceasefire.simulation.params import ReportingParams
from ceasefire.simulation.reports import ROLES, ReportTable, Role
from ceasefire.simulation.table import filled

#: Observer kinds that sometimes report what did not happen.
FALSE_PRONE = [
    ObserverKind.POST,
    ObserverKind.PATROL,
    ObserverKind.ACOUSTIC,
    ObserverKind.UAV,
    ObserverKind.OSINT,
]
#: False-prone kinds that watch around the clock (a false report may be at any hour).
ANYTIME = [ObserverKind.POST, ObserverKind.OSINT]
#: Observer kinds that correct their own reports.
AMENDING = [ObserverKind.POST, ObserverKind.PATROL, ObserverKind.CAMERA, ObserverKind.UAV]
#: Observer kinds that withdraw a false report once they notice.
WITHDRAWING = [ObserverKind.POST, ObserverKind.PATROL, ObserverKind.OSINT]


def _codes(kinds: list[ObserverKind]) -> list[int]:
    return [OBSERVER_KINDS.index(k) for k in kinds]


def false_reports(
    rng: np.random.Generator, reports: ReportTable, share: float, end_s: float
) -> ReportTable:
    """``share`` extra reports per false-prone kind, shaped like real ones but about nothing.

    Posts (on watch around the clock) and feeds get a time hours away from the real report
    they copy; patrols, UAVs and arrays only watch in their windows, so theirs stay within
    minutes of it (a misidentification then and there) and are moved in space instead.
    """
    prone = np.flatnonzero(np.isin(reports.kind, _codes(FALSE_PRONE)) & (reports.event >= 0))
    n = int(rng.binomial(prone.size, share)) if prone.size else 0
    fake = reports.take(rng.choice(prone, size=n)) if n else reports.take(prone[:0])
    anytime = np.isin(fake.kind, _codes(ANYTIME))
    shift = np.where(anytime, rng.uniform(-12.0, 12.0, n), rng.uniform(-0.15, 0.15, n)) * 3600.0
    observed = np.clip(np.round((fake.observed_s + shift) / 60.0) * 60.0, 0.0, end_s)
    moved = observed - fake.observed_s
    lon, lat = step(fake.lon, fake.lat, rng.uniform(0, 360, n), rng.uniform(3e3, 20e3, n))
    point = ~np.isnan(fake.lon)
    return fake.replace(
        event=filled(n, -1, np.int64),
        observed_s=observed,
        until_s=fake.until_s + moved,
        arrival_s=fake.arrival_s + moved,
        lon=np.where(point, np.round(lon, 6), np.nan),
        lat=np.where(point, np.round(lat, 6), np.nan),
        bearing_deg=np.mod(np.round(fake.bearing_deg + rng.uniform(60.0, 300.0, n)), 360.0),
        count=np.maximum(np.round(fake.count * rng.lognormal(0.0, 0.5, n)), 1).astype(np.int64),
        role=filled(n, ROLES.index(Role.FALSE), np.int8),
    )


def _follow_ups(
    rng: np.random.Generator,
    reports: ReportTable,
    rows: NDArray[np.intp],
    delay_h: tuple[float, float],
    role: Role,
) -> ReportTable:
    later = reports.take(rows)
    return later.replace(
        arrival_s=later.arrival_s + rng.uniform(*delay_h, rows.size) * 3600.0,
        role=filled(rows.size, ROLES.index(role), np.int8),
        amends_row=rows.astype(np.int64),
    )


def corrections(
    rng: np.random.Generator, reports: ReportTable, events: EventTable, params: ReportingParams
) -> ReportTable:
    """Late deliveries, then amendments of true reports and withdrawals of false ones."""
    late = rng.random(len(reports)) < params.late_share
    reports = reports.replace(
        arrival_s=reports.arrival_s
        + late * rng.uniform(*params.late_delay_h, len(reports)) * 3600.0
    )
    original = ROLES.index(Role.ORIGINAL)
    can_amend = np.isin(reports.kind, _codes(AMENDING)) & (reports.role == original)
    rows = np.flatnonzero(can_amend & (rng.random(len(reports)) < params.amend_share))
    amended = _follow_ups(rng, reports, rows, params.amend_delay_h, Role.AMENDMENT)
    truth = reports.event[rows]
    amended = amended.replace(
        count=events.count[truth],
        weapon=np.where(amended.weapon >= 0, events.weapon[truth], -1).astype(np.int16),
    )
    can_withdraw = np.isin(reports.kind, _codes(WITHDRAWING)) & (
        reports.role == ROLES.index(Role.FALSE)
    )
    rows = np.flatnonzero(can_withdraw & (rng.random(len(reports)) < params.withdraw_false_share))
    withdrawn = _follow_ups(rng, reports, rows, params.amend_delay_h, Role.WITHDRAWAL)
    withdrawn = withdrawn.replace(withdrawn=np.ones(rows.size, dtype=bool))
    return ReportTable.concat([reports, amended, withdrawn])


def redeliveries(rng: np.random.Generator, reports: ReportTable, share: float) -> ReportTable:
    """The same report sent again (same source and id, same content), minutes to hours later."""
    rows = np.flatnonzero(rng.random(len(reports)) < share)
    again = reports.take(rows)
    again = again.replace(
        arrival_s=again.arrival_s + rng.uniform(0.1, 6.0, rows.size) * 3600.0,
        role=filled(rows.size, ROLES.index(Role.REDELIVERY), np.int8),
        copy_of=rows.astype(np.int64),
    )
    return ReportTable.concat([reports, again])


@dataclass(frozen=True)
class Ordered:
    """Reports in arrival order; ``seq`` numbers each source's reports (1, 2, ...)."""

    reports: ReportTable
    seq: NDArray[np.int64]


def in_arrival_order(reports: ReportTable) -> Ordered:
    """Sort by arrival (ties: source, observation time, row) and number reports per source.

    ``amends_row`` and ``copy_of`` are remapped to the new row numbers; a re-delivery takes
    the number of the report it repeats (an amendment or withdrawal always arrives after the
    report it names, so that one was numbered earlier in the source's sequence).
    """
    n = len(reports)
    # An amendment must not arrive before what it amends, nor a copy before its original.
    ref = np.where(reports.amends_row >= 0, reports.amends_row, reports.copy_of)
    has_ref = ref >= 0
    fixed = reports.arrival_s.copy()
    fixed[has_ref] = np.maximum(fixed[has_ref], fixed[ref[has_ref]] + 60.0)
    order = np.lexsort((np.arange(n), reports.observed_s, reports.source, fixed))
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.arange(n)
    out = reports.take(order).replace(arrival_s=fixed[order])
    out = out.replace(
        amends_row=np.where(out.amends_row >= 0, inverse[np.maximum(out.amends_row, 0)], -1),
        copy_of=np.where(out.copy_of >= 0, inverse[np.maximum(out.copy_of, 0)], -1),
    )
    fresh = out.copy_of < 0
    seq = np.zeros(n, dtype=np.int64)
    idx = np.flatnonzero(fresh)
    by_source = idx[np.argsort(out.source[idx], kind="stable")]
    src = out.source[by_source]
    starts = np.flatnonzero(np.r_[True, src[1:] != src[:-1]])
    run_start = np.repeat(starts, np.diff(np.r_[starts, by_source.size]))
    seq[by_source] = np.arange(by_source.size) - run_start + 1
    seq[~fresh] = seq[out.copy_of[~fresh]]
    return Ordered(out, seq)
