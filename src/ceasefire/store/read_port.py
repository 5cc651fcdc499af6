"""``ReadModelPort`` and ``StreamPort`` in SQLAlchemy Core, on either backend.

The queries themselves live in ``hq_queries``, ``shown_sql``, ``read_model_read``,
``coverage_sql`` and ``report_days``; these classes bind them to one engine so that the HQ,
the CoT gateway and the exports hold ports instead of an engine (issue 14). The few
statements the edges used to write themselves (the violation list, the feed's new
violations, incident places) are here.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select, tuple_

from ceasefire.access.model import Viewer
from ceasefire.access.releasability import Pairs
from ceasefire.store import (
    coverage_sql,
    hq_queries,
    read_model_read,
    report_days,
    schema,
    shown_sql,
)
from ceasefire.store.access_sql import visible_reports
from ceasefire.store.dialect import statement_reads
from ceasefire.store.guarantees import read_alerts
from ceasefire.store.ledger_marking import incident_markings
from ceasefire.store.ports import ReportFilter
from ceasefire.store.read_model_write import complete_tearlines

if TYPE_CHECKING:
    from ceasefire.guarantees.alerts import Alert
    from ceasefire.store.coverage_sql import FloatColumns
    from ceasefire.store.hq_queries import PageQuery
    from ceasefire.store.read_model_read import StoredPage
    from ceasefire.store.read_model_write import TearlineJudge
    from ceasefire.store.shown_sql import Judgment, ShownRow

#: Incident pks per ``IN`` list (bounded statements on both backends).
_CHUNK = 500


class SqlReadModel:
    """The HQ's reads of one database (``store.ports.ReadModelPort``)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # the hot reads (incident pages, new signatures): no transaction on PostgreSQL
        self._reads = statement_reads(engine)

    def visible_filter(self, viewer: Viewer | None, labels: Iterable[str]) -> ReportFilter:
        """The condition on reports ``viewer`` may see, given the stored ``labels``."""
        return visible_reports(viewer, labels)

    def new_signatures(self, known: Collection[int]) -> dict[int, Pairs]:
        """Release signatures stored beyond ``known`` (pk → pairs)."""
        return read_model_read.new_signatures(self._reads, known)

    def agreement_version_pks(self) -> tuple[int, ...]:
        """The stored agreement versions' pks, in order (cheap: no geography read)."""
        v = schema.agreement_versions
        with self._engine.connect() as conn:
            return tuple(conn.execute(select(v.c.pk).order_by(v.c.pk)).scalars())

    def item_page(
        self,
        query: PageQuery,
        *,
        whole_signatures: Sequence[int],
        partial_masks: Mapping[int, int],
        known_count: int | None,
    ) -> StoredPage:
        """A page of the read model's incidents for one reader's masks."""
        return read_model_read.item_page(
            self._reads,
            query,
            whole_signatures=whole_signatures,
            partial_masks=partial_masks,
            known_count=known_count,
        )

    def whole_shown(
        self,
        signatures: Sequence[int],
        start_s: float,
        end_s: float,
        *,
        detail: bool = True,
        first_reports: bool = False,
    ) -> tuple[list[ShownRow], list[Judgment]]:
        """Incidents of wholly visible signatures in a window, and their judgments."""
        return shown_sql.whole_shown(
            self._engine, signatures, start_s, end_s, detail=detail, first_reports=first_reports
        )

    def whole_daily_counts(
        self, signatures: Sequence[int], since_s: float, until_s: float
    ) -> dict[str, tuple[int, int]]:
        """Incidents and violations per day of wholly visible signatures."""
        return shown_sql.whole_daily_counts(self._engine, signatures, since_s, until_s)

    def whole_violations_by_hour(
        self, signatures: Sequence[int], start_s: float, end_s: float
    ) -> list[tuple[float, int, int]]:
        """Violations per hour of wholly visible signatures."""
        return shown_sql.whole_violations_by_hour(self._engine, signatures, start_s, end_s)

    def visible_members(
        self, visible: ReportFilter, incident_pks: Sequence[int]
    ) -> list[dict[str, Any]]:
        """The visible member reports of incidents."""
        return hq_queries.visible_members(self._engine, visible, incident_pks)

    def report_page(self, visible: ReportFilter, query: PageQuery) -> list[dict[str, Any]]:
        """A page of visible reports."""
        return hq_queries.report_page(self._engine, visible, query)

    def daily_report_counts(
        self, visible: ReportFilter, since_s: float, until_s: float
    ) -> dict[str, int]:
        """Visible reports per day."""
        return hq_queries.daily_report_counts(self._engine, visible, since_s, until_s)

    def zone_bits(self) -> dict[int, dict[int, str]]:
        """Zone names per agreement version pk and bit."""
        return hq_queries.zone_bits(self._engine)

    def violation_page(self, visible: ReportFilter, query: PageQuery) -> list[dict[str, Any]]:
        """Active violations of wholly visible incidents, by (observed_at, pk), after
        ``query.after``, within ``since_s``/``until_s`` and ``rule``."""
        v = schema.violations
        stmt = select(v).where(v.c.active.is_(True), hq_queries.fully_visible_violation(visible))
        if query.since_s is not None:
            stmt = stmt.where(v.c.observed_at >= query.since_s)
        if query.until_s is not None:
            stmt = stmt.where(v.c.observed_at <= query.until_s)
        if query.rule is not None:
            stmt = stmt.where(v.c.rule_id == query.rule)
        if query.after is not None:
            stmt = stmt.where(tuple_(v.c.observed_at, v.c.pk) > tuple_(*query.after))
        stmt = stmt.order_by(v.c.observed_at, v.c.pk).limit(query.limit)
        with self._engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def violation_observed_at(self, pk: int) -> float:
        """The stored time of violation ``pk`` (the list's cursor is on it, exactly)."""
        v = schema.violations
        with self._engine.connect() as conn:
            return float(conn.execute(select(v.c.observed_at).where(v.c.pk == pk)).scalar_one())

    def violation_visible(self, visible: ReportFilter, pk: int) -> bool:
        """Whether the violation list shows violation ``pk`` under ``visible``."""
        v = schema.violations
        stmt = select(v.c.pk).where(
            v.c.pk == pk, v.c.active.is_(True), hq_queries.fully_visible_violation(visible)
        )
        with self._engine.connect() as conn:
            return conn.execute(stmt).first() is not None

    def coverage_rows(
        self,
        start_s: float,
        end_s: float,
        *,
        visible_reports: ReportFilter | None = None,
        with_incidents: bool = True,
    ) -> dict[str, FloatColumns]:
        """Observation coverage columns per source in a window."""
        return coverage_sql.coverage_rows(
            self._engine,
            start_s,
            end_s,
            visible_reports=visible_reports,
            with_incidents=with_incidents,
        )

    def add_coverage(self, objects: Iterable[Mapping[str, object]], declared_at: str) -> int:
        """Declare observers' windows; how many were stored."""
        return coverage_sql.add_declarations(self._engine, objects, declared_at)

    def complete_tearlines(self, judge: TearlineJudge) -> int:
        """Judge the read model's tearlines left unjudged (after an upgrade rebuilt it)."""
        return complete_tearlines(self._engine, judge)

    def busiest_day(self, *, since: datetime | None = None) -> date | None:
        """The day with most reports (mission time zone), from ``since``."""
        with self._engine.connect() as conn:
            return report_days.busiest_day(conn, since=since)


