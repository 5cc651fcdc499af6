"""Coalition persistence: the scenario loads through migration 0002; imports are all or
nothing; status history only grows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, create_engine, func, inspect, select

from backend_databases import Databases, build_initialised, drop_url
from ceasefire.coalition.catalogue import PledgeStatus
from ceasefire.coalition.model import StatusChange
from ceasefire.coalition.service import (
    append_status,
    import_pledge_file,
    load_coalition_scenario,
)
from ceasefire.coalition.yamlfile import RefusedFileError
from ceasefire.errors import InputError, NotFoundError, StoreError
from ceasefire.ledger.model import EventType
from ceasefire.scenarios import scenario_dir
from ceasefire.store.coalition import (
    SqlCoalition,
    pledge_status,
    pledges,
    read_pledges,
    read_registry,
    read_requirements,
)
from ceasefire.store.ledger import ledger_entries
from ceasefire.store.metadata import metadata

NOW = datetime(2026, 2, 1, tzinfo=UTC)
PARIS = scenario_dir("paris-2026")


@pytest.fixture
def engine(backend: str, databases: Databases, tmp_path: Path) -> Iterator[Engine]:
    """A clone of a database brought to head by the project's migrations (0001 → 0002 → …),
    on each backend."""
    url = databases.fresh(backend, tmp_path, key="initialised", build=build_initialised)
    found = create_engine(url)
    yield found
    found.dispose()
    drop_url(url)


def _counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (
            int(conn.scalar(select(func.count()).select_from(pledges)) or 0),
            int(conn.scalar(select(func.count()).select_from(pledge_status)) or 0),
        )


def test_scenario_round_trips_through_the_store(engine: Engine) -> None:
    loaded = load_coalition_scenario(SqlCoalition(engine), PARIS, now=NOW)
    with engine.connect() as conn:
        registry = read_registry(conn)
        stored = read_pledges(conn)
        reqs = read_requirements(conn)
    assert {m.id for m in registry.members} == {m.id for m in loaded.registry.members}
    assert sorted(stored, key=lambda p: p.id) == sorted(loaded.pledges, key=lambda p: p.id)
    assert sorted(reqs, key=lambda r: r.id) == sorted(loaded.requirements, key=lambda r: r.id)
    assert registry.assumptions == loaded.registry.assumptions
    berlin = next(d for d in registry.declarations if d.id == "berlin-2025-12-15")
    assert berlin.signatories[:3] == ("DEU", "FRA", "GBR")
    # loading again changes nothing
    before = _counts(engine)
    load_coalition_scenario(SqlCoalition(engine), PARIS, now=NOW)
    assert _counts(engine) == before


def test_create_all_matches_migrations(engine: Engine, fresh_db: str) -> None:
    """metadata.create_all (tests) and the 0002 migration (``ceasefire init``) agree."""
    created = create_engine(fresh_db)
    metadata.create_all(created)
    for table in (
        "coalition_members", "coalition_areas", "coalition_declarations", "coalition_signatories",
        "coalition_assumptions", "pledges", "pledge_status", "force_requirements",
    ):  # fmt: skip
        cols_m = {c["name"] for c in inspect(engine).get_columns(table)}
        cols_c = {c["name"] for c in inspect(created).get_columns(table)}
        assert cols_m == cols_c, table


BAD_LAST = """\
pledges:
  - id: NEW-1
    nation: GBR
    capability: frigate
    units: 1
    readiness_days: 10
    source: test
    as_of: 2026-01-20
  - id: NEW-2
    nation: XXX
    capability: frigate
    units: 1
    readiness_days: 10
    source: test
    as_of: 2026-01-20
