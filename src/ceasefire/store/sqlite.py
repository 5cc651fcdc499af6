"""The embedded backend: SQLite in WAL mode, one writer, every chunk one transaction.

Hot inserts go through the raw DBAPI cursor of the SQLAlchemy connection (``executemany`` with
tuples): Core's per-row parameter processing costs more than the insert itself at 10^5 rows/s.
Row ids are assigned by SQLite as ``max(pk) + 1`` inside the chunk's transaction, so ids are
deterministic: the same inputs in the same order give the same ids, whether or not an earlier
attempt was killed (a killed transaction leaves nothing behind).

Spatial prefilter: a B-tree index on the incident's grid cell and time (``store/grid.py``),
not an R*Tree. Measured on 100,000 incidents (2 cores, loaded machine): inserting into an R*Tree
cost 1.47 s CPU against 0.31 s for a B-tree index (0.23 s with neither); on 1,000,000 incidents a
box + 7-day query took 2.0 ms with the R*Tree and 0.6 ms with the grid index. Ingest speed wins
and the query stays sub-millisecond.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event

from ceasefire.errors import StoreError
from ceasefire.reports.model import (
    Category,
    Classification,
    FireDirection,
    Reliability,
    SourceType,
    WeaponClass,
)
from ceasefire.store.base import (
    REPORT_ROW_FIELDS,
    ChunkWrite,
    KnownReport,
    ReportStatus,
)
from ceasefire.store.chunk_tail import finish_chunk
from ceasefire.store.core_store import CoreStore
from ceasefire.store.dialect import raw_cursor
from ceasefire.store.isotime import iso
from ceasefire.store.sqlite_checkpoint import (
    DEFAULT_AUTOCHECKPOINT_PAGES,
    BackgroundCheckpointer,
)

#: Metres per degree of latitude (mean); boxes are padded, so the mean is good enough.
_M_PER_DEG = 111_320.0

_PRAGMAS = (
    # 8 KiB pages: on 1,000,000 bench reports the ingest took 77.6 s against 80.9 s with 4 KiB
    # (mean of 4 alternating runs; the floor did not change). Set before WAL, which fixes it;
    # only a new, empty database takes a page size, existing ones keep theirs.
    "PRAGMA page_size=8192",
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",  # WAL + NORMAL: durable at checkpoints, never corrupt
    "PRAGMA temp_store=MEMORY",
    "PRAGMA cache_size=-131072",  # 128 MiB page cache
    # reads of a year of incidents map the file instead of copying pages (the HQ's page read:
    # 0.50 -> 0.35 ms on bench/api.py's 1.3 GB store); SQLite caps it at its build's limit
    # (2 GiB for Python's sqlite3 here)
    "PRAGMA mmap_size=4294967296",
    "PRAGMA busy_timeout=10000",
    # Foreign keys are declared (documentation, PostgreSQL) but not enforced here: write_chunk
    # builds every reference itself, and enforcement cost ~20 % of the insert time (measured).
    "PRAGMA foreign_keys=OFF",
)


# Bind the domain's StrEnum values as plain text at C speed: without an adapter, sqlite3 tries
# the adaptation protocol on every str subclass (an attribute miss per value), which cost a third
# of the report insert (measured: 6 enum columns x 100,000 rows, 0.84 s vs 0.30 s as str).
for _enum in (SourceType, Reliability, Category, WeaponClass, FireDirection, Classification):
    sqlite3.register_adapter(_enum, str.__str__)


#: Stored reports of one scope among a JSON array of ``[source, id]`` keys. CROSS JOIN keeps
#: the keys the outer loop: the planner knows nothing of json_each's size and otherwise scanned
#: the scope's reports once per key (a 24,000-report ingest went from 15 s to over 10 min).
FIND_REPORTS_SQL = (
    "SELECT r.source, r.id, r.pk, r.content_hash, r.status, r.submitter_pk "
    "FROM json_each(?) AS j CROSS JOIN reports AS r ON r.source = j.value ->> 0 "
    "AND r.id = j.value ->> 1 AND r.submitter = ?"
)


def create_sqlite_engine(url: str) -> Engine:
    """An engine whose connections use WAL and explicit ``BEGIN`` (pysqlite's implicit
    transactions would start them too late for ``max(pk)`` reads)."""
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: object) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in _PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


class SQLiteStore(CoreStore):
    """The ``Store`` protocol on an SQLite file."""

    def __init__(self, url: str) -> None:
        super().__init__(url, create_sqlite_engine(url))
        database = self._engine.url.database
        self._checkpointer = (
            BackgroundCheckpointer(database) if database and database != ":memory:" else None
        )

    def init_schema(self) -> None:
        database = self._engine.url.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        super().init_schema()

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.close()
        super().close()

    def _require_schema(self) -> None:
        database = self._engine.url.database
        if database and database != ":memory:" and not Path(str(database)).exists():
            raise StoreError(f"database {self._url} is not initialised: run `ceasefire init`")
        super()._require_schema()

    def find_reports(
        self, principal: str, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], KnownReport]:
        if not keys:
            return {}
        with self._engine.connect() as conn:
            cursor = conn.connection.cursor()
            cursor.execute(FIND_REPORTS_SQL, (orjson.dumps(keys), principal))
            found = {
                (source, id_): KnownReport(pk, content_hash, ReportStatus(status), submitter_pk)
                for source, id_, pk, content_hash, status, submitter_pk in cursor.fetchall()
            }
            cursor.close()
        return found

    def write_chunk(self, chunk: ChunkWrite) -> None:
        # the commit leaves the log to the checkpointer's thread (store/sqlite_checkpoint.py)
        with self._engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            raw.execute("PRAGMA wal_autocheckpoint=0")
            try:
                with conn.begin():
                    self._write_chunk_in(conn, chunk)
            finally:
                raw.execute(f"PRAGMA wal_autocheckpoint={DEFAULT_AUTOCHECKPOINT_PAGES}")
        if self._checkpointer is not None:
            self._checkpointer.kick()

    def _write_chunk_in(self, conn: Connection, chunk: ChunkWrite) -> None:
        received_at = iso(chunk.received_at)
        cur = raw_cursor(conn)
        report_base = _next_pk(cur, "reports")
        columns = ", ".join(f'"{name}"' for name in REPORT_ROW_FIELDS)
        marks = ", ".join("?" for _ in REPORT_ROW_FIELDS)
        # the submitter is a constant of the chunk, spelled into the statement like the run
        submitter = _sql_text(chunk.submitter.principal)
        user_pk = chunk.submitter.user_pk
        submitter_pk = "NULL" if user_pk is None else str(int(user_pk))
        cur.executemany(
            f"INSERT INTO reports ({columns}, received_at, ingest_run_pk, status, submitter, "
            f"submitter_pk) VALUES ({marks}, '{received_at}', {int(chunk.run_pk)}, 'active', "
            f"{submitter}, {submitter_pk})",
            chunk.report_rows,
        )
        _check_pks(cur, "reports", report_base, len(chunk.report_rows))
        finish_chunk(
            conn,
            cur,
            chunk,
            list(range(report_base, report_base + len(chunk.report_rows))),
            received_at,
        )


def _sql_text(value: str) -> str:
    """``value`` as an SQL string literal (quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


def _next_pk(cur: Any, table: str) -> int:
    cur.execute(f"SELECT coalesce(max(pk), 0) + 1 FROM {table}")
    return int(cur.fetchone()[0])


def _check_pks(cur: Any, table: str, base: int, n: int) -> None:
    """SQLite gives ``max(pk) + 1``; anything else means a second writer got in between."""
    if n and _next_pk(cur, table) != base + n:
        raise StoreError(f"{table}: ids are not contiguous; is another process writing?")
