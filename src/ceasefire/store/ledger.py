"""Ledger tables (SQLAlchemy Core) and ``SqlLedger``, the ``LedgerStore`` port on them.

Hashed values are stored exactly as hashed: timestamps as their canonical text, payloads and
markings as their canonical JSON text, hashes, salts and keys as lowercase hex. Re-exporting
therefore never re-encodes anything, and an export made today is byte-identical to one made
next year (for the same reader).

Each entry's ``salt`` is the secret that keeps a withheld entry unguessable: it lives only
here (back it up with the database), is released only with its entry in an export whose
reader may see the entry, and is never logged.

The tables are append-only by convention: entries, checkpoints, signatures and keys are
inserted, never updated or deleted (the chain would show it).

To record facts inside your own transaction (ingest: reports and their entries commit
together), call ``append_events_in(conn, events, clock=...)``, or ``record_in(conn, events,
at=...)``, which skips silently when the ledger tables do not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    func,
    insert,
    inspect,
    select,
)
from sqlalchemy.exc import IntegrityError

from ceasefire.clock import Clock, FixedClock
from ceasefire.errors import InputError, StoreError
from ceasefire.ledger.canonical import format_timestamp
from ceasefire.ledger.chain import chain_entries, leaf_data
from ceasefire.ledger.model import (
    EMPTY_HEAD,
    ChainHead,
    Checkpoint,
    KeyRole,
    LedgerEntry,
    LedgerEvent,
    PublicKey,
    Signature,
    signature_order,
)
from ceasefire.store.changes import lock_commit_order
from ceasefire.store.metadata import metadata

_TS = 27  # len("2026-01-06T00:00:00.000000Z")
_SEQ = BigInteger().with_variant(Integer(), "sqlite")  # INTEGER PRIMARY KEY = SQLite's rowid
_READ_BATCH = 10_000

ledger_info = Table(
    "ledger_info",
    metadata,
    Column("id", Integer, primary_key=True, comment="always 1: one ledger per database"),
    Column("ledger_id", String(64), nullable=False),
    Column("created_at", String(_TS), nullable=False),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=False),
    Column("at", String(_TS), nullable=False, comment="canonical UTC timestamp, as hashed"),
    Column("event_type", String(64), nullable=False),
    Column("subject_id", String(256), nullable=False, index=True),
    Column("payload", Text, nullable=False, comment="canonical JSON (RFC 8785), as hashed"),
    Column("prev_hash", String(64), nullable=False, comment="chain value before this entry"),
    # No index on hash: a unique index over random 64-hex keys cost 3.5x the insert rate;
    # seq (the primary key) already keeps the chain single.
    Column("hash", String(64), nullable=False, comment="chain value after this entry"),
    Column(
        "marking",
        Text,
        nullable=True,
        comment='canonical JSON [["CLASSIFICATION","releasable_to"],...]; NULL: HQ only',
    ),
    Column("salt", String(64), nullable=False, comment="32 random bytes, hex: SECRET"),
    Column("body", String(64), nullable=False, comment="salted commitment, hex"),
)

ledger_keys = Table(
    "ledger_keys",
    metadata,
    Column("fingerprint", String(64), primary_key=True, comment="SHA-256 of the raw public key"),
    Column("owner", String(32), nullable=False, comment="HQ or ISO 3166 alpha-3"),
    Column("role", String(8), nullable=False),
    Column("public_key", String(64), nullable=False, comment="raw Ed25519 public key, hex"),
    Column("created_at", String(_TS), nullable=False),
)

ledger_checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("ledger_id", String(64), nullable=False),
    Column("first_seq", BigInteger, nullable=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("root", String(64), nullable=False, comment="RFC 6962 Merkle root, hex"),
    Column("prev_hash", String(64), nullable=False),
    Column("at", String(_TS), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
    Column("head", String(64), nullable=False, comment="chain value of entry last_seq"),
)

ledger_signatures = Table(
    "ledger_signatures",
    metadata,
    Column("checkpoint_seq", Integer, ForeignKey("ledger_checkpoints.seq"), nullable=False),
    Column("key_fingerprint", String(64), ForeignKey("ledger_keys.fingerprint"), nullable=False),
    Column("signer", String(32), nullable=False),
    Column("role", String(8), nullable=False),
    Column("at", String(_TS), nullable=False),
    Column("signature", String(128), nullable=False, comment="Ed25519, hex"),
    PrimaryKeyConstraint("checkpoint_seq", "key_fingerprint"),
)

LEDGER_TABLES = (ledger_info, ledger_entries, ledger_keys, ledger_checkpoints, ledger_signatures)


def read_head(conn: Connection) -> ChainHead:
    """The last entry of the chain, read inside ``conn``'s transaction."""
    row = conn.execute(
        select(ledger_entries.c.seq, ledger_entries.c.hash)
        .order_by(ledger_entries.c.seq.desc())
        .limit(1)
    ).first()
    return EMPTY_HEAD if row is None else ChainHead(int(row.seq), str(row.hash))


