"""Report ownership in the ingest: keys scoped per submitting nation, amendments by owners only.

The attacker's view is what ``ingest_files`` answers: the counts and, for every quarantined
record, its line, field, rule and message (exactly what ``POST /api/reports`` returns). The
invariant: whatever other nations stored, an account's answers are those of the world in
which only its own nation ever sent anything, and other nations' reports never change.
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count as counter
from itertools import groupby
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pipeline_helpers import Clones, count_rows, make_report, open_mini, query, write_ndjson
from typer.testing import CliRunner

from ceasefire.access.model import Role
from ceasefire.api.accounts import create_account
from ceasefire.cli.main import app
from ceasefire.errors import InputError
from ceasefire.pipeline.ingest import Quarantined, ingest_files
from ceasefire.reports.gazetteer import Gazetteer
from ceasefire.reports.model import Classification
from ceasefire.store.access_port import SqlAccess
from ceasefire.store.base import SYSTEM_SUBMITTER, Submitter
from ceasefire.store.core_store import CoreStore

GAZETTEER = Gazetteer.default()
FRA_1, FRA_2 = Submitter("FRA", 1), Submitter("FRA", 2)
GBR = Submitter("GBR", 3)
USA_1, USA_2 = Submitter("USA", 4), Submitter("USA", 5)
USA_2_DELEGATED = Submitter("USA", 5, delegate=True)

Answer = tuple[dict[str, int], list[Quarantined]]


def send(
    store: CoreStore, folder: Path, by: Submitter, reports: list[dict[str, Any]], **kw: Any
) -> Answer:
    """Ingest ``reports`` as ``by``; what the sender is told."""
    path = write_ndjson(folder / f"batch-{next(_FILES)}.ndjson", reports)
    told: list[Quarantined] = []
    summary = ingest_files(
        store, [path], gazetteer=GAZETTEER, submitter=by, quarantined=told, fuse=False, **kw
    )
    return summary.counts(), told


_FILES = counter()


def owned_rows(db: str, *, not_of: str) -> list[tuple[Any, ...]]:
    """Reports (with status) and incident statuses of every principal but ``not_of``."""
    return query(
        db,
        "SELECT r.pk, r.submitter, r.source, r.id, r.status, r.count, i.status "
        "FROM reports AS r LEFT JOIN incident_reports AS ir ON ir.report_pk = r.pk "
        "LEFT JOIN incidents AS i ON i.pk = ir.incident_pk "
        "WHERE r.submitter != :not_of ORDER BY r.pk, i.pk",
        {"not_of": not_of},
    )


REPORT = st.builds(
    lambda rid, source, n, amends, withdrawn: make_report(
        id=rid,
        source=source,
        count=n,
        amends=amends,
        withdrawn=True if withdrawn and amends else None,
    ),
    st.sampled_from(["a", "b", "c"]),
    st.sampled_from(["op-1", "op-2"]),
    st.integers(1, 2),
    st.sampled_from([None, None, "a", "b", "c", "zz"]),
    st.booleans(),
)
EXISTING = st.lists(
    st.tuples(st.sampled_from([FRA_1, FRA_2, GBR, USA_1, SYSTEM_SUBMITTER]), REPORT), max_size=10
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    existing=EXISTING,
    attacker=st.sampled_from([USA_1, USA_2, USA_2_DELEGATED]),
    guesses=st.lists(st.lists(REPORT, min_size=1, max_size=5), min_size=1, max_size=3),
    chunk=st.integers(1, 4),
)
def test_answers_do_not_depend_on_other_nations_reports(  # noqa: PLR0917 - hypothesis
    mini_clones: Clones,
    tmp_path_factory: pytest.TempPathFactory,
    existing: list[tuple[Submitter, dict[str, Any]]],
    attacker: Submitter,
    guesses: list[list[dict[str, Any]]],
    chunk: int,
) -> None:
    work = tmp_path_factory.mktemp("worlds")
    answers: list[list[Answer]] = []
    # the mixed world, where every nation sent its reports, and the one where only USA did
    for db, only_usa in zip(mini_clones.as_built(2), (False, True), strict=True):
        store = open_mini(db)
        sent = [e for e in existing if not only_usa or e[0].principal == "USA"]
        try:
            for by, group in groupby(sent, key=lambda e: e[0]):
                send(store, work, by, [r for _, r in group])
            others = owned_rows(db, not_of="USA")
            answers.append(
                [send(store, work, attacker, batch, chunk_size=chunk) for batch in guesses]
            )
            assert owned_rows(db, not_of="USA") == others  # nothing of theirs changed
        finally:
            store.close()
    mixed, alone = answers
    assert mixed == alone


def test_the_same_key_is_one_report_per_nation(mini_db: str, tmp_path: Path) -> None:
    store = open_mini(mini_db)
    try:
        original = make_report(id="r1", count=3)
        assert send(store, tmp_path, FRA_1, [original])[0]["accepted"] == 1
        # a copy (same content) and a different report under the same key, by two nations
        assert send(store, tmp_path, USA_1, [original])[0]["accepted"] == 1
        assert send(store, tmp_path, GBR, [make_report(id="r1", count=5)])[0]["accepted"] == 1
        # in its own scope a re-send is a duplicate and other content is quarantined
        counts, told = send(store, tmp_path, FRA_2, [original, make_report(id="r1", count=4)])
        assert (counts["duplicates"], counts["quarantined"]) == (1, 1)
        assert [(f, r) for _, f, r, _ in told] == [("id", "duplicate_id_different_content")]
        # the owner withdraws its own report: only FRA's goes; the copies stay
        withdraw = make_report(id="w1", amends="r1", withdrawn=True)
        assert send(store, tmp_path, FRA_1, [withdraw])[0]["withdrawn"] == 1
    finally:
        store.close()
    rows = query(
        mini_db,
        "SELECT submitter, submitter_pk, id, status FROM reports WHERE id = 'r1' ORDER BY pk",
    )
    assert rows == [
        ("FRA", 1, "r1", "withdrawn"),
        ("USA", 4, "r1", "active"),
        ("GBR", 3, "r1", "active"),
    ]


def test_a_non_owner_of_the_same_nation_is_answered_as_for_an_unused_key(
    mini_db: str, tmp_path: Path
) -> None:
    store = open_mini(mini_db)
    try:
        send(store, tmp_path, FRA_1, [make_report(id="r1")])
        withdraw = make_report(id="w1", amends="r1", withdrawn=True)
        unused = make_report(id="w1", amends="r9", withdrawn=True)
        refused = send(store, tmp_path, FRA_2, [withdraw])
        never = send(store, tmp_path, FRA_2, [unused])
        assert refused[0] == never[0]
        assert (
            [q[1:3] for q in refused[1]]
            == [q[1:3] for q in never[1]]
            == [("amends", "unknown_report")]
        )
        assert refused[1][0][3] == "no earlier report 'r1' from source 'op-1'"
        assert (
            send(store, tmp_path, Submitter("FRA", 2, delegate=True), [withdraw])[0]["withdrawn"]
            == 1
        )
    finally:
        store.close()


def test_quarantine_keeps_one_row_per_sender_and_names_it(
    mini_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same bad line from two nations: two rows, each answered to its sender in full."""
    monkeypatch.delenv("CEASEFIRE_DB", raising=False)
    bad = make_report(id="x", lat=91.0)
    store = open_mini(mini_db)
    try:
        answers = [send(store, tmp_path, by, [bad])[1] for by in (FRA_1, USA_1, USA_2, FRA_1)]
    finally:
        store.close()
    assert all(told == answers[0] for told in answers)
    assert [(f, r) for _, f, r, _ in answers[0]] == [("lat", "range")]
    code, out, _ = run(mini_db, "quarantine", "--json")
    assert code == 0
    assert [item["submitter"] for item in orjson.loads(out)] == ["FRA", "USA"]


