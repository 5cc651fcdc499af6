"""Guarantees tables (SQLAlchemy Core) and the functions that read and append them.

Append-only by convention: alerts, obligations and cases are inserted once (their ids are
deterministic, so recording the same alert twice changes nothing); their life is a list of
events, never an update. Every new alert and obligation event is also chained into the ledger
(``trigger.fired``, ``obligation.state``) in the same transaction, when the ledger tables exist.
Times are ISO 8601 UTC text, as the other bookkeeping columns of the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    insert,
    inspect,
    select,
)
from sqlalchemy import text as sa_text

from ceasefire.clock import Clock
from ceasefire.errors import NotFoundError, StoreError
from ceasefire.guarantees.alerts import Alert
from ceasefire.guarantees.commission import Case, CaseEvent
from ceasefire.guarantees.model import (
    InstrumentSet,
    Ratification,
    RatificationStatus,
    Source,
)
from ceasefire.guarantees.obligations import (
    Obligation,
    ObligationEvent,
    ObligationState,
    opened,
)
from ceasefire.guarantees.ports import RecordSummary, StoredGuarantees
from ceasefire.guarantees.ratification import RecordedRatification
from ceasefire.ledger.marking import COALITION_WIDE, Marking
from ceasefire.ledger.model import EventType, LedgerEvent
from ceasefire.store.guarantee_rows import (
    alert_of,
    alert_row,
    case_row,
    from_iso,
    iso,
    obligation_of,
    obligation_row,
)
from ceasefire.store.ledger import append_events_in
from ceasefire.store.ledger_marking import fact_markings, obligation_markings
from ceasefire.store.metadata import metadata

_TS = 40
#: The advisory lock key of recording alerts (PostgreSQL): "guarant" in ASCII.
RECORD_LOCK_KEY = 0x67756172616E74

guarantee_files = Table(
    "guarantee_files",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("source_text", Text, nullable=False, comment="the YAML exactly as loaded"),
    Column("source_path", Text, nullable=False),
    Column("ceasefire_in_force_from", String(_TS), comment="resolved at load; NULL: not in force"),
    Column("loaded_at", String(_TS), nullable=False),
)

guarantee_alerts = Table(
    "guarantee_alerts",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("instrument_id", String(128), nullable=False),
    Column("trigger_id", String(128), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("level", String(8), nullable=False),
    Column("fired_at", String(_TS), nullable=False, index=True),
    Column("key", Text, nullable=False),
    Column("sector", String(64)),
    Column("clause", Text, nullable=False, comment="JSON: the trigger's parameters"),
    Column("measures", Text, nullable=False, comment="JSON: the values compared"),
    Column("fact_ids", Text, nullable=False, comment="JSON list: incidents/violations"),
    Column("report_ids", Text, nullable=False, comment="JSON list"),
    Column("child_alert_ids", Text, nullable=False, comment="JSON list"),
    Column("recorded_at", String(_TS), nullable=False),
)

guarantee_obligations = Table(
    "guarantee_obligations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("alert_id", String(32), ForeignKey("guarantee_alerts.id"), nullable=False, index=True),
    Column("instrument_id", String(128), nullable=False),
    Column("template_id", String(128), nullable=False),
    Column("owner", String(128), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("level", SmallInteger, nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", String(_TS), nullable=False),
    Column("deadline", String(_TS), nullable=False, index=True),
)

guarantee_obligation_events = Table(
    "guarantee_obligation_events",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column(
        "obligation_id",
        String(32),
        ForeignKey("guarantee_obligations.id"),
        nullable=False,
        index=True,
    ),
    Column("state", String(16), nullable=False),
    Column("at", String(_TS), nullable=False),
    Column("by", String(128), nullable=False),
    Column("evidence", Text),
)

guarantee_cases = Table(
    "guarantee_cases",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("instrument_id", String(128), nullable=False),
    Column("fact_id", String(128), nullable=False),
    Column("alert_id", String(32), ForeignKey("guarantee_alerts.id"), nullable=False),
    Column("opened_at", String(_TS), nullable=False),
)

guarantee_case_events = Table(
    "guarantee_case_events",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("case_id", String(32), ForeignKey("guarantee_cases.id"), nullable=False, index=True),
    Column("stage", String(32), nullable=False),
    Column("at", String(_TS), nullable=False),
    Column("by", String(128), nullable=False),
    Column("party", String(64)),
    Column("attribution_id", String(128), comment="fusion's attribution record"),
    Column("remedy", Text),
    Column("note", Text),
)

guarantee_ratifications = Table(
    "guarantee_ratifications",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("instrument_id", String(128), nullable=False, index=True),
    Column("party", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("date", String(_TS), comment="when the party reached the status; NULL: unknown"),
    Column("source", Text, nullable=False),
    Column("by", String(128), nullable=False),
    Column("recorded_at", String(_TS), nullable=False),
)

guarantee_evaluations = Table(
    "guarantee_evaluations",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("evaluated_until", String(_TS), nullable=False, comment="alerts recorded up to then"),
    Column("monitoring_since", String(_TS), comment="the first fact's recording; NULL: none"),
    Column("file_pk", Integer, nullable=False, comment="the guarantees file evaluated"),
    Column("ratifications", Integer, nullable=False, comment="ratification records seen"),
    Column("superseded", Integer, nullable=False, comment="incidents not active, seen"),
    Column(
        "change_seq",
        Integer,
        comment="change log seq read before the facts; NULL: recorded before the change log",
    ),
    Column("recorded_at", String(_TS), nullable=False),
)

#: The guarantees tables, in creation order (revision 0004 creates the first six, 0007 the
#: ratifications and the evaluation marks).
GUARANTEE_TABLES: tuple[Table, ...] = (
    guarantee_files,
    guarantee_alerts,
    guarantee_obligations,
    guarantee_obligation_events,
    guarantee_cases,
    guarantee_case_events,
    guarantee_ratifications,
    guarantee_evaluations,
)


def require_tables(engine: Engine) -> None:
    """Raise StoreError unless the guarantees tables exist, 0007's included (``ceasefire
    init`` creates them, or upgrades an older store)."""
    tables = inspect(engine)
    if not tables.has_table("guarantee_alerts"):
        raise StoreError("no guarantees tables: run `ceasefire init` first")
    if not tables.has_table("guarantee_evaluations"):
        raise StoreError("the store predates ratifications: run `ceasefire init` to upgrade it")


def save_instrument_file(
    engine: Engine, text: str, source_path: str, instruments: InstrumentSet, *, clock: Clock
) -> None:
    """Keep the loaded guarantees file (the latest one is the one in force for the CLI)."""
    ceasefire = instruments.ceasefire_in_force_from
    with engine.begin() as conn:
        conn.execute(
            insert(guarantee_files).values(
                source_text=text,
                source_path=source_path,
                ceasefire_in_force_from=iso(ceasefire) if ceasefire else None,
                loaded_at=iso(clock.now()),
            )
        )


def latest_file(engine: Engine) -> StoredGuarantees | None:
    """The latest stored guarantees file (None: none loaded); ``guarantees.refresh`` parses
    it again (``load_instrument_set``)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(guarantee_files).order_by(guarantee_files.c.pk.desc()).limit(1)
        ).first()
    if row is None:
        return None
    stored = from_iso(row.ceasefire_in_force_from) if row.ceasefire_in_force_from else None
    return StoredGuarantees(int(row.pk), row.source_text, stored)


