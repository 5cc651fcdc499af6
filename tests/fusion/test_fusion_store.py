"""Fusion through the store and the CLI: ingest → fused incidents, rules, states, decisions.

On both backends (``fresh_db``), but for the migration 0013 test, which reads SQLite's
catalogue and downgrades below the PostgreSQL-only revision 0016.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, Table, select, text
from typer.testing import CliRunner, Result

from ceasefire.cli.main import app
from ceasefire.scenarios import scenario_dir
from ceasefire.settings import Settings
from ceasefire.store import schema
from ceasefire.store.base import open_store
from ceasefire.store.core_store import CoreStore
from ceasefire.store.fusion import FUSION_TABLES, incident_states
from ceasefire.store.ledger import ledger_entries

# A point just behind the paris-2026 line near Pokrovsk, where fire breaks the ceasefire.
LON, LAT = 37.45, 48.15
WHEN = "2026-12-10T22:00:00Z"
LATER = "2026-12-11T03:00:00Z"


def _report(rid: str, source: str, source_type: str, **extra: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": rid,
        "source": source,
        "source_type": source_type,
        "reliability": "B",
        "credibility": 2,
        "observed_at": WHEN,
        "category": "explosion",
        "count": 4,
        "lat": LAT,
        "lon": LON,
        "uncertainty_m": 200,
    }
    return base | extra


class Run:
    """``run("incidents", "--json")`` = ``ceasefire --db <tmp db> incidents --json``."""

    def __init__(self, db: str) -> None:
        self.db = db

    def __call__(self, *args: str) -> Result:
        return CliRunner().invoke(app, ["--db", self.db, *args], catch_exceptions=False)


def _open(db: str) -> CoreStore:
    store = open_store(Settings(db=db))
    assert isinstance(store, CoreStore)
    return store


@pytest.fixture
def run(fresh_db: str, monkeypatch: pytest.MonkeyPatch) -> Run:
    return _initialised(Run(fresh_db), monkeypatch)


@pytest.fixture
def sqlite_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """``run`` on SQLite only, for what only SQLite has."""
    return _initialised(Run(f"sqlite:///{tmp_path / 'cf.db'}"), monkeypatch)


def _initialised(invoke: Run, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.delenv("CEASEFIRE_DB", raising=False)
    assert invoke("init").exit_code == 0
    loaded = invoke("agreement", "load", str(scenario_dir("paris-2026") / "agreement.yaml"))
    assert loaded.exit_code == 0, loaded.output
    return invoke


def _write(path: Path, reports: list[dict[str, object]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in reports))
    return path


def test_two_posts_and_a_uav_become_one_incident_with_history(run: Run, tmp_path: Path) -> None:
    reports = [
        _report("a", "post-1", "observation_post", uncertainty_m=500, count=3),
        _report("b", "post-2", "observation_post", lon=LON + 0.003, uncertainty_m=500),
        _report("c", "uav-1", "uav", reliability="A", uncertainty_m=30, lat=LAT + 0.0002),
        _report("far", "post-3", "observation_post", lon=LON + 0.5, observed_at=LATER),
    ]  # fmt: skip
    first = _write(tmp_path / "a.ndjson", reports[:2])
    second = _write(tmp_path / "b.ndjson", reports[2:])
    assert run("ingest", str(first)).exit_code == 0
    assert run("ingest", str(second)).exit_code == 0
    listed = orjson.loads(run("incidents", "--json").stdout)
    assert len(listed) == 2
    fused = next(i for i in listed if i["reports"] == 3)
    assert (fused["count_low"], fused["count_best"], fused["count_high"]) == (3, 4, 4)
    assert fused["independent_sources"] == 3
    assert fused["state"] == "corroborated"
    assert abs(fused["lat"] - (LAT + 0.0002)) < 0.0005  # the UAV's fix dominates

    store = _open(run.db)
    with store.engine.connect() as conn:
        violations = conn.execute(
            select(schema.violations.c.incident_pk).where(schema.violations.c.active.is_(True))
        ).scalars().all()  # fmt: skip
    assert fused["id"] in violations  # rules judged the fused incident
    assert len(set(violations)) <= 2  # never one violation per report of one event

    verified = run(
        "incident", "verify", str(fused["id"]), "--by", "A. Analyst", "--note", "craters"
    )
    assert verified.exit_code == 0, verified.output
    again = run("incident", "verify", str(fused["id"]), "--by", "A. Analyst")
    assert again.exit_code != 0
    shown = run("incident", "show", str(fused["id"]))
    assert "corroborated → verified  by A. Analyst" in shown.stdout
    assert "uav-1/c" in shown.stdout

    # re-ingesting the same files changes nothing: fusion is idempotent
    with store.engine.connect() as conn:
        before = conn.execute(select(incident_states)).all()
        chained = conn.execute(select(ledger_entries.c.seq)).scalars().all()
    assert run("ingest", str(first), str(second)).exit_code == 0
    assert orjson.loads(run("incidents", "--json").stdout) == [
        i | {"state": "verified"} if i["id"] == fused["id"] else i for i in listed
    ]
    with store.engine.connect() as conn:
        assert conn.execute(select(incident_states)).all() == before
        assert conn.execute(select(ledger_entries.c.seq)).scalars().all() == chained
    geo = orjson.loads(run("incidents", "--geojson", "--state", "verified").stdout)
    assert [f["properties"]["id"] for f in geo["features"]] == [fused["id"]]
    with store.engine.connect() as conn:
        violation = (
            conn.execute(
                select(schema.violations.c.pk).where(schema.violations.c.incident_pk == fused["id"])
            )
            .scalars()
            .first()
        )
    store.close()

    proposed = run("attribution", "propose", str(violation), "--by", "staff")
    assert proposed.exit_code == 0, proposed.output
    assert "impact_across" in proposed.stdout  # an explosion with no origin observed
    assert (
        run("attribution", "decide", "1", "--decision", "upheld", "--by", "member").exit_code == 0
    )
    assert (
        run(
            "attribution", "remedy", "1", "--remedy", "withdraw battery", "--by", "member"
        ).exit_code
        == 0
    )
    (record,) = orjson.loads(run("attribution", "list", "--json").stdout)
    assert (record["decision"], record["decided_by"], record["remedy"]) == (
        "upheld",
        "member",
        "withdraw battery",
    )
    assert record["proposed_by"] == "staff"
    # every state and every attribution step is on the ledger's hash chain
    store = _open(run.db)
    with store.engine.connect() as conn:
        entries = conn.execute(
            select(
                ledger_entries.c.event_type, ledger_entries.c.subject_id, ledger_entries.c.payload
            )
            .where(ledger_entries.c.event_type.in_(["incident.state", "attribution.recorded"]))
            .order_by(ledger_entries.c.seq)
        ).all()
    store.close()
    analyst = [orjson.loads(p) for t, s, p in entries if s == f"I-{fused['id']}"]
    assert analyst == [
        {"by": "A. Analyst", "note": "craters", "previous": "corroborated", "state": "verified"}
    ]
    fused_states = [orjson.loads(p) for t, s, p in entries if s == "incidents"]
    assert any([fused["id"], "corroborated", "fusion"] in x["states"] for x in fused_states)
    steps = [orjson.loads(p)["step"] for t, s, p in entries if s == "attribution-1"]
    assert steps == ["proposal", "decision", "remedy"]
    assert run("attribution", "decide", "9", "--decision", "upheld", "--by", "m").exit_code != 0


@pytest.mark.filterwarnings("ignore:Did not recognize type 'geometry':sqlalchemy.exc.SAWarning")
def test_migration_creates_exactly_the_fusion_tables(fresh_db: str) -> None:
    store = _open(fresh_db)
    store.init_schema()
    ours = MetaData()
    for table in (*schema.MONITORING_TABLES, *FUSION_TABLES):
        table.to_metadata(ours)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), ours)
    names = {t.name for t in FUSION_TABLES}
    assert [d for d in diff if _table_of(d) in names] == []
    store.close()


def _table_of(difference: Any) -> str:
    """The table an ``alembic.autogenerate.compare_metadata`` difference is about."""
    item = difference[0] if isinstance(difference, list) else difference
    if item[0] in {"add_column", "remove_column"} or item[0].startswith("modify_"):
        return str(item[2])
    found = item[1]
    return str(found.name if isinstance(found, Table) else found.table.name)


def _rows(db: str, sql: str) -> list[tuple[object, ...]]:
    store = _open(db)
    try:
        with store.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql)).all()]
    finally:
        store.close()


def test_records_carry_the_marking_of_what_their_author_saw(run: Run, tmp_path: Path) -> None:
    """The CLI writes as the HQ system (it sees every report); a decision survives re-fusion
    as the incident's state only while the incident holds the kinds of report it was made on."""
    open_pair = '["UNCLASSIFIED",""]'
    secret_pair = '["SECRET","FRA"]'
    posts = [
        _report("a", "post-1", "observation_post"),
        _report("b", "post-2", "observation_post", lon=LON + 0.003),
    ]
    assert run("ingest", str(_write(tmp_path / "a.ndjson", posts))).exit_code == 0
    (first,) = orjson.loads(run("incidents", "--json").stdout)
    decided = run("incident", "verify", str(first["id"]), "--by", "A. Analyst")
    assert decided.exit_code == 0, decided.output
    # another post of the same kind: the new incident is still verified, marked the same
    more = [_report("c", "post-3", "observation_post", lat=LAT + 0.001)]
    assert run("ingest", str(_write(tmp_path / "b.ndjson", more))).exit_code == 0
    (second,) = orjson.loads(run("incidents", "--json").stdout)
    assert second["id"] != first["id"]
    assert second["state"] == "verified"
    # a SECRET/FRA fix joins: the analyst never saw it, so fusion's state is the incident's,
    # and the decision follows as a verdict on the tearline of what its author saw
    fix = [_report("d", "uav-1", "uav", classification="SECRET", releasable_to=["FRA"])]
    assert run("ingest", str(_write(tmp_path / "c.ndjson", fix))).exit_code == 0
    (third,) = orjson.loads(run("incidents", "--json").stdout)
    assert third["state"] == "corroborated"
    states = _rows(
        run.db,
        f"SELECT state, author, marking, tearline FROM incident_states "
        f"WHERE incident_pk = {third['id']} ORDER BY pk",
    )
    assert states == [
        ("corroborated", "fusion", f"[{secret_pair},{open_pair}]", 0),
        ("verified", "A. Analyst", f"[{open_pair}]", 1),
    ]
    # the CLI's attribution records carry every pair of the incident
    (violation,) = _rows(
        run.db,
        f"SELECT pk FROM violations WHERE incident_pk = {third['id']} AND active LIMIT 1",
    )
    assert run("attribution", "propose", str(violation[0]), "--by", "staff").exit_code == 0
    assert run("attribution", "decide", "1", "--decision", "upheld", "--by", "m").exit_code == 0
    assert run("attribution", "remedy", "1", "--remedy", "r", "--by", "m").exit_code == 0
    whole = f"[{secret_pair},{open_pair}]"
    for table in ("attributions", "attribution_decisions", "remedies"):
        assert _rows(run.db, f"SELECT marking FROM {table}") == [(whole,)]


