"""The HQ's read queries, each filtered for one viewer (``access_sql.visible_reports``).

An incident is visible when at least one of its reports is; when some are not, what it shows
is recomputed from the visible ones (``fusion.tearline``). The incident list itself reads the
read model (``store.read_model_read``); these are the reports, members, counts and changes.
Pages are ordered by ``(observed_at, pk)`` and resumed after the last row's key (keyset
pagination: page 1,000 costs what page 1 costs).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, Engine, and_, exists, func, not_, select, tuple_

from ceasefire.ledger.model import EventType
from ceasefire.store import schema
from ceasefire.store.changes import INCIDENT, STATE, changes_after, last_seq
from ceasefire.store.dialect import utc_day
from ceasefire.store.fusion import incident_states
from ceasefire.store.ledger import ledger_entries
from ceasefire.store.slices import pk_slices

Bbox = tuple[float, float, float, float]
#: Largest row id both backends hold: PostgreSQL's primary keys are ``integer`` (4 bytes;
#: SQLite's hold 8). A larger id in a path or a cursor is refused by name on both backends,
#: never sent to PostgreSQL, which would fail the query ("integer out of range").
MAX_ROW_ID = 2**31 - 1


@dataclass(frozen=True, slots=True)
class PageQuery:
    """Filters shared by the incident, violation and report lists (times epoch s, inclusive)."""

    since_s: float | None = None
    until_s: float | None = None
    bbox: Bbox | None = None
    category: str | None = None
    state: str | None = None
    rule: str | None = None
    source: str | None = None
    pks: Sequence[int] | None = None
    after: tuple[float, int] | None = None
    limit: int = 1000


def _member_visible(incident_pk: Any, visible: ColumnElement[bool]) -> Any:
    ir, r = schema.incident_reports, schema.reports
    return exists(
        select(1)
        .select_from(ir.join(r, r.c.pk == ir.c.report_pk))
        .where(ir.c.incident_pk == incident_pk, visible)
    )


def _member_hidden(incident_pk: Any, visible: ColumnElement[bool]) -> Any:
    ir, r = schema.incident_reports, schema.reports
    return exists(
        select(1)
        .select_from(ir.join(r, r.c.pk == ir.c.report_pk))
        .where(ir.c.incident_pk == incident_pk, not_(visible))
    )


def _report_filters(stmt: Any, query: PageQuery) -> Any:
    """Time, box (located position), category, pks and keyset filters on reports."""
    t = schema.reports.c
    if query.since_s is not None:
        stmt = stmt.where(t.observed_at >= query.since_s)
    if query.until_s is not None:
        stmt = stmt.where(t.observed_at <= query.until_s)
    if query.bbox is not None:
        lo_x, lo_y, hi_x, hi_y = query.bbox
        lon, lat = t.located_lon, t.located_lat
        stmt = stmt.where(and_(lon.between(lo_x, hi_x), lat.between(lo_y, hi_y)))
    if query.category is not None:
        stmt = stmt.where(t.category == query.category)
    if query.pks is not None:
        stmt = stmt.where(t.pk.in_(list(query.pks)))
    if query.after is not None:
        stmt = stmt.where(tuple_(t.observed_at, t.pk) > tuple_(*query.after))
    return stmt


#: Report columns the HQ shows (the list, the panel and the tearline read these).
_REPORT_COLUMNS = (
    "pk",
    "id",
    "source",
    "source_type",
    "reliability",
    "credibility",
    "observed_at",
    "category",
    "weapon_class",
    "count",
    "located_lon",
    "located_lat",
    "located_uncertainty_m",
    "location_form",
    "party",
    "distance_to_line_km",
    "zones_inside",
    "zones_possibly_inside",
    "classification",
    "releasable_to",
    "agreement_version_pk",
    "status",
)


def _report_columns() -> list[Any]:
    return [schema.reports.c[name] for name in _REPORT_COLUMNS]


def visible_members(
    engine: Engine, visible: ColumnElement[bool], incident_pks: Sequence[int]
) -> list[dict[str, Any]]:
    """The visible reports of incidents, with what the tearline and the panel need."""
    ir, r = schema.incident_reports, schema.reports
    stmt = (
        select(ir.c.incident_pk, *_report_columns())
        .join(ir, ir.c.report_pk == r.c.pk)
        .where(ir.c.incident_pk.in_(list(incident_pks)), visible)
        .order_by(ir.c.incident_pk, r.c.observed_at, r.c.pk)
    )
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(stmt)]


def report_page(
    engine: Engine, visible: ColumnElement[bool], query: PageQuery
) -> list[dict[str, Any]]:
    """Visible reports, one page, by observation time then pk."""
    r = schema.reports
    stmt = _report_filters(select(*_report_columns()).where(visible), query)
    if query.source is not None:
        stmt = stmt.where(r.c.source == query.source)
    stmt = stmt.order_by(r.c.observed_at, r.c.pk).limit(query.limit)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(stmt)]


def daily_report_counts(
    engine: Engine, visible: ColumnElement[bool], since_s: float, until_s: float
) -> dict[str, int]:
    """Per UTC day: the visible reports observed in ``[since_s, until_s]``. (Incidents and
    violations per day are the reader's shown ones: ``api.shown.reader_daily_counts``.)"""
    r = schema.reports
    day_r = utc_day(r.c.observed_at)
    with engine.connect() as conn:
        return {
            str(day): int(n)
            for day, n in conn.execute(
                select(day_r, func.count())
                .where(visible, r.c.observed_at.between(since_s, until_s))
                .group_by(day_r)
            )
        }


def changes_since(
    engine: Engine, after_seq: int, *, seen: Callable[[str], bool] | None = None
) -> tuple[list[int], int]:
    """Incidents fusion stated or analysts re-stated since the change-log cursor
    ``after_seq`` (still active), and the new cursor. The stream filters them per viewer; a
    state row whose marking (stored text) fails ``seen`` is no change for that viewer (a
    verdict they may not see must not show as an event).

    The cursor is the log's last ``seq`` read *before* the changes: a change committed while
    this reads is after it, and is read by the next call (``store/changes.py``).
    """
    i, s = schema.incidents, incident_states
    with engine.connect() as conn:
        upto = last_seq(conn)
        logged = changes_after(conn, [INCIDENT, STATE], after_seq, upto)
        stated = sorted({pk for kind, pk in logged if kind == INCIDENT})
        states = sorted({pk for kind, pk in logged if kind == STATE})
        changed: set[int] = set()
        for part in pk_slices(stated):
            changed.update(
                conn.execute(
                    select(i.c.pk).where(i.c.pk.in_(part), i.c.status == "active")
                ).scalars()
            )
        for part in pk_slices(states):
            for incident_pk, marking in conn.execute(
                select(s.c.incident_pk, s.c.marking).where(s.c.pk.in_(part))
            ):
                if seen is None or seen(str(marking)):
                    changed.add(int(incident_pk))
    return sorted(changed), max(upto, after_seq)


def stated_between(engine: Engine, after_seq: int, upto_seq: int) -> list[int]:
    """Incidents fusion stated with a change-log ``seq`` in ``(after_seq, upto_seq]``."""
    with engine.connect() as conn:
        logged = changes_after(conn, [INCIDENT], after_seq, upto_seq)
    return sorted({pk for _, pk in logged})


def stream_tops(engine: Engine) -> tuple[int, int]:
    """The change log's last seq and the ledger's: a stream's starting point."""
    with engine.connect() as conn:
        return last_seq(conn), _ledger_top(conn)


def _ledger_top(conn: Connection) -> int:
    e = ledger_entries
    return int(conn.execute(select(func.coalesce(func.max(e.c.seq), 0))).scalar_one())


def ledger_changes(engine: Engine, after_seq: int) -> tuple[list[int], list[dict[str, Any]], int]:
    """From the ledger after ``after_seq``: incidents superseded by fusion, guarantee alerts
    fired (their payloads), and the new cursor. The ledger is the change feed: every
    fact-changing event is on it, in commit order (its chain is appended under a lock held to
    the commit), whichever process wrote it. The cursor is its last ``seq`` read before the
    entries, as for ``changes_since``."""
    e = ledger_entries
    with engine.connect() as conn:
        top = _ledger_top(conn)
        rows = conn.execute(
            select(e.c.seq, e.c.event_type, e.c.subject_id, e.c.payload)
            .where(
                e.c.seq > after_seq,
                e.c.seq <= top,
                e.c.event_type.in_([EventType.INCIDENT_STATE.value, EventType.TRIGGER_FIRED.value]),
            )
            .order_by(e.c.seq)
        ).all()
    superseded: list[int] = []
    alerts: list[dict[str, Any]] = []
    for _, kind, subject, payload in rows:
        data = orjson.loads(payload)
        if kind == EventType.INCIDENT_STATE.value:
            superseded.extend(int(x) for x in data.get("superseded", ()))
        else:
            alerts.append({**data, "id": subject})
    return superseded, alerts, max(top, after_seq)


def visible_among(engine: Engine, visible: ColumnElement[bool], pks: Sequence[int]) -> list[int]:
    """Which of ``pks`` (incidents of any status) have a report visible through ``visible``."""
    if not pks:
        return []
    i = schema.incidents
    with engine.connect() as conn:
        return [
            int(x)
            for x in conn.execute(
                select(i.c.pk).where(i.c.pk.in_(list(pks)), _member_visible(i.c.pk, visible))
            ).scalars()
        ]


def zone_bits(engine: Engine) -> dict[int, dict[int, str]]:
    """Per agreement version pk: zone mask bit → zone id."""
    z = schema.agreement_zones
    out: dict[int, dict[int, str]] = {}
    with engine.connect() as conn:
        for version_pk, bit, zone_id in conn.execute(
            select(z.c.agreement_version_pk, z.c.bit, z.c.zone_id)
        ):
            out.setdefault(int(version_pk), {})[int(bit)] = str(zone_id)
    return out


def fully_visible_violation(visible: ColumnElement[bool]) -> Any:
    """Violations whose incident's reports are all visible (ids and attributions belong to
    the whole incident, so a tearline view does not show them)."""
    incident = schema.violations.c.incident_pk
    return and_(_member_visible(incident, visible), not_(_member_hidden(incident, visible)))


def alerts_shown(
    engine: Engine, visible: ColumnElement[bool], alerts: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The fired alerts (ledger payloads) a reader may be told of: those whose every
    evidence report (``source/id``, from the stored alert) the reader sees. An alert is
    computed from its evidence, so telling a reader it fired tells them of that evidence;
    an alert with no report evidence (none is derived otherwise today) is shown to all."""
    if not alerts:
        return []
    from ceasefire.store.guarantees import guarantee_alerts  # noqa: PLC0415 - cycle

    a, r = guarantee_alerts, schema.reports
    ids = [str(x.get("id") or "") for x in alerts]
    with engine.connect() as conn:
        evidence = {
            str(alert_id): [str(k) for k in orjson.loads(text)]
            for alert_id, text in conn.execute(
                select(a.c.id, a.c.report_ids).where(a.c.id.in_(ids))
            )
        }
        keys = {k for ks in evidence.values() for k in ks}
        hidden: set[str] = set()
        pairs = [tuple(k.split("/", 1)) for k in keys if "/" in k]
        for start in range(0, len(pairs), 500):
            part = pairs[start : start + 500]
            stmt = select(r.c.source, r.c.id).where(
                tuple_(r.c.source, r.c.id).in_(part), not_(visible)
            )
            hidden |= {f"{source}/{rid}" for source, rid in conn.execute(stmt)}
    return [x for x, i in zip(alerts, ids, strict=True) if not set(evidence.get(i, ())) & hidden]
