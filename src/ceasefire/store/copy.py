"""Moving a whole store from one database to another: the laptop's SQLite file into the
production PostgreSQL/PostGIS database, and back.

``copy_store(source_url, target_url)`` copies every table the two schemas share, row for row,
keeping every primary key, and then checks the result (``store/copy_check.py``): the row
count of each table and the ledger, which must verify on the target and end in the same head
hash. What it relies on, and why:

* **The target is freshly initialised** (``ceasefire init``, nothing else): the copy never
  merges two stores, whose ids and ledger chains would clash. Both sides must be at the same
  schema revision (``alembic_version``) and read-model format (``read_model_meta``), the two
  tables ``init`` itself writes, which are compared instead of copied.
* **One snapshot, one transaction.** The source is read in one transaction (SQLite: one read
  transaction of the WAL; PostgreSQL: ``REPEATABLE READ``), so a writer still working on it
  cannot tear the copy; the target is written in one transaction, so a failed copy leaves it
  as fresh as it was.
* **Foreign keys first**: tables are written parents first (PostgreSQL enforces foreign keys,
  SQLite's store does not), each in primary-key order, in batches of ``batch_rows``.
* **Bulk paths**: ``COPY … FROM STDIN`` into PostgreSQL, ``executemany`` into SQLite.
* **What the target makes itself is not copied**: columns it generates (the PostGIS points
  ``reports.geom`` and ``incidents.geom`` of migration 0016, computed from the coordinates)
  and the tables it fills itself or that only one side has (``agreement_features``, filled by
  a trigger from ``agreement_versions``; ``oblasts``; PostGIS's ``spatial_ref_sys``).
* **Ids go on from the copied ones**: on PostgreSQL every identity and serial sequence is set
  past its table's largest key, so the next report, incident or user gets a new id; and every
  copied table is analysed, so the planner does not plan the first queries on a store it
  believes empty.
"""

from __future__ import annotations

import sqlite3
import time
import warnings
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import psycopg
from sqlalchemy import Connection, Engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SAWarning

from ceasefire.errors import StoreError
from ceasefire.store.base import open_store
from ceasefire.store.copy_check import CopyCheck, check_copy, count_rows, quoted
from ceasefire.store.dialect import is_postgresql, raw_cursor
from ceasefire.store.ledger import read_head
from ceasefire.store.queries import engine_of

#: Written by ``ceasefire init`` on both sides: compared, never copied.
BOOKKEEPING_TABLES = ("alembic_version", "read_model_meta")
#: Tables the target fills itself (trigger, migration, PostGIS), never copied.
FILLED_BY_TARGET = frozenset({"agreement_features", "oblasts", "spatial_ref_sys"})
DEFAULT_BATCH_ROWS = 10_000


@dataclass(frozen=True, slots=True)
class TableCopy:
    """One table to copy: the columns written, the key order, the rows in the snapshot."""

    name: str
    columns: tuple[str, ...]
    order_by: tuple[str, ...]
    rows: int
    #: source columns not written: the target generates them, or has no such column
    skipped_columns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CopyPlan:
    """Every table to copy, parents before children, and the tables left out with why."""

    tables: tuple[TableCopy, ...]
    skipped_tables: tuple[tuple[str, str], ...]

    @property
    def total_rows(self) -> int:
        """Rows to copy over every table."""
        return sum(table.rows for table in self.tables)


@dataclass(frozen=True, slots=True)
class CopyReport:
    """What was copied, how fast, and what the check found."""

    source_url: str
    target_url: str
    plan: CopyPlan
    check: CopyCheck
    copy_s: float
    check_s: float

    @property
    def rows_per_s(self) -> float:
        """Rows written per second (the copy alone, not the check)."""
        return self.plan.total_rows / self.copy_s if self.copy_s > 0 else 0.0


class CopyProgress(Protocol):
    """Told the plan once, then each batch written (the CLI draws a progress bar from it)."""

    def planned(self, plan: CopyPlan) -> None:
        """The plan, before the first row is written."""

    def copied(self, table: str, rows: int) -> None:
        """``rows`` more rows of ``table`` are written."""


def copy_store(
    source_url: str,
    target_url: str,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    progress: CopyProgress | None = None,
) -> CopyReport:
    """Copy the store at ``source_url`` into the freshly initialised one at ``target_url``,
    then check it.

    Raises ``StoreError`` naming the side and the rule when a database is not initialised
    (``not_initialised``), the target holds data (``target_not_empty``), the two are at
    different revisions (``schema_mismatch``) or are the same database (``same_database``);
    nothing is written then. A failed check is not an exception: ``report.check.ok`` is False
    and says what differs.
    """
    if _same_database(source_url, target_url):
        raise StoreError(f"to: {shown(target_url)} is the source database [same_database]")
    with _engine(source_url, "from") as source, _engine(target_url, "to") as target:
        with _snapshot(source) as read:
            plan = plan_copy(read, target)
            source_head = read_head(read)
            if progress is not None:
                progress.planned(plan)
            started = time.perf_counter()
            with target.begin() as write:
                for table in plan.tables:
                    try:
                        _copy_table(read, write, table, batch_rows, progress)
                    except (DBAPIError, psycopg.Error, sqlite3.Error) as exc:
                        raise StoreError(
                            f"to: copying {table.name} failed, nothing was written "
                            f"({type(exc).__name__}: {exc}) [copy_failed]"
                        ) from exc
                if is_postgresql(write):
                    _reset_sequences(write, plan)
                    _analyze(write, plan)
            copy_s = time.perf_counter() - started
        started = time.perf_counter()
        check = check_copy(target, plan.tables, source_head)
        check_s = time.perf_counter() - started
    return CopyReport(source_url, target_url, plan, check, copy_s, check_s)


