"""Builders for HQ API tests: users with tokens, reports as NDJSON, ingest, bearer headers."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, MetaData, Table

from backend_databases import drop_url
from ceasefire.access.model import Role
from ceasefire.api.accounts import create_account
from ceasefire.api.app import create_app
from ceasefire.api.state import HQState
from ceasefire.clock import Clock
from ceasefire.pipeline.agreements import AgreementBook, load_agreement_file
from ceasefire.pipeline.ingest import ingest_files
from ceasefire.reports.gazetteer import Gazetteer
from ceasefire.reports.model import Classification
from ceasefire.reports.parse import ReportFormat
from ceasefire.settings import Settings
from ceasefire.store.base import open_store
from ceasefire.store.queries import engine_of

MINI = Path(__file__).resolve().parents[1] / "data" / "mini-agreement" / "agreement.yaml"

#: A new database for one test, a clone of the HQ template, in the given folder: its URL
#: (the ``hq_db`` fixture).
FreshHQDB = Callable[[Path], str]

#: A point on the Ukrainian side of the mini agreement's line (37.5 E), inside its zones.
WEST = (37.45, 48.0)


@dataclass
class HQ:
    """The app under test, its client, a folder for its files and its database URL."""

    app: FastAPI
    client: TestClient
    folder: Path
    db: str

    @property
    def state(self) -> HQState:
        state: HQState = self.app.state.hq
        return state

    def user(
        self,
        name: str,
        *,
        nation: str | None = "FRA",
        organisation: str | None = None,
        clearance: Classification = Classification.SECRET,
        roles: Iterable[Role] = (Role.ANALYST,),
        password: str | None = "correct horse",
    ) -> dict[str, str]:
        """Create a user; the bearer header of their token."""
        account = create_account(
            self.state.stores.access,
            name=name,
            nation=nation,
            organisation=organisation,
            clearance=clearance,
            roles=roles,
            password=password,
            now=datetime.now(UTC),
        )
        return {"Authorization": f"Bearer {account.token}"}

    def ingest(self, reports: Sequence[dict[str, Any]]) -> None:
        """Ingest reports through the same pipeline as the CLI (with fusion)."""
        if self.state._gazetteer is None:  # one bundled gazetteer for the whole test session
            self.state._gazetteer = _shared_gazetteer()
        path = self.folder / f"batch-{datetime.now(UTC).timestamp()}.ndjson"
        path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in reports))
        ingest_files(
            self.state.store,
            [path],
            fmt=ReportFormat.NDJSON,
            gazetteer=self.state.gazetteer(),
            parallel=False,
        )


def build_hq_template(url: str) -> None:
    """The HQ template's content: the schema and the mini agreement (on SQLite, with the
    compiled-geography cache next to the file, copied with it)."""
    store = open_store(Settings(db=url))
    store.init_schema()
    load_agreement_file(store, MINI)
    engine_of(store).dispose()
    AgreementBook.from_store(store)  # SQLite: writes the compiled-geography cache
    store.close()


def schema_drift(
    engine: Engine, tables: Sequence[Table], *, targets: Sequence[Table] = ()
) -> list[Any]:
    """Alembic's differences between the migrated database and ``tables`` (``targets``: the
    tables their foreign keys name), only those about ``tables``: the database holds every
    other table too. By table name, not by text: PostgreSQL reflects column comments, which
    name other tables.
    """
    ours = MetaData()
    for table in (*targets, *tables):
        table.to_metadata(ours)
    names = {table.name for table in tables}
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), ours)
    return [d for d in diff if _diff_table(d) in names]


def _diff_table(diff: Any) -> str:
    """The table an alembic difference is about."""
    if isinstance(diff, list):  # modify_* entries: [(op, schema, table, column, ...)]
        return str(diff[0][2])
    op, target = diff[0], diff[1]
    if op in ("add_column", "remove_column"):
        return str(diff[2])
    if op in ("add_table", "remove_table"):
        return str(target.name)
    if op in ("add_fk", "remove_fk"):
        return str(target.parent.name)
    return str(target.table.name)  # indexes and constraints


@contextmanager
def open_hq(url: str, folder: Path, *, clock: Clock | None = None) -> Iterator[HQ]:
    """An HQ app on the database at ``url`` with its test client; files go to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    app = create_app(Settings(db=url), clock=clock)
    with TestClient(app) as client:
        yield HQ(app=app, client=client, folder=folder, db=url)


@contextmanager
def fresh_hq(fresh: FreshHQDB, folder: Path, *, clock: Clock | None = None) -> Iterator[HQ]:
    """An HQ on a new clone of the template (``fresh``: the ``hq_db`` fixture), in an empty
    ``folder``; a PostgreSQL clone is dropped afterwards (property tests make one per example)."""
    if folder.exists():
        shutil.rmtree(folder)
    url = fresh(folder)
    try:
        with open_hq(url, folder, clock=clock) as found:
            yield found
    finally:
        drop_url(url)


@cache
def _shared_gazetteer() -> Gazetteer:
    return Gazetteer.default()


def report(
    rid: str,
    *,
    source: str = "OP-1",
    minute: int = 0,
    lon: float = WEST[0],
    lat: float = WEST[1],
    count: int = 1,
    releasable_to: Sequence[str] | None = None,
    classification: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An explosion heard by an observation post, as the spec writes it."""
    body: dict[str, Any] = {
        "id": rid,
        "source": source,
        "source_type": "observation_post",
        "reliability": "B",
        "credibility": 2,
        "observed_at": f"2026-03-10T10:{minute:02d}:00Z",
        "lat": lat,
        "lon": lon,
        "uncertainty_m": 200,
        "category": "explosion",
        "count": count,
        **extra,
    }
    if releasable_to is not None:
        body["releasable_to"] = list(releasable_to)
    if classification is not None:
        body["classification"] = classification
    return body