def insert_entries(conn: Connection, entries: Sequence[LedgerEntry]) -> None:
    """Insert chained entries (one ``executemany``); a clash on ``seq`` means another
    writer extended the chain first: ``StoreError``, and the caller's transaction rolls back."""
    if not entries:
        return
    rows = [
        (
            e.seq,
            e.at,
            e.event_type,
            e.subject_id,
            e.payload_json.decode(),
            e.prev_hash,
            e.hash,
            None if e.marking_json == b"null" else e.marking_json.decode(),
            e.salt,
            e.body,
        )
        for e in entries
    ]
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    try:
        conn.exec_driver_sql(
            "INSERT INTO ledger_entries (seq, at, event_type, subject_id, payload, prev_hash, "
            f"hash, marking, salt, body) VALUES ({', '.join([mark] * 10)})",
            rows,
        )
    except IntegrityError as exc:
        raise StoreError("ledger_entries: the chain moved under this writer [fork]") from exc


def append_events_in(
    conn: Connection, events: Sequence[LedgerEvent], *, clock: Clock
) -> list[LedgerEntry]:
    """Chain ``events`` inside the caller's transaction (they commit or roll back with it)."""
    if not events:
        return []
    at = format_timestamp(clock.now())
    lock_commit_order(conn)  # one head, whatever the number of writers
    entries = chain_entries(read_head(conn), events, at=at)
    insert_entries(conn, entries)
    return entries


def has_ledger(conn: Connection) -> bool:
    """True when the ledger tables exist (a schema at or past migration 0003)."""
    return inspect(conn).has_table("ledger_entries")


def record_in(conn: Connection, events: Sequence[LedgerEvent], *, at: datetime) -> None:
    """Chain ``events`` in the caller's transaction, stamped ``at``; a no-op without events or
    without the ledger tables (older schemas keep working, as the coalition's pledges do)."""
    if events and has_ledger(conn):
        append_events_in(conn, events, clock=FixedClock(at))