def plan_copy(read: Connection, target: Engine) -> CopyPlan:
    """The tables to copy from the source (``read``, inside its snapshot) into ``target``.

    Raises ``StoreError`` unless both are initialised alike and the target is empty.
    """
    source_tables = _tables(read)
    target_tables = _tables(target)
    with target.connect() as conn:
        for name in BOOKKEEPING_TABLES:
            if _rows_of(read, name) != _rows_of(conn, name):
                raise StoreError(
                    f"to: {name} differs from the source's: run `ceasefire init` on both "
                    "databases with this version of ceasefire [schema_mismatch]"
                )
        shared = sorted(
            set(source_tables) & set(target_tables) - FILLED_BY_TARGET - set(BOOKKEEPING_TABLES)
        )
        filled = count_rows(conn, shared)
    not_empty = sorted(name for name, rows in filled.items() if rows)
    if not_empty:
        raise StoreError(
            f"to: the target already holds rows in {', '.join(not_empty)}; store copy writes "
            "only into a freshly initialised database (`ceasefire init`, nothing else) "
            "[target_not_empty]"
        )
    rows = count_rows(read, shared)
    tables = [
        _table_copy(name, source_tables[name], target_tables[name], rows[name]) for name in shared
    ]
    skipped = [
        (name, _why_skipped(in_source=name in source_tables, in_target=name in target_tables))
        for name in sorted(set(source_tables) ^ set(target_tables) | FILLED_BY_TARGET)
        if name in source_tables or name in target_tables
    ]
    return CopyPlan(tuple(_parents_first(tables, _parents(target, shared))), tuple(skipped))


@dataclass(frozen=True, slots=True)
class _Columns:
    """A table's columns as reflected: all, the generated ones, the primary key."""

    names: tuple[str, ...]
    generated: frozenset[str]
    primary_key: tuple[str, ...]


def _tables(bind: Connection | Engine) -> dict[str, _Columns]:
    """Every table of the default schema with its columns (views are not tables)."""
    found: dict[str, _Columns] = {}
    with warnings.catch_warnings():
        # PostGIS's geometry type is unknown to SQLAlchemy; its name is all the copy needs
        warnings.filterwarnings("ignore", "Did not recognize type", SAWarning)
        inspector = inspect(bind)
        columns = inspector.get_multi_columns()
        keys = inspector.get_multi_pk_constraint()
    for (_schema, name), reflected in columns.items():
        found[name] = _Columns(
            names=tuple(str(c["name"]) for c in reflected),
            generated=frozenset(str(c["name"]) for c in reflected if c.get("computed")),
            primary_key=tuple(keys[(_schema, name)].get("constrained_columns") or ()),
        )
    return found


def _table_copy(name: str, source: _Columns, target: _Columns, rows: int) -> TableCopy:
    """Copy the columns both sides have, except those the target generates."""
    writable = set(target.names) - target.generated
    columns = tuple(c for c in source.names if c in writable)
    missing = sorted(writable - set(source.names))
    if missing:
        raise StoreError(
            f"from: {name} has no column {', '.join(missing)}: run `ceasefire init` on the "
            "source with this version of ceasefire [schema_mismatch]"
        )
    skipped = tuple(c for c in source.names if c not in writable)
    order_by = source.primary_key or columns
    return TableCopy(name, columns, order_by, rows, skipped)


def _why_skipped(*, in_source: bool, in_target: bool) -> str:
    """Why a table is not copied, for the summary."""
    if in_source and in_target:
        return "filled by the target itself"
    if in_target:
        return "only in the target, which fills it itself"
    return "only in the source: the target's backend has no such table"


def _parents(target: Engine, tables: Sequence[str]) -> dict[str, set[str]]:
    """Each table's parents (tables its foreign keys refer to) on the target."""
    wanted = set(tables)
    parents: dict[str, set[str]] = {name: set() for name in tables}
    for (_schema, name), keys in inspect(target).get_multi_foreign_keys().items():
        if name in wanted:
            parents[name] |= {k["referred_table"] for k in keys} & wanted - {name}
    return parents


def _parents_first(tables: Sequence[TableCopy], parents: Mapping[str, set[str]]) -> list[TableCopy]:
    """Tables ordered so every parent comes before its children (by name among equals)."""
    by_name = {table.name: table for table in tables}
    ordered: list[TableCopy] = []
    placed: set[str] = set()
    while len(ordered) < len(tables):
        ready = sorted(n for n in by_name if n not in placed and parents[n] <= placed)
        if not ready:
            cycle = sorted(set(by_name) - placed)
            raise StoreError(f"to: foreign keys form a cycle among {', '.join(cycle)} [fk_cycle]")
        for name in ready:
            ordered.append(by_name[name])
            placed.add(name)
    return ordered


