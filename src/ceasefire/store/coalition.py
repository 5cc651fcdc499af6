"""Coalition tables (SQLAlchemy Core) and their mappers: registry, pledges, status history, CJSOR.

Rows only: parsing the scenario files and the rules a pledge or a rung must follow are
``coalition.service``'s, which drives ``SqlCoalition`` (the ``CoalitionStore`` port).

Pledges are append-only: a pledge row is written once, and its status ladder lives in
``pledge_status`` (one row per rung, ``seq`` 0, 1, 2 … — never updated, never deleted).
Caveats are stored as JSON in their typed form (``caveat_to_dict``) and re-parsed on read,
so a stored caveat of an unknown type cannot come back silently. Every write runs in one
transaction: a refused file leaves the database as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Protocol

import orjson
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    Float,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    inspect,
    select,
)
from sqlalchemy.exc import IntegrityError

from ceasefire.clock import FixedClock
from ceasefire.coalition.catalogue import AreaKind, Capability, PledgeStatus, Task
from ceasefire.coalition.caveats import caveat_to_dict, parse_caveat
from ceasefire.coalition.model import (
    Area,
    Declaration,
    Member,
    MemberKind,
    MemberRole,
    Pledge,
    Registry,
    Requirement,
    Sourced,
    StatusChange,
)
from ceasefire.errors import StoreError
from ceasefire.ledger.marking import COALITION_WIDE
from ceasefire.ledger.model import EventType, LedgerEvent
from ceasefire.store.ledger import append_events_in
from ceasefire.store.metadata import metadata

members = Table(
    "coalition_members",
    metadata,
    Column("id", String(16), primary_key=True, comment="ISO 3166 alpha-3, or EU / NATO"),
    Column("name", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("role", String(16), nullable=False),
    Column("source", Text, nullable=False),
    Column("as_of", String(10), nullable=False, comment="YYYY-MM-DD the fact is as of"),
    Column("illustrative", Boolean, nullable=False),
    Column("note", Text, nullable=False),
)

areas = Table(
    "coalition_areas",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("nato_soil", Boolean, nullable=False),
    Column("distance_to_line_km", Float, nullable=True),
    Column("source", Text, nullable=False),
    Column("as_of", String(10), nullable=False),
    Column("illustrative", Boolean, nullable=False),
)

declarations = Table(
    "coalition_declarations",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("title", Text, nullable=False),
    Column("signed_on", String(10), nullable=False),
    Column("source", Text, nullable=False),
    Column("as_of", String(10), nullable=False),
    Column("illustrative", Boolean, nullable=False),
    Column("note", Text, nullable=False),
)

signatories = Table(
    "coalition_signatories",
    metadata,
    Column("declaration_id", String(64), ForeignKey("coalition_declarations.id"), nullable=False),
    Column("member_id", String(16), ForeignKey("coalition_members.id"), nullable=False),
    Column("position", Integer, nullable=False),
    PrimaryKeyConstraint("declaration_id", "member_id"),
)

assumptions = Table(
    "coalition_assumptions",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Boolean, nullable=False),
)

pledges = Table(
    "pledges",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("nation", String(16), ForeignKey("coalition_members.id"), nullable=False),
    Column("capability", String(32), nullable=False),
    Column("units", Integer, nullable=False),
    Column("personnel", Integer, nullable=False),
    Column("readiness_days", Integer, nullable=False),
    Column("rotations", Integer, nullable=False),
    Column("caveats", Text, nullable=False, comment="JSON list of {type, ...parameters}"),
    Column("source", Text, nullable=False),
    Column("as_of", String(10), nullable=False),
    Column("illustrative", Boolean, nullable=False),
    Column("note", Text, nullable=False),
    Column("loaded_at", String(40), nullable=False),
)

pledge_status = Table(
    "pledge_status",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("pledge_id", String(64), ForeignKey("pledges.id"), nullable=False, index=True),
    Column("seq", Integer, nullable=False, comment="0 = first rung; append-only"),
    Column("status", String(16), nullable=False),
    Column("at", String(40), nullable=False, comment="ISO 8601 UTC"),
    Column("by", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("note", Text, nullable=False),
    UniqueConstraint("pledge_id", "seq"),
)

requirements = Table(
    "force_requirements",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("capability", String(32), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("area", String(64), ForeignKey("coalition_areas.id"), nullable=False),
    Column("task", String(32), nullable=False),
    Column("start_day", Integer, nullable=False),
    Column("duration_days", Integer, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("tour_months", Integer, nullable=False),
    Column("source", Text, nullable=False),
    Column("as_of", String(10), nullable=False),
    Column("illustrative", Boolean, nullable=False),
    Column("note", Text, nullable=False),
)


class HasEngine(Protocol):
    """A store backend exposing its engine (``SQLiteStore.engine``)."""

    @property
    def engine(self) -> Engine: ...


Target = Engine | HasEngine


def engine_of(target: Target) -> Engine:
    """The engine of a store backend, or the engine itself."""
    return target if isinstance(target, Engine) else target.engine


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _sourced(row: object) -> Sourced:
    return Sourced(row.source, date.fromisoformat(row.as_of), bool(row.illustrative))  # type: ignore[attr-defined]


def _sourced_cols(s: Sourced) -> dict[str, object]:
    return {"source": s.source, "as_of": s.as_of.isoformat(), "illustrative": s.illustrative}


# -- registry -----------------------------------------------------------------------------
def save_registry(conn: Connection, registry: Registry) -> int:
    """Insert members, areas, declarations and assumptions not stored yet; returns rows added.

    Registry rows are reference facts keyed by id; a row already stored is left as it is
    (re-loading a scenario is a no-op).
    """
    added = 0
    have = set(conn.scalars(select(members.c.id)))
    for m in registry.members:
        if m.id not in have:
            conn.execute(
                insert(members).values(
                    id=m.id,
                    name=m.name,
                    kind=m.kind,
                    role=m.role,
                    note=m.note,
                    **_sourced_cols(m.sourced),
                )
            )
            added += 1
    have = set(conn.scalars(select(areas.c.id)))
    for a in registry.areas:
        if a.id not in have:
            conn.execute(
                insert(areas).values(
                    id=a.id,
                    name=a.name,
                    kind=a.kind,
                    nato_soil=a.nato_soil,
                    distance_to_line_km=a.distance_to_line_km,
                    **_sourced_cols(a.sourced),
                )
            )
            added += 1
    have = set(conn.scalars(select(declarations.c.id)))
    for d in registry.declarations:
        if d.id in have:
            continue
        conn.execute(
            insert(declarations).values(
                id=d.id,
                title=d.title,
                signed_on=d.signed_on.isoformat(),
                note=d.note,
                **_sourced_cols(d.sourced),
            )
        )
        for pos, member_id in enumerate(d.signatories):
            conn.execute(
                insert(signatories).values(declaration_id=d.id, member_id=member_id, position=pos)
            )
        added += 1
    have = set(conn.scalars(select(assumptions.c.key)))
    for key, value in registry.assumptions.items():
        if key not in have:
            conn.execute(insert(assumptions).values(key=key, value=value))
            added += 1
    return added


def read_registry(conn: Connection) -> Registry:
    """The stored registry (members and areas sorted by id, declarations by date)."""
    ms = tuple(
        Member(r.id, r.name, MemberKind(r.kind), MemberRole(r.role), _sourced(r), r.note)
        for r in conn.execute(select(members).order_by(members.c.id))
    )
    ars = tuple(
        Area(r.id, r.name, AreaKind(r.kind), r.nato_soil, r.distance_to_line_km, _sourced(r))
        for r in conn.execute(select(areas).order_by(areas.c.id))
    )
    sig: dict[str, list[str]] = {}
    for r in conn.execute(select(signatories).order_by(signatories.c.position)):
        sig.setdefault(r.declaration_id, []).append(r.member_id)
    decls = tuple(
        Declaration(
            r.id,
            r.title,
            date.fromisoformat(r.signed_on),
            tuple(sig.get(r.id, ())),
            _sourced(r),
            r.note,
        )
        for r in conn.execute(select(declarations).order_by(declarations.c.signed_on))
    )
    assumed = {r.key: bool(r.value) for r in conn.execute(select(assumptions))}
    return Registry(ms, ars, decls, assumed)


# -- pledges ------------------------------------------------------------------------------
def insert_pledges(conn: Connection, items: Sequence[Pledge], *, loaded_at: datetime) -> None:
    """Insert new pledges with their status history; an id already stored is refused."""
    ids = [p.id for p in items]
    clash = set(conn.scalars(select(pledges.c.id).where(pledges.c.id.in_(ids))))
    if clash:
        raise StoreError(f"pledge(s) already stored, never overwritten: {sorted(clash)}")
    known = set(conn.scalars(select(members.c.id)))
    for p in items:
        if p.nation not in known:
            raise StoreError(f"pledge {p.id}: nation {p.nation!r} is not in the stored registry")
        conn.execute(
            insert(pledges).values(
                id=p.id,
                nation=p.nation,
                capability=p.capability,
                units=p.units,
                personnel=p.personnel,
                readiness_days=p.readiness_days,
                rotations=p.rotations,
                caveats=orjson.dumps([caveat_to_dict(c) for c in p.caveats]).decode(),
                note=p.note,
                loaded_at=_iso(loaded_at),
                **_sourced_cols(p.sourced),
            )
        )
        for seq, change in enumerate(p.history):
            _insert_change(conn, p.id, seq, change)
        _record(conn, p, p.history, loaded_at)


def _record(
    conn: Connection, pledge: Pledge, changes: Sequence[StatusChange], now: datetime
) -> None:
    """Append one ``pledge.status`` ledger event per rung, in the caller's transaction.

    Skipped when the database has no ledger tables (a schema older than migration 0003), so
    the coalition works without the ledger; once it exists, every rung is on the hash chain.
    """
    if not changes or not inspect(conn).has_table("ledger_entries"):
        return
    events = [
        LedgerEvent(
            EventType.PLEDGE_STATUS,
            pledge.id,
            {
                "nation": pledge.nation,
                "capability": str(pledge.capability),
                "units": pledge.units,
                "personnel": pledge.personnel,
                "status": str(c.status),
                "at": _iso(c.at),
                "by": c.by,
                "source": c.source,
            },
            marking=COALITION_WIDE,
        )
        for c in changes
    ]
    append_events_in(conn, events, clock=FixedClock(now))


def _insert_change(conn: Connection, pledge_id: str, seq: int, change: StatusChange) -> None:
    conn.execute(
        insert(pledge_status).values(
            pledge_id=pledge_id,
            seq=seq,
            status=change.status,
            at=_iso(change.at),
            by=change.by,
            source=change.source,
            note=change.note,
        )
    )


def read_pledges(conn: Connection) -> list[Pledge]:
    """Every stored pledge with its full status history, sorted by id."""
    return _read_pledges(conn, None)


def _read_pledges(conn: Connection, only: str | None) -> list[Pledge]:
    history: dict[str, list[StatusChange]] = {}
    query = select(pledge_status).order_by(pledge_status.c.pledge_id, pledge_status.c.seq)
    if only is not None:
        query = query.where(pledge_status.c.pledge_id == only)
    rows = conn.execute(query)
    for r in rows:
        history.setdefault(r.pledge_id, []).append(
            StatusChange(
                PledgeStatus(r.status), datetime.fromisoformat(r.at), r.by, r.source, r.note
            )
        )
    out: list[Pledge] = []
    pledge_query = select(pledges).order_by(pledges.c.id)
    if only is not None:
        pledge_query = pledge_query.where(pledges.c.id == only)
    for r in conn.execute(pledge_query):
        caveats = tuple(
            parse_caveat(c, field=f"pledges[{r.id}].caveats") for c in orjson.loads(r.caveats)
        )
        out.append(
            Pledge(
                r.id,
                r.nation,
                Capability(r.capability),
                r.units,
                r.personnel,
                r.readiness_days,
                r.rotations,
                caveats,
                tuple(history.get(r.id, ())),
                _sourced(r),
                r.note,
            )
        )
    return out


def append_rung(
    conn: Connection, pledge: Pledge, seq: int, change: StatusChange, *, now: datetime
) -> None:
    """Append rung ``seq`` to ``pledge``'s ladder and chain it (when the ledger tables exist),
    recorded at ``now``. The ladder's rule is the caller's (``coalition.service``); a rung
    another writer took meanwhile fails on ``(pledge_id, seq)``: StoreError."""
    try:
        _insert_change(conn, pledge.id, seq, change)
    except IntegrityError as exc:
        raise StoreError(
            f"pledge {pledge.id}: rung {seq} was recorded meanwhile; read it and try again "
            "[conflict]"
        ) from exc
    _record(conn, pledge, [change], now)


# -- requirements ---------------------------------------------------------------------------
def save_requirements(conn: Connection, items: Sequence[Requirement]) -> None:
    """Store CJSOR lines; a line with a stored id is replaced (a CJSOR is revised, not pledged)."""
    ids = [r.id for r in items]
    conn.execute(requirements.delete().where(requirements.c.id.in_(ids)))
    for r in items:
        conn.execute(
            insert(requirements).values(
                id=r.id,
                capability=r.capability,
                quantity=r.quantity,
                area=r.area,
                task=r.task,
                start_day=r.start_day,
                duration_days=r.duration_days,
                priority=r.priority,
                tour_months=r.tour_months,
                note=r.note,
                **_sourced_cols(r.sourced),
            )
        )


def read_requirements(conn: Connection) -> list[Requirement]:
    """Stored CJSOR lines sorted by id."""
    return [
        Requirement(
            r.id,
            Capability(r.capability),
            r.quantity,
            r.area,
            Task(r.task),
            r.start_day,
            r.duration_days,
            r.priority,
            r.tour_months,
            _sourced(r),
            r.note,
        )
        for r in conn.execute(select(requirements).order_by(requirements.c.id))
    ]


class SqlCoalition:
    """``coalition.service.CoalitionStore`` on an engine (SQLite or PostgreSQL)."""

    def __init__(self, target: Target) -> None:
        self._engine = engine_of(target)

    def read_registry(self) -> Registry:
        with self._engine.connect() as conn:
            return read_registry(conn)

    def pledge_ids(self) -> set[str]:
        with self._engine.connect() as conn:
            return set(conn.scalars(select(pledges.c.id)))

    def read_pledge(self, pledge_id: str) -> Pledge | None:
        with self._engine.connect() as conn:
            found = _read_pledges(conn, pledge_id)
        return found[0] if found else None

    def save_scenario(
        self,
        registry: Registry,
        items: Sequence[Pledge],
        reqs: Sequence[Requirement],
        *,
        loaded_at: datetime,
    ) -> None:
        with self._engine.begin() as conn:
            save_registry(conn, registry)
            stored = set(conn.scalars(select(pledges.c.id)))
            insert_pledges(conn, [p for p in items if p.id not in stored], loaded_at=loaded_at)
            save_requirements(conn, reqs)

    def add_pledges(self, items: Sequence[Pledge], *, loaded_at: datetime) -> None:
        with self._engine.begin() as conn:
            insert_pledges(conn, items, loaded_at=loaded_at)

    def add_rung(self, pledge: Pledge, seq: int, change: StatusChange, *, now: datetime) -> None:
        with self._engine.begin() as conn:
            append_rung(conn, pledge, seq, change, now=now)
