"""Helpers for ingest tests: report builders, NDJSON files, databases on either backend, and
table snapshots to compare."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from backend_databases import Builder, Databases, drop_pg_database
from ceasefire.pipeline.agreements import load_agreement_file
from ceasefire.settings import Settings
from ceasefire.store.base import open_store
from ceasefire.store.core_store import CoreStore

#: The small hand-made agreement (straight line along 37.5 E), see its PROVENANCE.md.
MINI_AGREEMENT = Path(__file__).resolve().parents[1] / "data" / "mini-agreement" / "agreement.yaml"

#: Tables whose content must not depend on how often or in how many attempts a file was sent.
CONTENT_TABLES = (
    "agreement_versions",
    "agreement_zones",
    "reports",
    "quarantine",
    "incidents",
    "incident_reports",
    "violations",
)
#: Bookkeeping columns that say when and by which run a row arrived.
BOOKKEEPING = {"received_at", "ingest_run_pk", "loaded_at"}
#: Tables whose ids the database assigns, and the columns that refer to those ids. PostgreSQL
#: sequences do not roll back: an interrupted or retried chunk leaves a gap, so snapshots
#: compare the ids' ranks (same order, same links), not their values.
NUMBERED = ("reports", "quarantine", "incidents", "violations")
REFERENCES = {"incident_pk": "incidents", "report_pk": "reports"}


def build_mini(url: str) -> None:
    """The mini template: schema and the mini agreement (every engine closed after)."""
    store = open_store(Settings(db=url))
    store.init_schema()
    load_agreement_file(store, MINI_AGREEMENT)
    store.close()


def open_mini(url: str) -> CoreStore:
    """The store at ``url`` (either backend), as the ingest service takes it."""
    store = open_store(Settings(db=url))
    assert isinstance(store, CoreStore)
    return store


@dataclass
class Clones:
    """New databases cloned from one template on one backend; ``drop_all`` drops them."""

    backend: str
    databases: Databases
    folder: Path
    key: str
    build: Builder
    made: list[str] = field(default_factory=list)
    _count: itertools.count[int] = field(default_factory=itertools.count)
    #: tables the template leaves empty (what ``reset`` empties again)
    _written: list[str] | None = None

    def new(self) -> str:
        """A fresh clone's URL (a file in a folder of its own on SQLite)."""
        folder = self.folder / f"clone-{next(self._count)}"
        folder.mkdir(parents=True)
        url = self.databases.fresh(self.backend, folder, key=self.key, build=self.build)
        self.made.append(url)
        if self._written is None:
            engine = create_engine(url)
            try:
                names = inspect(engine).get_table_names()
            finally:
                engine.dispose()
            self._written = [t for t in names if not query(url, f"SELECT 1 FROM {t} LIMIT 1")]
        return url

    def as_built(self, n: int) -> list[str]:
        """``n`` clones with the template's content, for the examples of a property test:
        made on the first call, ``reset`` on the next ones."""
        while len(self.made) < n:
            self.new()
        for url in self.made[:n]:
            self.reset(url)
        return self.made[:n]

    def reset(self, url: str) -> None:
        """Put a clone back to the template's content: every table the template leaves empty
        emptied (ids restarted). For property tests, whose examples each need a database as
        built: a PostgreSQL clone costs seconds (``CREATE DATABASE`` and ``DROP`` checkpoint),
        this costs milliseconds."""
        assert self._written is not None
        assert url in self.made
        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                if url.startswith("postgresql"):
                    names = ", ".join(f'"{t}"' for t in self._written)
                    conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
                else:
                    for table in self._written:
                        conn.execute(text(f'DELETE FROM "{table}"'))
        finally:
            engine.dispose()

    def drop_all(self) -> None:
        """Drop the PostgreSQL clones made so far (SQLite files go with their folder)."""
        for url in self.made:
            if url.startswith("postgresql"):
                name = make_url(url).database
                assert name is not None
                drop_pg_database(name)
        self.made.clear()


