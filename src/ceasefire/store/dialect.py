"""The few SQL expressions that differ between SQLite and PostgreSQL, compiled per dialect.

Queries outside the backend files are SQLAlchemy Core; where SQLite and PostgreSQL spell a
function differently, it is a construct here with one compilation per dialect, so the
query that uses it stays one query for both.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import psycopg
from numpy.typing import NDArray
from sqlalchemy import Connection, Engine, String
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ceasefire.errors import WriteConflictError


class utc_day(FunctionElement[str]):  # noqa: N801 - used like an SQL function
    """``YYYY-MM-DD`` (UTC) of epoch seconds: ``utc_day(table.c.observed_at)``."""

    type = String()
    inherit_cache = True


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element: utc_day, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, 'unixepoch')"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: Any, **kw: Any) -> str:
    seconds = compiler.process(element.clauses, **kw)
    return f"to_char(to_timestamp({seconds}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


class RawCursor:
    """A DBAPI cursor that takes ``?`` placeholders on every backend.

    The hot paths write through the DBAPI cursor (Core's per-row processing costs more than
    the insert at 10^5 rows/s). sqlite3 takes ``?``; psycopg takes ``%s``: statements are
    written once with ``?`` and rewritten here for PostgreSQL (a literal ``%`` doubled).
    Statements never hold a ``?`` inside a string literal (they bind values instead).
    """

    def __init__(self, cursor: Any, *, postgresql: bool) -> None:
        self._cursor = cursor
        self._postgresql = postgresql

    def _sql(self, sql: str) -> str:
        if not self._postgresql:
            return sql
        return sql.replace("%", "%%").replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> RawCursor:
        self._cursor.execute(self._sql(sql), params)
        return self

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> RawCursor:
        self._cursor.executemany(self._sql(sql), rows)
        return self

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return list(self._cursor.fetchall())

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cursor)

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)

    @property
    def postgresql(self) -> bool:
        """True on PostgreSQL (for the few statements spelt differently)."""
        return self._postgresql

    @property
    def dbapi(self) -> Any:
        """The driver's own cursor, for what only one driver has (psycopg's ``copy``)."""
        return self._cursor

    def close(self) -> None:
        self._cursor.close()


def raw_cursor(conn: Connection) -> RawCursor:
    """A ``?``-placeholder cursor on ``conn``'s DBAPI connection, inside its transaction."""
    return RawCursor(conn.connection.cursor(), postgresql=is_postgresql(conn))


def fetch_batch(
    conn: Connection, statements: Sequence[tuple[str, Sequence[Any]]]
) -> list[list[Any]]:
    """The rows of each of ``statements`` (``?`` placeholders, independent reads), in order.

    PostgreSQL: sent together in psycopg's pipeline mode, one round trip for all of them
    instead of one each (the HQ's incident page asks three or four questions of a few rows;
    on a loaded host every round trip is a wait for the server to be scheduled). SQLite: one
    after the other (in process: no round trip to save).
    """
    postgresql = is_postgresql(conn)
    dbapi: Any = conn.connection.dbapi_connection
    if not postgresql:
        out: list[list[Any]] = []
        for sql, params in statements:
            cur = RawCursor(dbapi.cursor(), postgresql=False)
            try:
                out.append(cur.execute(sql, params).fetchall())
            finally:
                cur.close()
        return out
    cursors = [RawCursor(dbapi.cursor(), postgresql=True) for _ in statements]
    try:
        with dbapi.pipeline():
            for cur, (sql, params) in zip(cursors, statements, strict=True):
                cur.execute(sql, params)
        return [cur.fetchall() for cur in cursors]
    finally:
        for cur in cursors:
            cur.close()