class SqlStream:
    """The live stream's and the CoT feed's reads of one database (``StreamPort``)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def tops(self) -> tuple[int, int]:
        """The change log's and the ledger's last seq now (both in commit order)."""
        return hq_queries.stream_tops(self._engine)

    def changes_since(
        self, after_seq: int, *, seen: Callable[[str], bool] | None = None
    ) -> tuple[list[int], int]:
        """Incidents stated or re-stated after the change-log cursor, and the new cursor."""
        return hq_queries.changes_since(self._engine, after_seq, seen=seen)

    def ledger_changes(self, after_seq: int) -> tuple[list[int], list[dict[str, Any]], int]:
        """Superseded incidents and fired alerts chained after ``after_seq``, and the seq."""
        return hq_queries.ledger_changes(self._engine, after_seq)

    def visible_among(self, visible: ReportFilter, pks: Sequence[int]) -> list[int]:
        """Those of ``pks`` with a visible report."""
        return hq_queries.visible_among(self._engine, visible, pks)

    def alerts_shown(
        self, visible: ReportFilter, alerts: Sequence[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Those alerts whose evidence is visible."""
        return hq_queries.alerts_shown(self._engine, visible, alerts)

    def alerts(self) -> list[Alert]:
        """Every stored alert, in firing order."""
        return read_alerts(self._engine)

    def stated_violations(
        self, visible: ReportFilter, *, after_seq: int, until_seq: int
    ) -> list[dict[str, Any]]:
        """Active, wholly visible violations of the incidents fusion stated between the two
        change-log seqs, by pk (fusion writes an incident's violations with it)."""
        v = schema.violations
        rows: list[dict[str, Any]] = []
        stated = hq_queries.stated_between(self._engine, after_seq, until_seq)
        with self._engine.connect() as conn:
            for start in range(0, len(stated), _CHUNK):
                stmt = (
                    select(v)
                    .where(
                        v.c.incident_pk.in_(stated[start : start + _CHUNK]),
                        v.c.active.is_(True),
                        hq_queries.fully_visible_violation(visible),
                    )
                    .order_by(v.c.pk)
                )
                rows += [dict(r._mapping) for r in conn.execute(stmt)]
        return rows

    def incident_markings(self, incident_pks: Sequence[int]) -> dict[int, Pairs]:
        """Each incident's reports' pairs."""
        with self._engine.connect() as conn:
            return incident_markings(conn, incident_pks)

    def incident_places(self, incident_pks: Collection[int]) -> dict[int, tuple[float, float]]:
        """Stored positions of incidents of any status (an alert's evidence may since have
        been re-fused); unplaced ones are left out."""
        i = schema.incidents
        out: dict[int, tuple[float, float]] = {}
        ordered = sorted(incident_pks)
        with self._engine.connect() as conn:
            for start in range(0, len(ordered), _CHUNK):
                stmt = select(i.c.pk, i.c.lon, i.c.lat).where(
                    i.c.pk.in_(ordered[start : start + _CHUNK]), i.c.lon.is_not(None)
                )
                out.update({int(pk): (float(x), float(y)) for pk, x, y in conn.execute(stmt)})
        return out