def query(url: str, sql: str, params: dict[str, object] | None = None) -> list[tuple[object, ...]]:
    """Rows of one statement (named ``:params``) on either backend, through a short-lived
    engine of its own: the tests read what was committed, not what the code under test sees."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql), params or {})]
    finally:
        engine.dispose()


def make_report(**overrides: object) -> dict[str, object]:
    """A valid report (an explosion 7.5 km west of the mini line, after the ceasefire)."""
    report: dict[str, object] = {
        "id": "r1",
        "source": "op-1",
        "source_type": "observation_post",
        "observed_at": "2026-03-10T10:00:00Z",
        "lat": 48.0,
        "lon": 37.4,
        "uncertainty_m": 100,
        "category": "explosion",
    }
    report.update(overrides)
    return {key: value for key, value in report.items() if value is not None}


def write_ndjson(path: Path, reports: Iterable[dict[str, object] | str]) -> Path:
    """One line per report; strings are written as they are (for broken lines)."""
    with path.open("wb") as out:
        for item in reports:
            out.write(item.encode() if isinstance(item, str) else orjson.dumps(item))
            out.write(b"\n")
    return path


def _ranks(url: str) -> dict[str, dict[int, int]]:
    """Per numbered table, pk → its rank (1, 2, …) in pk order."""
    return {
        table: {
            int(str(pk)): k
            for k, (pk,) in enumerate(query(url, f"SELECT pk FROM {table} ORDER BY pk"), 1)
        }
        for table in NUMBERED
    }


def snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every content table's rows in primary-key order, without the bookkeeping columns, ids
    replaced by their ranks (``NUMBERED``)."""
    ranks = _ranks(url)
    out: dict[str, list[tuple[object, ...]]] = {}
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            for table in CONTENT_TABLES:
                result = conn.execute(text(f"SELECT * FROM {table}"))
                names = list(result.keys())
                keep = [i for i, name in enumerate(names) if name not in BOOKKEEPING]
                rows = [
                    tuple(_canonical(table, names[i], row[i], ranks) for i in keep)
                    for row in result
                ]
                out[table] = sorted(rows, key=lambda row: (_order(row[0]), _order(row[1])))
    finally:
        engine.dispose()
    return out


def _canonical(table: str, column: str, value: object, ranks: dict[str, dict[int, int]]) -> object:
    if column == "pk" and table in ranks:
        return ranks[table][int(str(value))]
    if column in REFERENCES and value is not None:
        return ranks[REFERENCES[column]][int(str(value))]
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def _order(value: object) -> tuple[bool, str, float]:
    """A sort key for mixed column values (None first), as ``ORDER BY 1, 2`` would sort."""
    if value is None:
        return (False, "", 0.0)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (True, "", float(value))
    return (True, str(value), 0.0)


def ledger_rows(url: str) -> list[tuple[object, ...]]:
    """The ledger entries without their time and hashes (which depend on the wall clock);
    incident pks in ``incident.state`` payloads replaced by their ranks (see ``NUMBERED``)."""
    incidents = _ranks(url)["incidents"]
    out: list[tuple[object, ...]] = []
    for seq, kind, subject, payload in query(
        url, "SELECT seq, event_type, subject_id, payload FROM ledger_entries ORDER BY seq"
    ):
        body = json.loads(str(payload))
        if kind == "incident.state":
            body["superseded"] = [incidents[pk] for pk in body.get("superseded", [])]
            body["states"] = [[incidents[s[0]], *s[1:]] for s in body.get("states", [])]
        out.append((seq, kind, subject, body))
    return out


def count_rows(url: str, table: str, where: str = "TRUE") -> int:
    """``count(*)`` of ``table`` rows where ``where`` holds."""
    ((n,),) = query(url, f"SELECT count(*) FROM {table} WHERE {where}")
    return int(str(n))


def column(url: str, sql: str, params: dict[str, object] | None = None) -> Sequence[object]:
    """The first column of a query's rows."""
    return [row[0] for row in query(url, sql, params)]
