"""Ownership of reports, tried as an attacker would: ``POST /api/reports`` under other keys.

A FRA monitor files a SECRET report of a shot inside the mini agreement's zone. Other accounts
then send amendments, withdrawals and re-sends under the same ``(source, id)``. The report and
its incident must stay as they are unless the sender owns the key (or was delegated), and every
answer an outsider gets must be byte for byte the answer of a world where the key was never
used: the second world is a second HQ on a copy of the same template database.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from api_helpers import HQ, FreshHQDB, fresh_hq, report
from db_rows import RawDB

from ceasefire.access.model import Role
from ceasefire.errors import InputError
from ceasefire.reports.model import Classification
from ceasefire.store.ownership import set_delegation
from ceasefire.store.queries import engine_of

SECRET_FRA = report("r1", source="OP-1", classification="SECRET", releasable_to=["FRA"], count=3)
WITHDRAW = report("w1", source="OP-1", amends="r1", withdrawn=True)
AMEND = report("a1", source="OP-1", amends="r1", count=4)


@pytest.fixture
def twin(hq_db: FreshHQDB, tmp_path: Path) -> Iterator[HQ]:
    """A second, independent HQ: the world in which FRA never sent anything."""
    with fresh_hq(hq_db, tmp_path / "twin") as found:
        yield found


def accounts(hq: HQ) -> dict[str, dict[str, str]]:
    """The same accounts, created in the same order, in either world."""
    monitor = [Role.MONITOR]
    return {
        "fra-mon": hq.user("fra-mon", nation="FRA", roles=monitor),
        "fra-other": hq.user("fra-other", nation="FRA", roles=monitor),
        "usa-mon": hq.user(
            "usa-mon", nation="USA", clearance=Classification.UNCLASSIFIED, roles=monitor
        ),
        "fra-reader": hq.user("fra-reader", nation="FRA"),
    }


def post(hq: HQ, headers: dict[str, str], *reports: dict[str, Any]) -> bytes:
    """The raw answer to a batch, after checking it was answered at all."""
    body = b"".join(orjson.dumps(r) + b"\n" for r in reports)
    answer = hq.client.post(
        "/api/reports", content=body, headers={**headers, "Content-Type": "application/x-ndjson"}
    )
    assert answer.status_code == 200, answer.text
    return bytes(answer.content)


def stored(hq: HQ) -> list[tuple[Any, ...]]:
    """Every stored report's key, owner and status, and every incident's status."""
    with RawDB(hq.db) as conn:
        reports = conn.execute(
            "SELECT submitter, source, id, status, count FROM reports ORDER BY pk"
        ).fetchall()
        incidents = conn.execute("SELECT pk, status FROM incidents ORDER BY pk").fetchall()
    return [*reports, *incidents]


def fra_view(hq: HQ, reader: dict[str, str]) -> bytes:
    """What a FRA reader is shown: the incident list and the report list, as bytes."""
    incidents = hq.client.get("/api/incidents", headers=reader)
    reports = hq.client.get("/api/reports", headers=reader)
    return bytes(incidents.content) + b"\n" + bytes(reports.content)


@pytest.fixture
def world(hq: HQ, twin: HQ) -> tuple[HQ, HQ, dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """``hq`` holds FRA's SECRET report (one active incident with a violation); ``twin`` not."""
    users, twin_users = accounts(hq), accounts(twin)
    first = orjson.loads(post(hq, users["fra-mon"], SECRET_FRA))
    assert (first["accepted"], first["quarantined"]) == (1, 0)
    items = hq.client.get("/api/incidents", headers=users["fra-reader"]).json()["items"]
    assert len(items) == 1
    assert items[0]["rules"], "the report breaks a rule of the mini agreement"
    return hq, twin, users, twin_users


@pytest.mark.parametrize("attacker", ["usa-mon", "fra-other"])
@pytest.mark.parametrize("attempt", [WITHDRAW, AMEND], ids=["withdraw", "amend"])
def test_an_account_that_does_not_own_a_key_cannot_change_it_nor_tell_it_exists(
    world: tuple[HQ, HQ, dict[str, dict[str, str]], dict[str, dict[str, str]]],
    attacker: str,
    attempt: dict[str, Any],
) -> None:
    hq, twin, users, twin_users = world
    before, view = stored(hq), fra_view(hq, users["fra-reader"])
    answer = post(hq, users[attacker], attempt)
    unused = post(twin, twin_users[attacker], attempt)
    assert answer == unused  # byte for byte: nothing tells the key is used
    refused = orjson.loads(answer)
    assert (refused["accepted"], refused["quarantined"]) == (0, 1)
    assert [(r["field"], r["rule"]) for r in refused["rejected"]] == [("amends", "unknown_report")]
    assert stored(hq) == before
    assert fra_view(hq, users["fra-reader"]) == view