def _rows_of(conn: Connection, table: str) -> list[tuple[Any, ...]]:
    """Every row of a small table, sorted (for comparing bookkeeping)."""
    rows = raw_cursor(conn).execute(f"SELECT * FROM {quoted(table)}").fetchall()
    return sorted(tuple(row) for row in rows)


def _copy_table(
    read: Connection,
    write: Connection,
    table: TableCopy,
    batch_rows: int,
    progress: CopyProgress | None,
) -> None:
    """Stream one table from the snapshot into the target, in key order, batch by batch."""
    columns = ", ".join(quoted(c) for c in table.columns)
    select = (
        f"SELECT {columns} FROM {quoted(table.name)} "
        f"ORDER BY {', '.join(quoted(c) for c in table.order_by)}"
    )
    advance: Callable[[int], None] = (
        (lambda n: progress.copied(table.name, n)) if progress is not None else (lambda _n: None)
    )
    cursor = raw_cursor(write)
    # closed here, not by the garbage collector: a failed write must not leave the source's
    # (server-side) cursor open until the connection is gone
    with closing(_read_batches(read, select, batch_rows)) as batches:
        if cursor.postgresql:
            statement = f"COPY {quoted(table.name)} ({columns}) FROM STDIN"
            with cursor.dbapi.copy(statement) as copy:
                for batch in batches:
                    for row in batch:
                        copy.write_row(row)
                    advance(len(batch))
        else:
            marks = ", ".join("?" for _ in table.columns)
            insert = f"INSERT INTO {quoted(table.name)} ({columns}) VALUES ({marks})"
            for batch in batches:
                cursor.executemany(insert, batch)
                advance(len(batch))
    cursor.close()


def _read_batches(read: Connection, select: str, batch_rows: int) -> Generator[list[Any]]:
    """The rows of ``select`` in lists of ``batch_rows``; on PostgreSQL through a server-side
    cursor, so a table of millions of rows is never held in memory at once."""
    if is_postgresql(read):
        driver = read.connection.driver_connection
        assert driver is not None
        cursor = driver.cursor(name="store_copy")
        cursor.itersize = batch_rows
    else:
        cursor = read.connection.cursor()
    try:
        cursor.execute(select)
        while batch := cursor.fetchmany(batch_rows):
            yield batch
    finally:
        cursor.close()


def _reset_sequences(write: Connection, plan: CopyPlan) -> None:
    """Set every identity and serial sequence of the copied tables past its largest key."""
    copied = {table.name for table in plan.tables}
    cursor = raw_cursor(write)
    owned = cursor.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() "
        "AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')"
    ).fetchall()
    for table, column in sorted(owned):
        if table in copied:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(?, ?), "
                f"COALESCE(max({quoted(column)}), 0) + 1, false) FROM {quoted(table)}",
                (table, column),
            )
    cursor.close()


def _analyze(write: Connection, plan: CopyPlan) -> None:
    """Give the planner statistics of the copied rows now, not at autovacuum's next pass
    (until then it plans the HQ's queries on a store it believes empty)."""
    cursor = raw_cursor(write)
    for table in plan.tables:
        if table.rows:
            cursor.execute(f"ANALYZE {quoted(table.name)}")
    cursor.close()


@contextmanager
def _engine(url: str, side: str) -> Iterator[Engine]:
    """The engine of an initialised store (its backend's connection set-up included)."""
    from ceasefire.settings import Settings  # noqa: PLC0415 - pydantic-settings is slow to import

    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        database = parsed.database
        if not database or database == ":memory:" or not Path(database).is_file():
            raise StoreError(
                f"{side}: no database file at {shown(url)}: run `ceasefire init` [not_initialised]"
            )
    store = open_store(Settings(db=url))
    try:
        engine = engine_of(store)
        if not inspect(engine).has_table("reports"):
            raise StoreError(
                f"{side}: {shown(url)} is not initialised: run `ceasefire --db URL init` "
                "[not_initialised]"
            )
        yield engine
    finally:
        store.close()


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """One read-only transaction over the whole source: every table as of one moment."""
    with engine.connect() as opened:
        conn = opened
        if is_postgresql(opened):
            conn = opened.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            if is_postgresql(conn):
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            yield conn


def _same_database(a: str, b: str) -> bool:
    """Whether two URLs name the same database (same file, or same server and database)."""
    first, second = make_url(a), make_url(b)
    if first.drivername.startswith("sqlite") and second.drivername.startswith("sqlite"):
        return Path(first.database or "").resolve() == Path(second.database or "").resolve()
    return (first.host, first.port, first.database) == (second.host, second.port, second.database)


def shown(url: str) -> str:
    """A URL fit to print: its password, if any, masked."""
    return make_url(url).render_as_string(hide_password=True)
