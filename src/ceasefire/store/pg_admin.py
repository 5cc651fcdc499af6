"""Creating and dropping whole PostgreSQL databases, for the benchmarks and tools.

The HQ's own database is created by its administrator (``createdb``) and then initialised by
``ceasefire init``; the benchmarks make a fresh one per run, as they make a fresh SQLite file,
through the server's maintenance database ``postgres`` (a database cannot drop itself).
"""

from __future__ import annotations

import psycopg
from sqlalchemy.engine import make_url


def libpq_url(url: str) -> str:
    """``postgresql+psycopg://…`` (SQLAlchemy's spelling) as libpq's ``postgresql://…``."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _maintenance(url: str) -> psycopg.Connection[tuple[object, ...]]:
    admin = make_url(url).set(drivername="postgresql", database="postgres")
    return psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True)


def _name(url: str) -> str:
    name = make_url(url).database
    if not name or name == "postgres":
        raise ValueError(f"{url}: name a database of its own, not the maintenance one")
    return name


def recreate_database(url: str) -> None:
    """Drop the database ``url`` names (ending its sessions) and create it empty."""
    name = _name(url)
    with _maintenance(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    """Drop the database ``url`` names, ending its sessions (nothing if it is absent)."""
    name = _name(url)
    with _maintenance(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_comment(url: str) -> str | None:
    """The comment on the database ``url`` names; None when absent or without one (the API
    benchmark marks the data it built this way, so a later run can reuse it)."""
    name = _name(url)
    with _maintenance(url) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (name,),
        ).fetchone()
    return None if row is None or row[0] is None else str(row[0])


def comment_database(url: str, comment: str) -> None:
    """Set the comment on the database ``url`` names."""
    name = _name(url)
    with _maintenance(url) as conn:
        conn.execute(f'COMMENT ON DATABASE "{name}" IS ' + _literal(comment))


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