def record_ratification(engine: Engine, record: RecordedRatification, *, clock: Clock) -> None:
    """Append a ratification record, chained into the ledger (``ratification.recorded``,
    subject ``<instrument>/<party>``) in the same transaction."""
    r = record.ratification
    values = {
        "instrument_id": record.instrument_id,
        "party": r.party,
        "status": str(r.status),
        "date": iso(r.date) if r.date else None,
        "source": r.source.url or r.source.note or "",
        "by": record.by,
        "recorded_at": iso(record.recorded_at),
    }
    with engine.begin() as conn:
        conn.execute(insert(guarantee_ratifications).values(**values))
        subject = f"{record.instrument_id}/{r.party}"
        event = LedgerEvent(EventType.RATIFICATION, subject, values, marking=COALITION_WIDE)
        chain_in(conn, [event], clock)


def read_ratifications(engine: Engine) -> list[RecordedRatification]:
    """Every recorded ratification, in recording order (none before revision 0007)."""
    if not inspect(engine).has_table("guarantee_ratifications"):
        return []
    g = guarantee_ratifications
    with engine.connect() as conn:
        rows = conn.execute(select(g).order_by(g.c.pk)).all()
    out = []
    for row in rows:
        url = row.source if row.source.startswith(("http://", "https://")) else None
        ratification = Ratification(
            row.party,
            RatificationStatus(row.status),
            from_iso(row.date) if row.date else None,
            Source(url=url, note=None if url else row.source),
        )
        out.append(
            RecordedRatification(row.instrument_id, ratification, row.by, from_iso(row.recorded_at))
        )
    return out


def alert_ids(engine: Engine) -> set[str]:
    """Ids of every stored alert."""
    with engine.connect() as conn:
        return set(conn.execute(select(guarantee_alerts.c.id)).scalars())