def test_migration_0013_marks_older_records_for_readers_of_the_whole(
    sqlite_run: Run, tmp_path: Path
) -> None:
    """SQLite only: it reads SQLite's catalogue (``sqlite_master``) to see the columns go
    and come back; the migration's SQL is the same on both backends."""
    run = sqlite_run
    from alembic import command  # noqa: PLC0415

    from ceasefire.store.migrate import alembic_config  # noqa: PLC0415

    reports = [
        _report("a", "post-1", "observation_post"),
        _report("b", "uav-1", "uav", classification="SECRET", releasable_to=["FRA", "GBR"]),
    ]
    assert run("ingest", str(_write(tmp_path / "a.ndjson", reports))).exit_code == 0
    (incident,) = orjson.loads(run("incidents", "--json").stdout)
    assert run("incident", "dispute", str(incident["id"]), "--by", "x").exit_code == 0
    (violation,) = _rows(run.db, "SELECT pk FROM violations WHERE active LIMIT 1")
    assert run("attribution", "propose", str(violation[0]), "--by", "staff").exit_code == 0
    assert run("attribution", "decide", "1", "--decision", "upheld", "--by", "m").exit_code == 0
    assert run("attribution", "remedy", "1", "--remedy", "r", "--by", "m").exit_code == 0
    config = alembic_config(run.db)
    command.downgrade(config, "0013-1")  # the records as written before markings existed
    for table in ("incident_states", "attributions", "attribution_decisions", "remedies"):
        sql = _rows(run.db, f"SELECT sql FROM sqlite_master WHERE name = '{table}'")
        assert "marking" not in str(sql), table
    command.upgrade(config, "head")
    whole = '[["SECRET","FRA;GBR"],["UNCLASSIFIED",""]]'
    assert set(_rows(run.db, "SELECT marking, tearline FROM incident_states")) == {(whole, 0)}
    for table in ("attributions", "attribution_decisions", "remedies"):
        assert _rows(run.db, f"SELECT marking FROM {table}") == [(whole,)]