def statement_reads(engine: Engine) -> Engine:
    """``engine`` for reads that need no transaction of their own: on PostgreSQL its
    connections autocommit (same pool).

    Why: under READ COMMITTED every statement reads its own snapshot whether or not a
    transaction is open, so a read-only ``BEGIN`` … ``ROLLBACK`` around a few SELECTs buys
    nothing and costs two round trips; on a loaded host each round trip is a wait for the
    server process to be scheduled. On ``bench/api.py``'s store the incident page went from
    about 7.6 to 2.6–4.8 ms wall per request in process (docs/store.md). Never for writes:
    ``begin()`` on it would commit statement by statement. SQLite: ``engine`` itself (its
    driver opens no transaction for a SELECT).
    """
    if not is_postgresql(engine):
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def is_postgresql(bind: Connection | Engine) -> bool:
    """True on PostgreSQL, the production backend; False on SQLite, the embedded one."""
    return bind.dialect.name == "postgresql"


def joined_text(expression: str, separator: str, *, postgresql: bool) -> str:
    """The aggregate joining ``expression``'s values with ``separator`` (a literal without
    quotes): ``string_agg`` on PostgreSQL, ``group_concat`` on SQLite before 3.44."""
    function = "string_agg" if postgresql else "group_concat"
    return f"{function}({expression}, '{separator}')"


def json_ids(placeholder: str = "?", *, postgresql: bool) -> str:
    """A table expression ``(key, value)`` of a bound JSON array of integers: the array's
    index and element. One statement can then act on thousands of ids (no per-row trip)."""
    if postgresql:
        return (
            f"(SELECT (t.ordinality - 1) AS key, t.value::bigint AS value FROM "
            f"jsonb_array_elements_text(CAST({placeholder} AS jsonb)) WITH ORDINALITY "
            "AS t(value, ordinality))"
        )
    return f"json_each({placeholder})"


def draw_ids(cur: RawCursor, table: str, n: int) -> NDArray[np.int64]:
    """``n`` new primary keys for ``table`` (its ``pk`` column), ascending, in one statement.

    PostgreSQL: drawn from the table's identity sequence (``nextval`` over
    ``generate_series``): any number of writers draw at once, never the same id and never
    waiting for each other; the ids of one draw ascend but need not be contiguous, and ids
    of a transaction that rolls back are not given again. SQLite: ``max(pk) + 1 …
    max(pk) + n`` read inside the writer's transaction: the embedded store has one writer,
    and should a second one commit rows in between, SQLite's WAL refuses this transaction's
    first write on its older snapshot (``SQLITE_BUSY_SNAPSHOT``), so an id is never given
    twice.
    """
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if cur.postgresql:
        cur.execute(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'pk')) FROM generate_series(1, ?)",
            (n,),
        )
        drawn = np.fromiter((row[0] for row in cur.fetchall()), dtype=np.int64, count=n)
        return np.sort(drawn)
    cur.execute(f"SELECT coalesce(max(pk), 0) FROM {table}")
    top = int(cur.fetchone()[0])
    return np.arange(top + 1, top + 1 + n, dtype=np.int64)


def insert_rows(
    cur: RawCursor, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order, plain Python values) into ``table`` in the
    backend's bulk form: ``COPY … FROM STDIN`` on PostgreSQL, where an ``executemany`` sends
    one prepared statement per row (fusion's incidents, links, details, violations and states:
    11 s of a 26 s first fusion of 20,000 reports, profiled); ``executemany`` on SQLite."""
    names = ", ".join(f'"{name}"' for name in columns)
    if cur.postgresql:
        with cur.dbapi.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    cur.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


@contextmanager
def deadlocks_as_conflicts(what: str) -> Iterator[None]:
    """Turn a deadlock or serialisation failure inside the block into ``WriteConflictError``
    naming ``what``: PostgreSQL aborted the transaction to let another writer on, and the
    caller may decide again and retry (SQLite, with one writer, never raises them). Core
    statements wrap the driver's error (``DBAPIError``); a ``COPY`` raises psycopg's own."""
    try:
        yield
    except (DBAPIError, psycopg.Error) as exc:
        error = exc.orig if isinstance(exc, DBAPIError) else exc
        if not is_deadlock(error):
            raise
        raise WriteConflictError(f"{what}: another writer got in the way ({error})") from exc


def is_deadlock(error: BaseException | None) -> bool:
    """A deadlock or a serialisation failure (PostgreSQL's SQLSTATE 40P01 and 40001)."""
    return getattr(error, "sqlstate", None) in {"40P01", "40001"}
