"""Reading reports for fusion: active reports as fusion columns, what changed since the last
fusion, and the stored incidents a window of re-fusion must replace.

SQLAlchemy Core on the store's engine, the same statements on both backends. Writing fusion's
result is ``store.fusion_sql``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Engine,
    Row,
    and_,
    func,
    or_,
    select,
)

from ceasefire.fusion.model import CATEGORIES, SOURCE_TYPES, WEAPONS, FusionBatch
from ceasefire.reports.model import LocationForm, Reliability
from ceasefire.store import schema
from ceasefire.store.slices import pk_slices

_CAT = {c.value: i for i, c in enumerate(CATEGORIES)}
_WEAPON = {w.value: i for i, w in enumerate(WEAPONS)}
_SOURCE = {s.value: i for i, s in enumerate(SOURCE_TYPES)}
_RELIABILITY = {r.value: i for i, r in enumerate(Reliability)}
_FORM = {f.value: i for i, f in enumerate(LocationForm)}


#: The report columns fusion reads, in the order ``_as_batch`` takes them.
_REPORT_COLUMNS = (
    *("pk", "source", "id", "source_type", "reliability", "credibility", "observed_at"),
    *("observed_until", "category", "weapon_class", "count", "located_lon", "located_lat"),
    *("located_uncertainty_m", "location_form", "observer_lon", "observer_lat", "bearing_deg"),
    *("bearing_error_deg", "distance_min_m", "distance_max_m", "heading_deg", "submitter"),
)


def _report_columns() -> tuple[ColumnElement[Any], ...]:
    return tuple(schema.reports.c[name] for name in _REPORT_COLUMNS)


def _is_active() -> ColumnElement[bool]:
    """An observation that counts: not amended, not withdrawn, not a withdrawal notice."""
    r = schema.reports
    return and_(r.c.status == "active", r.c.withdrawn.is_(False))


def fusion_key(source: str, report_id: str, submitter: str) -> tuple[str, str]:
    """A stored report's key for fusion: ``(source, id)`` made unique across scopes.

    Keys are unique per submitting principal, so two nations may each store ``op-1/r1``;
    fusion needs one identity per report. The scope rides on the id after ``\x1f`` (never in
    a principal code, so the split from the right is unambiguous), leaving ``source`` as
    given: fusion's notion of a source, and its canonical order for equal times, do not
    change with the scoping. ``fusion_id`` drops the suffix again (``_fusion_row``).
    """
    return source, f"{report_id}\x1f{submitter}"


def _as_batch(rows: Sequence[Row[Any]]) -> tuple[list[int], FusionBatch]:
    """Rows of ``_report_columns`` (in pk order) as fusion columns, with their pks."""
    n = len(rows)
    cols = list(zip(*rows, strict=True)) if rows else [()] * 23

    def floats(k: int) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
        return np.array(cols[k], dtype=np.float64).reshape(n)  # None -> NaN

    observed = floats(6)
    until = floats(7)
    batch = FusionBatch(
        keys=[fusion_key(*key) for key in zip(cols[1], cols[2], cols[22], strict=True)],
        amends=[None] * n,
        withdrawn=np.zeros(n, dtype=bool),
        source_type=np.array([_SOURCE[v] for v in cols[3]], np.int8).reshape(n),
        observed_at_s=observed,
        until_s=np.where(np.isnan(until), observed, np.maximum(until, observed)),
        category=np.array([_CAT[v] for v in cols[8]], np.int16).reshape(n),
        weapon_class=np.array([_WEAPON.get(v, -1) for v in cols[9]], np.int16).reshape(n),
        count=np.array(cols[10], dtype=np.int64).reshape(n),
        reliability=np.array([_RELIABILITY[v] for v in cols[4]], np.int8).reshape(n),
        credibility=np.array(cols[5], dtype=np.int8).reshape(n),
        lon=floats(11),
        lat=floats(12),
        uncertainty_m=floats(13),
        observer_lon=floats(15),
        observer_lat=floats(16),
        bearing_deg=floats(17),
        bearing_error_deg=floats(18),
        distance_min_m=floats(19),
        distance_max_m=floats(20),
        location_form=np.array([_FORM.get(v, -1) for v in cols[14]], np.int8).reshape(n),
        heading_deg=floats(21),
    )
    return [int(p) for p in cols[0]], batch


def load_active_reports(engine: Engine) -> tuple[list[int], FusionBatch]:
    """Every active observation report (not amended, not withdrawn) as fusion columns, in
    arrival order, with the report pks in the same order."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(*_report_columns()).where(_is_active()).order_by(schema.reports.c.pk)
        ).all()
    return _as_batch(rows)