def add_alerts(
    engine: Engine,
    alerts: Sequence[Alert],
    obligations: Sequence[Obligation],
    cases: Sequence[tuple[Case, CaseEvent]],
    *,
    clock: Clock,
) -> RecordSummary:
    """Store alerts with the obligations and cases ``guarantees.refresh`` derived from them,
    the obligations opened, all chained into the ledger, in one transaction. An alert or a
    case stored meanwhile (another writer) is skipped with what it would have created, so
    recording is idempotent by id. On PostgreSQL, writers record one at a time (a
    transaction-scoped advisory lock taken before the ids are read), so two ingest processes
    refreshing at once record each alert once instead of failing on its id."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa_text("SELECT pg_advisory_xact_lock(:key)"), {"key": RECORD_LOCK_KEY})
        known = set(conn.execute(select(guarantee_alerts.c.id)).scalars())
        new = [a for a in alerts if a.id not in known]
        if not new:
            return RecordSummary(0, 0, 0)
        new_ids = {a.id for a in new}
        obligations = [o for o in obligations if o.alert_id in new_ids]
        now = iso(clock.now())
        conn.execute(insert(guarantee_alerts), [alert_row(a, now) for a in new])
        if obligations:
            conn.execute(insert(guarantee_obligations), [obligation_row(o) for o in obligations])
            _append_obligation_events(conn, [opened(o) for o in obligations])
        known_cases = set(conn.execute(select(guarantee_cases.c.id)).scalars())
        cases = [pair for pair in cases if pair[0].id not in known_cases]
        if cases:
            conn.execute(insert(guarantee_cases), [case_row(c) for c, _ in cases])
            append_case_events_in(conn, [e for _, e in cases])
        marking = fact_markings(conn, {a.id: a.fact_ids for a in new})
        chain_in(
            conn,
            [
                LedgerEvent(EventType.TRIGGER_FIRED, a.id, _alert_payload(a), marking=marking[a.id])
                for a in new
            ],
            clock,
        )
        chain_in(
            conn,
            [_obligation_ledger_event(opened(o), marking[o.alert_id]) for o in obligations],
            clock,
        )
        return RecordSummary(len(new), len(obligations), len(cases))


def append_obligation_events(
    engine: Engine, events: Sequence[ObligationEvent], *, clock: Clock
) -> None:
    """Append obligation events (met, overdue), chained into the ledger too."""
    with engine.begin() as conn:
        _append_obligation_events(conn, events)
        markings = obligation_markings(conn, [e.obligation_id for e in events]) if events else {}
        chain_in(
            conn,
            [_obligation_ledger_event(e, markings[e.obligation_id]) for e in events],
            clock,
        )


def append_case_events_in(conn: Connection, events: Sequence[CaseEvent]) -> None:
    """Append Special Commission case events inside the caller's transaction."""
    if events:
        conn.execute(
            insert(guarantee_case_events),
            [
                {
                    "case_id": e.case_id,
                    "stage": str(e.stage),
                    "at": iso(e.at),
                    "by": e.by,
                    "party": e.party,
                    "attribution_id": e.attribution_id,
                    "remedy": e.remedy,
                    "note": e.note,
                }
                for e in events
            ],
        )


def read_alerts(engine: Engine, *, until: datetime | None = None) -> list[Alert]:
    """Stored alerts that had fired by ``until`` (all when None), in firing order."""
    query = select(guarantee_alerts).order_by(guarantee_alerts.c.fired_at, guarantee_alerts.c.id)
    if until is not None:
        query = query.where(guarantee_alerts.c.fired_at <= iso(until))
    with engine.connect() as conn:
        return [alert_of(row) for row in conn.execute(query)]


def read_alert(engine: Engine, alert_id: str) -> Alert:
    """One stored alert (NotFoundError when there is none with that id)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(guarantee_alerts).where(guarantee_alerts.c.id == alert_id)
        ).first()
    if row is None:
        raise NotFoundError(f"no alert {alert_id!r}")
    return alert_of(row)


def read_obligations(engine: Engine) -> list[tuple[Obligation, list[ObligationEvent]]]:
    """Every obligation with its history, by deadline."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(guarantee_obligations).order_by(
                guarantee_obligations.c.deadline, guarantee_obligations.c.id
            )
        ).all()
        events = conn.execute(
            select(guarantee_obligation_events).order_by(guarantee_obligation_events.c.pk)
        ).all()
    history: dict[str, list[ObligationEvent]] = {}
    for e in events:
        history.setdefault(e.obligation_id, []).append(
            ObligationEvent(
                e.obligation_id, ObligationState(e.state), from_iso(e.at), e.by, e.evidence
            )
        )
    return [(obligation_of(r), history.get(r.id, [])) for r in rows]


def chain_in(conn: Connection, events: list[LedgerEvent], clock: Clock) -> None:
    """Append ``events`` to the ledger inside the caller's transaction, when it exists."""
    if events and inspect(conn).has_table("ledger_entries"):
        append_events_in(conn, events, clock=clock)


def _append_obligation_events(conn: Connection, events: Sequence[ObligationEvent]) -> None:
    if events:
        conn.execute(
            insert(guarantee_obligation_events),
            [
                {
                    "obligation_id": e.obligation_id,
                    "state": str(e.state),
                    "at": iso(e.at),
                    "by": e.by,
                    "evidence": e.evidence,
                }
                for e in events
            ],
        )


def _obligation_ledger_event(event: ObligationEvent, marking: Marking) -> LedgerEvent:
    payload: dict[str, str | None] = {
        "state": str(event.state),
        "at": iso(event.at),
        "by": event.by,
        "evidence": event.evidence,
    }
    return LedgerEvent(EventType.OBLIGATION_STATE, event.obligation_id, payload, marking=marking)


def _alert_payload(alert: Alert) -> dict[str, str | list[str]]:
    return {
        "instrument": alert.instrument_id,
        "trigger": alert.trigger_id,
        "kind": str(alert.kind),
        "level": str(alert.level),
        "fired_at": iso(alert.fired_at),
        "key": alert.key,
        "facts": list(alert.fact_ids),
    }
