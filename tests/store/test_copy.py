"""``store copy``: SQLite → PostgreSQL → SQLite gives back the same store, verified; a target
that is not fresh is refused before anything is written.

The source is one simulated day of paris-2026 (agreement, coalition, reports fused into
incidents, violations, coverage), with a user, an HQ key, a signed checkpoint and entries
after it, built once per session. Its round trip goes through a real PostgreSQL database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import orjson
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from store_builders import fuse_one_each, make_chunk, make_row
from typer.testing import CliRunner, Result

from ceasefire.cli.main import app
from ceasefire.errors import StoreError
from ceasefire.ledger.model import ChainHead
from ceasefire.reporting.demo import (
    DemoScenario,
    ingest,
    load_coalition,
    load_coverage,
    load_scenario_agreement,
    simulate_reports,
)
from ceasefire.settings import Settings
from ceasefire.store.base import open_store
from ceasefire.store.copy import CopyReport, copy_store
from ceasefire.store.copy_check import check_ledger
from ceasefire.store.core_store import CoreStore
from ceasefire.store.pg_admin import drop_database

MINI = Path(__file__).resolve().parents[1] / "data" / "mini-agreement" / "agreement.yaml"
SOURCE_KEY = "copy-source"
#: ``fresh_target("postgres")``: the URL of a new, initialised database on that backend.
Fresh = Callable[[str], str]
TARGET_KEY = "copy-target"


class Templates(Protocol):
    """The session's ``databases`` fixture (``tests/backend_databases.py``), as used here."""

    def fresh(
        self,
        backend: str,
        folder: Path,
        *,
        key: str | None = None,
        build: Callable[[str], None] | None = None,
    ) -> str: ...


