"""Fresh databases for tests, on either backend, from templates built once per session.

The store-touching suites run on both backends through one fixture parameter (``backend`` in
``tests/conftest.py``), not through copies of the tests. SQLite databases are files in the
test's temporary folder; PostgreSQL databases live on the server this machine kind starts
(127.0.0.1:5432, or ``CEASEFIRE_TEST_PG``), each test in its own database named after this
run's process, dropped when the test ends. A template (schema migrated, fixtures loaded) is
built once per session and cloned per test: ``CREATE DATABASE … TEMPLATE`` on PostgreSQL, a
file copy on SQLite.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

#: The administrative connection tests create and drop their databases through.
PG_ADMIN_URL = os.environ.get(
    "CEASEFIRE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ("sqlite", "postgres")

_names = itertools.count(1)


def _conninfo(url: str) -> str:
    parsed = make_url(url)
    parts = [f"host={parsed.host or '127.0.0.1'}", f"port={parsed.port or 5432}"]
    parts.append(f"user={parsed.username or 'postgres'}")
    if parsed.password:
        parts.append(f"password={parsed.password}")
    parts.append(f"dbname={parsed.database or 'postgres'}")
    return " ".join(parts)


def pg_url(database: str) -> str:
    """The SQLAlchemy URL of ``database`` on the test server."""
    return make_url(PG_ADMIN_URL).set(database=database).render_as_string(hide_password=False)


@contextmanager
def _admin() -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    with psycopg.connect(_conninfo(PG_ADMIN_URL), autocommit=True) as conn:
        yield conn


def create_pg_database(*, template: str | None = None) -> str:
    """A new, empty (or templated) database; its name."""
    name = f"cft_{os.getpid()}_{next(_names)}"
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if template is None:
            conn.execute(f'CREATE DATABASE "{name}"')
        else:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
    return name


def drop_pg_database(name: str) -> None:
    """Drop ``name``, ending any session still connected to it."""
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_orphans() -> None:
    """Drop the databases of test runs that died before their clean-up (their process is
    gone), so a killed run does not leave the server filling up."""
    with _admin() as conn:
        names = [
            str(row[0])
            for row in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'cft_%'")
        ]
    for name in names:
        pid = name.split("_")[1]
        if pid.isdigit() and int(pid) != os.getpid() and not Path(f"/proc/{pid}").exists():
            drop_pg_database(name)


def postgres_version() -> str:
    """The test server's version, for the report header; why not when unreachable."""
    try:
        with _admin() as conn:
            row = conn.execute("SHOW server_version").fetchone()
            postgis = conn.execute(
                "SELECT default_version FROM pg_available_extensions WHERE name = 'postgis'"
            ).fetchone()
    except psycopg.Error as error:
        return f"unreachable ({error.__class__.__name__})"
    return f"{row[0] if row else '?'}, PostGIS {postgis[0] if postgis else 'not installed'}"


#: Builds a template's content: given the database URL, initialise it and load fixtures.
Builder = Callable[[str], None]


@dataclass
class Databases:
    """Per-session templates and per-test clones, on both backends."""

    root: Path
    _templates: dict[tuple[str, str], str] = field(default_factory=dict)
    _created: list[str] = field(default_factory=list)

    def template(self, backend: str, key: str, build: Builder) -> str:
        """The template ``key`` on ``backend`` (built on first use): a file path or a name."""
        found = self._templates.get((backend, key))
        if found is not None:
            return found
        if backend == "sqlite":
            folder = self.root / f"template-{key}"
            folder.mkdir(parents=True, exist_ok=True)
            location = str(folder / "template.db")
            build(f"sqlite:///{location}")
        else:
            location = create_pg_database()
            self._created.append(location)
            build(pg_url(location))
        self._templates[(backend, key)] = location
        return location

    def fresh(
        self, backend: str, folder: Path, *, key: str | None = None, build: Builder | None = None
    ) -> str:
        """The URL of a new database for one test: a clone of template ``key`` (built by
        ``build`` on first use), or empty without a key."""
        if backend == "sqlite":
            db = folder / "test.db"
            if key is not None and build is not None:
                source = Path(self.template(backend, key, build))
                for sibling in source.parent.iterdir():
                    target = folder / sibling.name.replace("template.db", "test.db")
                    if sibling.is_dir():
                        shutil.copytree(sibling, target)
                    else:
                        shutil.copy(sibling, target)
            return f"sqlite:///{db}"
        template = None
        if key is not None and build is not None:
            template = self.template(backend, key, build)
        return pg_url(create_pg_database(template=template))

    def drop_templates(self) -> None:
        """Drop the PostgreSQL templates this session made (clones are dropped per test)."""
        for name in reversed(self._created):
            drop_pg_database(name)
        self._created.clear()


def drop_url(url: str) -> None:
    """Drop the PostgreSQL database of ``url`` (a test's clone); an SQLite URL is left alone
    (its file goes with the test's temporary folder)."""
    if url.startswith("postgresql"):
        name = make_url(url).database
        assert name is not None
        drop_pg_database(name)


def build_initialised(url: str) -> None:
    """A template's content: the schema at head (``ceasefire init``), nothing loaded."""
    from ceasefire.settings import Settings  # noqa: PLC0415 - only when a template is built
    from ceasefire.store.base import open_store  # noqa: PLC0415

    store = open_store(Settings(db=url))
    store.init_schema()
    store.close()
