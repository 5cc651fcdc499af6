"""Read (and, for damage tests, write) a test's database directly, without the app's code.

Tests compute their expected views from the stored rows with the database's own driver
(stdlib ``sqlite3`` or ``psycopg``), independently of the store modules under test. One
spelling for both: ``?`` placeholders, rows read by index or by column name.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy.engine import make_url


class Row(tuple[Any, ...]):
    """A result row: by position like a tuple, or by column name like ``sqlite3.Row``."""

    _names: dict[str, int]

    def __new__(cls, values: Sequence[Any], names: dict[str, int]) -> Row:
        row = super().__new__(cls, values)
        row._names = names
        return row

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)


class Rows(list[Row]):
    """A statement's rows, with the DB-API's ``fetchall`` and ``fetchone`` spellings."""

    def fetchall(self) -> list[Row]:
        return list(self)

    def fetchone(self) -> Row | None:
        return self[0] if self else None


class RawDB:
    """One connection to a test database; ``execute`` returns every row at once."""

    def __init__(self, url: str) -> None:
        self.postgresql = url.startswith("postgresql")
        if self.postgresql:
            parsed = make_url(url)
            self._conn: Any = psycopg.connect(
                host=parsed.host or "127.0.0.1",
                port=parsed.port or 5432,
                user=parsed.username or "postgres",
                password=parsed.password,
                dbname=parsed.database,
                autocommit=True,
            )
        else:
            self._conn = sqlite3.connect(make_url(url).database or "", isolation_level=None)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        """Run one statement (``?`` placeholders on both backends); its rows, if any."""
        if self.postgresql:
            sql = sql.replace("%", "%%").replace("?", "%s")
        cur = self._conn.cursor()
        try:
            cur.execute(sql, tuple(params))
            if cur.description is None:
                return Rows()
            names = {d[0]: k for k, d in enumerate(cur.description)}
            return Rows(Row(values, names) for values in cur.fetchall())
        finally:
            cur.close()

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> RawDB:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


@contextmanager
def raw_db(url: str) -> Iterator[RawDB]:
    """A direct connection to the database at ``url`` (autocommit), closed afterwards."""
    db = RawDB(url)
    try:
        yield db
    finally:
        db.close()