class SqlLedger:
    """``LedgerStore`` on the ledger tables of an engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def engine(self) -> Engine:
        """The database (release groups live beside the ledger)."""
        return self._engine

    def ledger_id(self) -> str:
        with self._engine.begin() as conn:
            row = conn.execute(select(ledger_info.c.ledger_id)).first()
            if row is not None:
                return str(row.ledger_id)
            new_id = str(uuid.uuid4())
            created = conn.execute(select(func.min(ledger_entries.c.at))).scalar()
            conn.execute(
                insert(ledger_info).values(id=1, ledger_id=new_id, created_at=created or "")
            )
            return new_id

    def head(self) -> ChainHead:
        with self._engine.connect() as conn:
            return read_head(conn)

    def extend_chain(
        self, build: Callable[[ChainHead], Sequence[LedgerEntry]]
    ) -> Sequence[LedgerEntry]:
        with self._engine.begin() as conn:
            lock_commit_order(conn)
            entries = build(read_head(conn))
            insert_entries(conn, entries)
        return entries

    def entries(self, first_seq: int, last_seq: int) -> Iterator[LedgerEntry]:
        table = ledger_entries
        start = first_seq
        while start <= last_seq:
            stop = min(last_seq, start + _READ_BATCH - 1)
            with self._engine.connect() as conn:
                rows = conn.execute(
                    select(table)
                    .where(table.c.seq >= start, table.c.seq <= stop)
                    .order_by(table.c.seq)
                ).all()
            for r in rows:
                yield LedgerEntry(
                    int(r.seq),
                    r.at,
                    r.event_type,
                    r.subject_id,
                    r.payload.encode(),
                    r.prev_hash,
                    r.hash,
                    marking_json=b"null" if r.marking is None else r.marking.encode(),
                    salt=r.salt,
                    body=r.body,
                )
            start = stop + 1

    def leaves(self, first_seq: int, last_seq: int) -> list[bytes]:
        t = ledger_entries
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(t.c.seq, t.c.body)
                .where(t.c.seq >= first_seq, t.c.seq <= last_seq)
                .order_by(t.c.seq)
            ).all()
            return [leaf_data(int(seq), body) for seq, body in rows]

    def checkpoints(self) -> list[Checkpoint]:
        t = ledger_checkpoints
        with self._engine.connect() as conn:
            rows = conn.execute(select(t).order_by(t.c.seq)).all()
        return [
            Checkpoint(
                int(r.seq),
                r.ledger_id,
                int(r.first_seq),
                int(r.last_seq),
                r.root,
                r.prev_hash,
                r.at,
                r.hash,
                r.head,
            )
            for r in rows
        ]

    def add_checkpoint(self, checkpoint: Checkpoint, hq_signature: Signature) -> None:
        c = checkpoint
        row = {
            "seq": c.seq,
            "ledger_id": c.ledger_id,
            "first_seq": c.first_seq,
            "last_seq": c.last_seq,
            "root": c.root,
            "prev_hash": c.prev_hash,
            "at": c.at,
            "hash": c.hash,
            "head": c.head,
        }
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(ledger_checkpoints).values(**row))
                conn.execute(insert(ledger_signatures), [_signature_row(hq_signature)])
        except IntegrityError as exc:
            raise StoreError(f"checkpoint {c.seq} exists already [duplicate]") from exc

    def signatures(self) -> list[Signature]:
        t = ledger_signatures
        c = ledger_checkpoints
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(t, c.c.hash.label("checkpoint_hash")).join(c, c.c.seq == t.c.checkpoint_seq)
            ).all()
        sigs = [
            Signature(
                int(r.checkpoint_seq),
                r.checkpoint_hash,
                r.key_fingerprint,
                r.signer,
                KeyRole(r.role),
                r.at,
                r.signature,
            )
            for r in rows
        ]
        return sorted(sigs, key=signature_order)

    def add_signatures(self, signatures: Sequence[Signature]) -> None:
        if not signatures:
            return
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(ledger_signatures), [_signature_row(s) for s in signatures])
        except IntegrityError as exc:
            raise InputError("signature", "duplicate", "this key already signed it") from exc

    def public_keys(self) -> list[PublicKey]:
        t = ledger_keys
        with self._engine.connect() as conn:
            rows = conn.execute(select(t).order_by(t.c.created_at, t.c.fingerprint)).all()
        return [
            PublicKey(r.fingerprint, r.owner, KeyRole(r.role), r.public_key, r.created_at)
            for r in rows
        ]

    def add_key(self, key: PublicKey) -> None:
        row = {
            "fingerprint": key.fingerprint,
            "owner": key.owner,
            "role": str(key.role),
            "public_key": key.public_key,
            "created_at": key.created_at,
        }
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(ledger_keys).values(**row))
        except IntegrityError as exc:
            raise InputError("fingerprint", "duplicate", f"key {key.fingerprint} is known") from exc


def _signature_row(sig: Signature) -> dict[str, object]:
    return {
        "checkpoint_seq": sig.checkpoint_seq,
        "key_fingerprint": sig.key_fingerprint,
        "signer": sig.signer,
        "role": str(sig.role),
        "at": sig.at,
        "signature": sig.signature,
    }