def test_a_resend_of_another_nations_key_is_a_new_report_of_the_senders_nation(
    world: tuple[HQ, HQ, dict[str, dict[str, str]], dict[str, dict[str, str]]],
) -> None:
    hq, twin, users, twin_users = world
    before = stored(hq)
    changed = {**SECRET_FRA, "count": 9}
    for body in (SECRET_FRA, changed):  # the same content, then other content
        answer = post(hq, users["usa-mon"], body)
        assert answer == post(twin, twin_users["usa-mon"], body)
        assert orjson.loads(answer)["duplicates"] == 0
    # the USA copy is USA's own report; FRA's report and incident are as they were
    rows = stored(hq)
    assert [r for r in rows if r[0] == "FRA"] == [r for r in before if r[0] == "FRA"]
    assert ("USA", "OP-1", "r1", "active", 3) in rows
    mine = orjson.loads(post(hq, users["usa-mon"], SECRET_FRA))
    assert mine["duplicates"] == 1  # a re-send in one's own scope is a duplicate


def test_the_submitter_amends_then_withdraws_its_report(
    world: tuple[HQ, HQ, dict[str, dict[str, str]], dict[str, dict[str, str]]],
) -> None:
    hq, _, users, _ = world
    amended = orjson.loads(post(hq, users["fra-mon"], AMEND))
    assert (amended["accepted"], amended["quarantined"]) == (1, 0)
    assert ("FRA", "OP-1", "r1", "amended", 3) in stored(hq)
    reader = users["fra-reader"]
    (item,) = hq.client.get("/api/incidents", headers=reader).json()["items"]
    assert item["count_best"] == 4  # the amendment's incident replaced the original's
    withdrawn = orjson.loads(post(hq, users["fra-mon"], WITHDRAW))
    assert (withdrawn["accepted"], withdrawn["quarantined"]) == (1, 0)
    assert ("FRA", "OP-1", "r1", "withdrawn", 3) in stored(hq)


def test_a_delegated_account_of_the_nation_may_amend_and_revoking_ends_it(
    world: tuple[HQ, HQ, dict[str, dict[str, str]], dict[str, dict[str, str]]],
) -> None:
    hq, _, users, _ = world
    engine, now = engine_of(hq.state.store), datetime.now(UTC)
    assert set_delegation(engine, principal="FRA", name="fra-other", granted=True, now=now)
    amended = orjson.loads(post(hq, users["fra-other"], AMEND))
    assert (amended["accepted"], amended["quarantined"]) == (1, 0)
    assert ("FRA", "OP-1", "r1", "amended", 3) in stored(hq)
    assert set_delegation(engine, principal="FRA", name="fra-other", granted=False, now=now)
    again = orjson.loads(post(hq, users["fra-other"], report("a2", source="OP-1", amends="r1")))
    assert [r["rule"] for r in again["rejected"]] == ["unknown_report"]
    own = orjson.loads(post(hq, users["fra-other"], report("a3", source="OP-1", amends="a1")))
    assert (own["accepted"], own["quarantined"]) == (1, 0)  # its own amendment stays its own
    # a nation delegates only its own accounts: another nation's would reach nothing
    with pytest.raises(InputError, match=r"\[other_principal\]"):
        set_delegation(engine, principal="FRA", name="usa-mon", granted=True, now=now)
    with RawDB(hq.db) as conn:
        chained = conn.execute(
            "SELECT count(*) FROM ledger_entries WHERE event_type = 'report.delegation'"
        )[0][0]
    assert chained == 2


def test_a_repeated_bad_line_gets_the_same_answer_whoever_sent_it_first(
    world: tuple[HQ, HQ, dict[str, dict[str, str]], dict[str, dict[str, str]]],
) -> None:
    """The quarantine keeps one row per text and reason; the answer must not show that."""
    hq, twin, users, twin_users = world
    bad = report("x1", source="OP-9", lat=91.0)
    post(hq, users["fra-mon"], bad)
    answer = post(hq, users["usa-mon"], bad)
    assert answer == post(twin, twin_users["usa-mon"], bad)
    assert len(orjson.loads(answer)["rejected"]) == 1