def cli(db: str, *args: str) -> Result:
    result = CliRunner().invoke(app, ["--db", db, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def build_source(url: str) -> None:
    """One simulated day, a user, an HQ key, a checkpoint, then one more ingest after it."""
    folder = Path(make_url(url).database or "").parent
    store = open_store(Settings(db=url))
    try:
        store.init_schema()
        load_scenario_agreement(store, DemoScenario.PARIS_2026)
        load_coalition(store, DemoScenario.PARIS_2026)
        reports = simulate_reports(DemoScenario.PARIS_2026, folder / "sim", days=1, seed=11)
        ingest(store, [reports])
        load_coverage(store, reports.parent / "coverage.ndjson")
    finally:
        store.close()
    cli(url, "users", "add", "fra-analyst", "--nation", "FRA", "--role", "analyst")
    cli(url, "keys", "add", "--hq", "--keys-dir", str(folder / "keys"))
    cli(url, "ledger", "checkpoint", "--keys-dir", str(folder / "keys"))
    late = folder / "late.ndjson"
    late.write_bytes(orjson.dumps(late_report("late-1")) + b"\n")
    cli(url, "ingest", str(late))


def late_report(report_id: str) -> dict[str, object]:
    return {
        "id": report_id,
        "source": "op-late",
        "source_type": "observation_post",
        "observed_at": "2026-12-01T18:00:00Z",
        "lat": 48.2,
        "lon": 37.7,
        "uncertainty_m": 100,
        "category": "explosion",
        "count": 2,
    }


def build_initialised(url: str) -> None:
    store = open_store(Settings(db=url))
    try:
        store.init_schema()
    finally:
        store.close()


@pytest.fixture
def source(databases: Templates, tmp_path: Path) -> str:
    """A copy of the session's source store (SQLite)."""
    folder = tmp_path / "source"
    folder.mkdir()
    return databases.fresh("sqlite", folder, key=SOURCE_KEY, build=build_source)


@pytest.fixture
def fresh_target(databases: Templates, tmp_path: Path) -> Iterator[Fresh]:
    """Makes freshly initialised databases on either backend; drops the PostgreSQL ones."""
    made: list[str] = []

    def make(backend: str) -> str:
        folder = tmp_path / f"target-{len(made)}"
        folder.mkdir()
        url = databases.fresh(backend, folder, key=TARGET_KEY, build=build_initialised)
        made.append(url)
        return url

    yield make
    for url in made:
        if url.startswith("postgresql"):
            drop_database(url)


def table_rows(url: str, tables: list[str]) -> dict[str, list[tuple[object, ...]]]:
    """Every row of each table, sorted (booleans as 0/1, as SQLite keeps them)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                name: sorted(
                    (
                        tuple(int(v) if isinstance(v, bool) else v for v in row)
                        for row in conn.execute(text(f'SELECT * FROM "{name}"'))
                    ),
                    key=repr,
                )
                for name in tables
            }
    finally:
        engine.dispose()


def run_sql(url: str, statement: str) -> None:
    """One statement in its own transaction (to spoil a database on purpose)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def assert_verified(report: CopyReport) -> None:
    check = report.check
    assert check.differing_tables == []
    assert check.ledger.failure is None
    assert check.ledger.target_head == check.ledger.source_head
    assert check.ok


def test_round_trip_through_postgres_gives_back_the_same_store(
    source: str, fresh_target: Fresh
) -> None:
    production, back = fresh_target("postgres"), fresh_target("sqlite")

    up = copy_store(source, production, batch_rows=1_000)
    down = copy_store(production, back, batch_rows=1_000)

    assert_verified(up)
    assert_verified(down)
    copied = [table.name for table in up.plan.tables]
    assert {"reports", "incidents", "violations", "ledger_entries", "users"} <= set(copied)
    assert up.check.source_rows["reports"] > 1_000
    assert down.check.target_rows == up.check.source_rows
    ledger = down.check.ledger
    assert ledger.checkpoints == 1
    assert ledger.entries == ledger.source_head.seq > 1  # entries after the checkpoint too
    assert down.check.ledger.target_head == up.check.ledger.source_head
    assert table_rows(back, copied) == table_rows(source, copied)
    violations = [cli(db, "violations").output for db in (source, production, back)]
    assert violations[0].count("\n") > 10
    assert violations[1] == violations[0]
    assert violations[2] == violations[0]


def test_postgres_copy_skips_what_the_target_makes_and_fills_it(
    source: str, fresh_target: Fresh
) -> None:
    production = fresh_target("postgres")

    report = copy_store(source, production)

    skipped = dict(report.plan.skipped_tables)
    assert skipped["agreement_features"] == "only in the target, which fills it itself"
    assert "oblasts" in skipped
    engine = create_engine(production)
    try:
        with engine.connect() as conn:
            features = conn.execute(text("SELECT count(*) FROM agreement_features")).scalar()
            unplaced = conn.execute(
                text("SELECT count(*) FROM incidents WHERE lon IS NOT NULL AND geom IS NULL")
            ).scalar()
    finally:
        engine.dispose()
    assert features  # the trigger ran on the copied agreement version
    assert unplaced == 0  # generated points, computed from the copied coordinates


def test_ids_go_on_after_the_copied_ones_on_postgres(source: str, fresh_target: Fresh) -> None:
    production = fresh_target("postgres")
    copy_store(source, production)
    tables = ["reports", "incidents", "violations", "users"]
    before = table_rows(production, tables)

    store = open_store(Settings(db=production))
    try:
        run = store.start_ingest_run(["later.ndjson"], datetime.now(UTC))
        row = make_row(1, id="later-1", source="op-later")
        store.write_chunk(make_chunk(run, [row]))
        assert isinstance(store, CoreStore)
        fuse_one_each(store, violations=[(0, "R1", None, "certain")])
    finally:
        store.close()
    cli(production, "users", "add", "gbr-analyst", "--nation", "GBR", "--role", "analyst")

    after = table_rows(production, tables)
    for name in tables:  # one new row each, numbered past the copied ones
        assert len(after[name]) == len(before[name]) + 1
        assert max(_pk(r) for r in after[name]) > max(_pk(r) for r in before[name])


def _pk(row: tuple[object, ...]) -> int:
    assert isinstance(row[0], int)
    return row[0]


@pytest.mark.parametrize("target_backend", ["sqlite", "postgres"])
def test_a_target_holding_data_is_refused_and_left_alone(
    source: str, fresh_target: Fresh, target_backend: str
) -> None:
    target = fresh_target(target_backend)
    cli(target, "agreement", "load", str(MINI))

    with pytest.raises(StoreError, match=r"agreement_versions.*\[target_not_empty\]"):
        copy_store(source, target)
    result = CliRunner().invoke(app, ["store", "copy", "--from", source, "--to", target])

    assert result.exit_code == 2
    assert "freshly initialised" in result.output
    assert "[target_not_empty]" in result.output
    rows = table_rows(target, ["agreement_versions", "reports", "ledger_entries"])
    assert (len(rows["agreement_versions"]), len(rows["reports"])) == (1, 0)


def test_a_row_postgres_cannot_hold_fails_the_copy_and_writes_nothing(
    source: str, fresh_target: Fresh
) -> None:
    """PostgreSQL text cannot hold NUL, which SQLite keeps (a JSON ``\\u0000`` in a report)."""
    production = fresh_target("postgres")
    run_sql(source, "UPDATE reports SET description = 'a' || char(0) || 'b' WHERE pk = 1")

    with pytest.raises(StoreError, match=r"^to: copying reports failed.*\[copy_failed\]"):
        copy_store(source, production)

    rows = table_rows(production, ["agreement_versions", "reports", "ledger_entries"])
    assert rows == {"agreement_versions": [], "reports": [], "ledger_entries": []}


def test_an_uninitialised_target_is_refused(source: str, fresh_db: str) -> None:
    with pytest.raises(StoreError, match=r"^to: .*\[not_initialised\]"):
        copy_store(source, fresh_db)


def test_a_target_at_another_revision_is_refused(source: str, fresh_target: Fresh) -> None:
    target = fresh_target("sqlite")
    run_sql(target, "UPDATE alembic_version SET version_num = '0015'")

    with pytest.raises(StoreError, match=r"alembic_version.*\[schema_mismatch\]"):
        copy_store(source, target)


def test_the_cli_prints_the_check_and_exits_0(source: str, fresh_target: Fresh) -> None:
    target = fresh_target("sqlite")

    result = CliRunner().invoke(app, ["store", "copy", "--from", source, "--to", target, "--quiet"])

    assert result.exit_code == 0, result.output
    assert "VERIFIED" in result.output.splitlines()[-1]
    assert "1 checkpoints verified on the target" in result.output


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("UPDATE ledger_entries SET payload = payload || ' ' WHERE seq = 2", "entry 2: rule"),
        ("DELETE FROM ledger_entries WHERE seq = (SELECT max(seq) FROM ledger_entries)", None),
    ],
)
def test_a_changed_or_shortened_ledger_fails_the_check(
    source: str, fresh_target: Fresh, statement: str, expected: str | None
) -> None:
    target = fresh_target("sqlite")
    head = copy_store(source, target).check.ledger.source_head
    run_sql(target, statement)
    engine = create_engine(target)
    try:
        check = check_ledger(engine, head)
    finally:
        engine.dispose()

    assert not check.ok
    if expected is None:
        assert check.target_head == ChainHead(head.seq - 1, check.target_head.hash)
    else:
        assert check.failure is not None
        assert check.failure.startswith(expected)