def load_active_observed_in(
    engine: Engine, ranges: Sequence[tuple[float, float]]
) -> tuple[list[int], FusionBatch]:
    """The active observation reports whose ``observed_at`` lies in one of ``ranges``
    (closed, epoch s; the ``ix_reports_observed_at`` index), in arrival order."""
    if not ranges:
        return _as_batch([])
    observed = schema.reports.c.observed_at
    within = or_(*(observed.between(lo, hi) for lo, hi in ranges))
    with engine.connect() as conn:
        rows = conn.execute(
            select(*_report_columns()).where(_is_active(), within).order_by(schema.reports.c.pk)
        ).all()
    return _as_batch(rows)


def load_reports(engine: Engine, pks: Sequence[int]) -> tuple[list[int], FusionBatch]:
    """The reports ``pks`` whatever their status, in arrival order (for their time spans)."""
    pk = schema.reports.c.pk
    with engine.connect() as conn:
        rows = [
            row
            for part in pk_slices(sorted(set(pks)))
            for row in conn.execute(
                select(*_report_columns()).where(pk.in_(part)).order_by(pk)
            ).all()
        ]
    return _as_batch(rows)


def longest_report_s(engine: Engine) -> float:
    """The longest ``observed_until - observed_at`` of any stored report, seconds (0: none).

    Bounds how long before a window a report may start and still reach into it. A scan
    of ``reports`` (~30 ms per 100,000) unless an index on that expression exists.
    """
    r = schema.reports
    with engine.connect() as conn:
        longest = conn.execute(select(func.max(r.c.observed_until - r.c.observed_at))).scalar()
    return max(float(longest or 0.0), 0.0)


def active_incidents_of(engine: Engine, report_pks: Sequence[int]) -> dict[int, frozenset[int]]:
    """Active incidents holding any of ``report_pks`` → all their report pks."""
    i, ir = schema.incidents, schema.incident_reports
    members: defaultdict[int, set[int]] = defaultdict(set)
    with engine.connect() as conn:
        for part in pk_slices(sorted(set(report_pks))):
            holding = (
                select(ir.c.incident_pk)
                .join(i, i.c.pk == ir.c.incident_pk)
                .where(ir.c.report_pk.in_(part), i.c.status == "active")
            )
            for incident_pk, report_pk in conn.execute(
                select(ir.c.incident_pk, ir.c.report_pk).where(ir.c.incident_pk.in_(holding))
            ):
                members[int(incident_pk)].add(int(report_pk))
    return {k: frozenset(v) for k, v in members.items()}


def active_report_sets(engine: Engine) -> dict[frozenset[int], int]:
    """Report pks of every active incident → its pk."""
    i, ir = schema.incidents, schema.incident_reports
    members: defaultdict[int, set[int]] = defaultdict(set)
    with engine.connect() as conn:
        for incident_pk, report_pk in conn.execute(
            select(ir.c.incident_pk, ir.c.report_pk)
            .join(i, i.c.pk == ir.c.incident_pk)
            .where(i.c.status == "active")
        ):
            members[incident_pk].add(report_pk)
    return {frozenset(v): k for k, v in members.items()}