def run(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", db, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_cli_ingest_as_records_the_account_and_its_nation(
    mini_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CEASEFIRE_DB", raising=False)
    store = open_mini(mini_db)
    made = create_account(
        SqlAccess(store.engine),
        name="fra-mon",
        nation="FRA",
        organisation=None,
        clearance=Classification.SECRET,
        roles=[Role.MONITOR],
        password=None,
        now=datetime.now(UTC),
    )
    store.close()
    path = write_ndjson(tmp_path / "a.ndjson", [make_report(id="r1")])
    assert run(mini_db, "ingest", str(path), "--as", "fra-mon", "--json")[0] == 0
    code, out, _ = run(mini_db, "ingest", str(path), "--json")  # the HQ's own scope
    assert code == 0
    assert orjson.loads(out)["accepted"] == 1
    code, out, _ = run(mini_db, "ingest", str(path), "--as", "fra-mon", "--json")
    assert orjson.loads(out)["duplicates"] == 1
    code, _, err = run(mini_db, "ingest", str(path), "--as", "nobody")
    assert code == 2
    assert "nobody" in err
    assert "[unknown_user]" in err or "unknown_user" in err
    rows = query(mini_db, "SELECT submitter, submitter_pk FROM reports ORDER BY pk")
    assert rows == [("FRA", made.user.pk), ("HQ", None)]


def test_users_delegate_grants_and_revokes(mini_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CEASEFIRE_DB", raising=False)
    for name, nation in (("fra-a", "FRA"), ("usa-a", "USA")):
        assert run(mini_db, "users", "add", name, "--nation", nation, "--role", "monitor")[0] == 0
    code, out, _ = run(mini_db, "users", "delegate", "--nation", "FRA", "--to", "fra-a")
    assert (code, out.strip()) == (0, "delegation of fra-a by FRA: granted")
    code, out, _ = run(mini_db, "users", "delegate", "--nation", "FRA", "--to", "fra-a")
    assert out.strip() == "delegation of fra-a by FRA: already granted"
    code, _, err = run(mini_db, "users", "delegate", "--nation", "FRA", "--to", "usa-a")
    assert code == 2
    assert "other_principal" in err
    code, out, _ = run(mini_db, "users", "delegate", "--nation", "FRA", "--to", "fra-a", "--revoke")
    assert out.strip() == "delegation of fra-a by FRA: revoked"
    assert count_rows(mini_db, "report_delegations") == 0
    chained = query(
        mini_db,
        "SELECT payload FROM ledger_entries WHERE event_type = 'report.delegation' ORDER BY seq",
    )
    assert [orjson.loads(str(p))["granted"] for (p,) in chained] == [True, False]


def test_the_hq_principal_is_reserved(mini_db: str) -> None:
    store = open_mini(mini_db)
    try:
        with pytest.raises(InputError, match=r"\[reserved\]"):
            create_account(
                SqlAccess(store.engine),
                name="fake-hq",
                nation="HQ",
                organisation=None,
                clearance=Classification.SECRET,
                roles=[Role.MONITOR],
                password=None,
                now=datetime.now(UTC),
            )
    finally:
        store.close()