"""


def test_import_is_all_or_nothing(engine: Engine, tmp_path: Path) -> None:
    load_coalition_scenario(SqlCoalition(engine), PARIS, now=NOW)
    before = _counts(engine)
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_LAST)
    with pytest.raises(RefusedFileError) as info:
        import_pledge_file(SqlCoalition(engine), bad, now=NOW)
    assert (info.value.line, info.value.rule) == (10, "unknown-nation")
    assert _counts(engine) == before  # NEW-1 was valid but is not loaded either
    good = tmp_path / "good.yaml"
    good.write_text(BAD_LAST.replace("XXX", "NOR"))
    assert [p.id for p in import_pledge_file(SqlCoalition(engine), good, now=NOW)] == [
        "NEW-1",
        "NEW-2",
    ]
    assert _counts(engine) == (before[0] + 2, before[1] + 2)
    with pytest.raises(RefusedFileError) as again:
        import_pledge_file(SqlCoalition(engine), good, now=NOW)  # never overwritten
    assert again.value.rule == "duplicate-id"


def test_import_needs_a_registry(engine: Engine, tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(BAD_LAST.replace("XXX", "NOR"))
    with pytest.raises(StoreError):
        import_pledge_file(SqlCoalition(engine), good, now=NOW)


def test_status_history_only_grows(engine: Engine) -> None:
    load_coalition_scenario(SqlCoalition(engine), PARIS, now=NOW)

    def change(status: PledgeStatus, day: int) -> StatusChange:
        return StatusChange(status, datetime(2026, 3, day, tzinfo=UTC), "MoD", f"minute {day}")

    store = SqlCoalition(engine)
    assert append_status(store, "GBR-MECH", change(PledgeStatus.APPROVED, 1)) == 2
    assert append_status(store, "GBR-MECH", change(PledgeStatus.DEPLOYED, 9)) == 3
    for bad, rule in (
        (change(PledgeStatus.GENERATED, 10), "status-ladder"),  # backwards
        (change(PledgeStatus.WITHDRAWN, 5), "status-ladder"),  # before the last rung
    ):
        with pytest.raises(InputError) as info:
            append_status(store, "GBR-MECH", bad)
        assert info.value.rule == rule
    append_status(store, "GBR-MECH", change(PledgeStatus.WITHDRAWN, 20))
    with pytest.raises(InputError):
        append_status(store, "GBR-MECH", change(PledgeStatus.DEPLOYED, 21))
    with pytest.raises(NotFoundError):
        append_status(store, "NOPE", change(PledgeStatus.DEPLOYED, 21))
    with engine.connect() as conn:
        gbr = next(p for p in read_pledges(conn) if p.id == "GBR-MECH")
    assert [c.status for c in gbr.history] == [
        PledgeStatus.INTENT,
        PledgeStatus.COMMITTED,
        PledgeStatus.APPROVED,
        PledgeStatus.DEPLOYED,
        PledgeStatus.WITHDRAWN,
    ]
    assert gbr.history[2].by == "MoD"
    assert gbr.history[2].source == "minute 1"
    assert gbr.history[0].at == datetime(2025, 3, 2, tzinfo=UTC)


def test_every_rung_goes_on_the_ledger_chain(engine: Engine) -> None:
    """Pledge rungs are fact-changing events: each is chained in the same transaction."""

    def entries() -> list[tuple[str, str, dict[str, object]]]:
        with engine.connect() as conn:
            rows = conn.execute(
                select(ledger_entries)
                .where(ledger_entries.c.event_type == EventType.PLEDGE_STATUS)
                .order_by(ledger_entries.c.seq)
            ).all()
        return [(r.subject_id, str(r.seq), orjson.loads(r.payload)) for r in rows]

    scenario = load_coalition_scenario(SqlCoalition(engine), PARIS, now=NOW)
    assert len(entries()) == sum(len(p.history) for p in scenario.pledges)
    append_status(
        SqlCoalition(engine),
        "DEU-AD",
        StatusChange(PledgeStatus.APPROVED, NOW, "Bundestag", "vote record"),
        now=NOW,
    )
    last = entries()[-1]
    assert last[0] == "DEU-AD"
    assert last[2]["status"] == "approved"
    assert last[2]["by"] == "Bundestag"
    refused = StatusChange(PledgeStatus.INTENT, NOW, "x", "y")
    with pytest.raises(InputError):  # refused: nothing chained
        append_status(SqlCoalition(engine), "DEU-AD", refused, now=NOW)
    assert entries()[-1] == last
