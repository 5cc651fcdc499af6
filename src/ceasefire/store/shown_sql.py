"""The read model's incidents by release signature: the SQL half of a reader's shown incidents.

A reader sees an incident whole or through a tearline according to its release signature
(``store.read_model``). Whole ones are shown as stored, so their times, positions and active
violations are read and grouped here in SQL; tearlines are computed per incident by the API
(``api.shown``). SQLAlchemy Core over the read-model and assessment tables; the UTC day of a
time is ``store.dialect.utc_day``, compiled per dialect.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Connection, Engine, and_, func, literal, select

from ceasefire.monitoring.columns import CATEGORIES
from ceasefire.store import schema
from ceasefire.store.dialect import utc_day
from ceasefire.store.read_model import incident_items
from ceasefire.store.slices import pk_slices

_CATEGORY_CODE = {c.value: k for k, c in enumerate(CATEGORIES)}

#: ``(incident pk, time s, lon, lat, category code, first report pk or -1, partial)``
ShownRow = tuple[int, float, float | None, float | None, int, int, bool]
#: ``(incident pk, rule id, article, severity, certain, zone id or None)``
Judgment = tuple[int, str, str, int, bool, str | None]


def _whole(signatures: Sequence[int], start_s: float, end_s: float) -> ColumnElement[bool]:
    """Read-model rows of ``signatures`` with a time in ``[start_s, end_s)`` (the time index
    covers the test)."""
    it = incident_items
    return and_(
        it.c.signature_pk.in_(sorted({int(s) for s in signatures})),
        it.c.observed_at >= start_s,
        it.c.observed_at < end_s,
    )


def _violations_of_whole(
    signatures: Sequence[int], start_s: float, end_s: float
) -> tuple[ColumnElement[bool], ...]:
    """Active violations of the incidents ``_whole`` selects: a range of the violations'
    time index (a violation carries its incident's time) and a membership test in those
    incidents (measured: 2.6x faster than joining the read model per violation)."""
    v = schema.violations
    whole = select(incident_items.c.incident_pk).where(_whole(signatures, start_s, end_s))
    return (
        v.c.active.is_(True),
        v.c.observed_at >= start_s,
        v.c.observed_at < end_s,
        v.c.incident_pk.in_(whole),
    )


def whole_shown(
    engine: Engine,
    signatures: Sequence[int],
    start_s: float,
    end_s: float,
    *,
    detail: bool = True,
    first_reports: bool = False,
) -> tuple[list[ShownRow], list[Judgment]]:
    """Incidents of ``signatures`` (those the reader sees whole) whose time lies in
    ``[start_s, end_s)``, with ``detail`` their category and active violations (else only
    time and position, from the index alone: category -1, no judgments); with
    ``first_reports`` the pk of each one's earliest report (by time, then pk), else ``-1``."""
    if not signatures:
        return [], []
    it, v = incident_items, schema.violations
    category = it.c.category if detail else literal(None)
    with engine.connect() as conn:
        items = conn.execute(
            select(it.c.incident_pk, it.c.observed_at, it.c.lon, it.c.lat, category).where(
                _whole(signatures, start_s, end_s)
            )
        ).all()
        violations = (
            conn.execute(
                select(v.c.incident_pk, v.c.rule_id, v.c.article, v.c.severity, v.c.certainty)
                .add_columns(v.c.zone_id)
                .where(*_violations_of_whole(signatures, start_s, end_s))
            ).all()
            if detail
            else []
        )
        first = _first_reports(conn, [int(r[0]) for r in items]) if first_reports else {}
    rows: list[ShownRow] = [
        (
            int(pk),
            float(t),
            None if lon is None else float(lon),
            None if lat is None else float(lat),
            _CATEGORY_CODE.get(str(code), -1),
            first.get(int(pk), -1),
            False,
        )
        for pk, t, lon, lat, code in items
    ]
    judged: list[Judgment] = [
        (int(pk), str(rule), str(article), int(sev), certainty == "certain", zone)
        for pk, rule, article, sev, certainty, zone in violations
    ]
    return rows, judged


def _first_reports(conn: Connection, incident_pks: list[int]) -> dict[int, int]:
    """Each incident's earliest report pk (by ``observed_at``, then pk)."""
    ir, r = schema.incident_reports, schema.reports
    first: dict[int, tuple[float, int]] = {}
    for part in pk_slices(incident_pks):
        for incident, pk, t in conn.execute(
            select(ir.c.incident_pk, r.c.pk, r.c.observed_at)
            .join(r, r.c.pk == ir.c.report_pk)
            .where(ir.c.incident_pk.in_(part))
        ):
            key = (float(t), int(pk))
            if int(incident) not in first or key < first[int(incident)]:
                first[int(incident)] = key
    return {incident: key[1] for incident, key in first.items()}


def whole_daily_counts(
    engine: Engine, signatures: Sequence[int], since_s: float, until_s: float
) -> dict[str, tuple[int, int]]:
    """Per UTC day: incidents of ``signatures`` (seen whole) with a time in
    ``[since_s, until_s]``, and their active violations."""
    if not signatures:
        return {}
    it, v = incident_items, schema.violations
    end_s = math.nextafter(until_s, math.inf)  # inclusive of ``until_s``
    day = utc_day(it.c.observed_at)
    day_v = utc_day(v.c.observed_at)
    out: dict[str, list[int]] = {}
    with engine.connect() as conn:
        for d, n in conn.execute(
            select(day, func.count()).where(_whole(signatures, since_s, end_s)).group_by(day)
        ):
            out.setdefault(str(d), [0, 0])[0] = int(n)
        for d, n in conn.execute(
            select(day_v, func.count())
            .where(*_violations_of_whole(signatures, since_s, end_s))
            .group_by(day_v)
        ):
            out.setdefault(str(d), [0, 0])[1] = int(n)
    return {d: (n[0], n[1]) for d, n in out.items()}


def whole_violations_by_hour(
    engine: Engine, signatures: Sequence[int], start_s: float, end_s: float
) -> list[tuple[float, int, int]]:
    """``(hour, severity, violations)`` of the incidents of ``signatures`` (seen whole) with
    a time in ``[start_s, end_s)``; ``hour`` is ``floor(time / 3600)`` (the trend folds hours
    into local days, as ``store.report_days.fetch_daily_series`` does)."""
    if not signatures:
        return []
    v = schema.violations
    hour = func.floor(v.c.observed_at / 3600.0)
    with engine.connect() as conn:
        return [
            (float(h), int(sev), int(n))
            for h, sev, n in conn.execute(
                select(hour, v.c.severity, func.count())
                .where(*_violations_of_whole(signatures, start_s, end_s))
                .group_by(hour, v.c.severity)
            )
        ]
