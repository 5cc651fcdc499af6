"""The few SQL expressions that differ between SQLite and PostgreSQL, compiled per dialect.

Queries outside the backend files are SQLAlchemy Core; where SQLite and PostgreSQL spell a
function differently, it is a construct here with one compilation per dialect, so the
query that uses it stays one query for both.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


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
