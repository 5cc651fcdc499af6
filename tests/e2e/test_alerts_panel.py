"""The alerts panel: the guarantee alerts a reader may be told of, with their obligations'
countdowns, each linked to the incidents that made it true.

A fresh HQ (the seed reports of ``e2e_hq``) with the paris-2026 guarantees loaded before the
ingest. A breach needs a verified incident: the American analyst verifies the artillery
incident (``usa-1``, releasable to the USA only), the French analyst a default-releasable
one (``def-1``), through the API as in the panel, then ``guarantees evaluate`` brings the
record up (the live evaluator is told of the new states). The artillery's alerts are listed
for the American analyst and not for the French one (the stream's and CoT gateway's rule,
applied by ``/api/alerts``). Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from e2e_hq import (
    AGREEMENT,
    HQ,
    REPO,
    Account,
    add_user,
    ingest_seed,
    run_cli,
    start_server,
    stop_server,
)
from playwright.sync_api import Page, expect

ARTIFACTS = Path(__file__).parent / "artifacts"
GUARANTEES = REPO / "scenarios" / "paris-2026" / "guarantees.yaml"


@pytest.fixture(scope="module")
def guarded_hq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HQ]:
    folder = tmp_path_factory.mktemp("alerts")
    db = folder / "hq.db"
    run_cli(db, "init")
    accounts = {
        "fra": add_user(db, "fra-analyst", "FRA", "analyst"),
        "usa": add_user(db, "usa-analyst", "USA", "analyst"),
    }
    run_cli(db, "agreement", "load", str(AGREEMENT))
    run_cli(db, "guarantees", "load", str(GUARANTEES))
    ingest_seed(db, folder, datetime.now(UTC))
    process, url = start_server(db, folder / "serve.log")
    try:
        hq = HQ(url=url, db=db, accounts=accounts)
        for nation, report in (("usa", "usa-1"), ("fra", "def-1")):
            with hq.client(accounts[nation]) as api:
                answer = api.post(f"/api/incidents/{incident_of(db, report)}/verify", json={})
                assert answer.status_code == 200, answer.text
        run_cli(db, "guarantees", "evaluate")
        yield hq
    finally:
        stop_server(process)


def log_in_at(url: str, page: Page, account: Account) -> Page:
    """``conftest.log_in_at`` (a conftest is not imported by name: mypy takes the root one)."""
    page.goto(f"{url}/")
    page.wait_for_url("**/login**")
    page.get_by_test_id("login-name").fill(account.name)
    page.get_by_test_id("login-password").fill(account.password)
    page.get_by_test_id("login-submit").click()
    page.wait_for_selector("body[data-ready='1']", timeout=15_000)
    return page


def incident_of(db: Path, report_id: str) -> int:
    """The active incident holding the report ``report_id``."""
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT i.pk FROM incidents i JOIN incident_reports ir ON ir.incident_pk = i.pk "
            "JOIN reports r ON r.pk = ir.report_pk WHERE r.id = ? AND i.status = 'active'",
            (report_id,),
        ).fetchone()
    return int(row[0])


def panel_of(hq: HQ, page: Page, account: Account, name: str) -> list[dict[str, object]]:
    """Wait for the panel to match /api/alerts for ``account``; a screenshot; the API's alerts."""
    with hq.client(account) as api:
        expected = api.get("/api/alerts", params={"limit": 30}).json()["alerts"]
    expect(page.get_by_test_id("alert")).to_have_count(len(expected))
    shown = page.get_by_test_id("alert").evaluate_all("items => items.map(i => i.dataset.alertId)")
    assert shown == [a["id"] for a in expected]
    ARTIFACTS.mkdir(exist_ok=True)
    page.get_by_test_id("alerts").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"alerts-{name}.png"))
    return list(expected)


def test_alerts_listed_with_countdowns_and_linked_to_incidents(
    guarded_hq: HQ, new_page: Callable[[], Page]
) -> None:
    page = log_in_at(guarded_hq.url, new_page(), guarded_hq.accounts["usa"])
    alerts = panel_of(guarded_hq, page, guarded_hq.accounts["usa"], "usa")
    assert alerts
    owed = [o for a in alerts for o in a["obligations"]]  # type: ignore[attr-defined]
    assert owed
    countdowns = page.get_by_test_id("countdown")
    expect(countdowns).to_have_count(len(owed))
    expect(countdowns.first).to_contain_text("due in")
    first = countdowns.first.inner_text()
    page.wait_for_timeout(2_100)
    assert countdowns.first.inner_text() != first  # it counts down

    link = page.get_by_test_id("alert-incident").first
    incident = link.inner_text().lstrip("#")
    link.click()
    panel = page.get_by_test_id("incident-panel")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text(incident)
    page.screenshot(path=str(ARTIFACTS / "alerts-usa-incident.png"))


def test_an_alert_whose_evidence_a_reader_may_not_see_is_not_listed(
    guarded_hq: HQ, new_page: Callable[[], Page]
) -> None:
    with guarded_hq.client(guarded_hq.accounts["usa"]) as api:
        for_usa = {a["id"] for a in api.get("/api/alerts").json()["alerts"]}
    page = log_in_at(guarded_hq.url, new_page(), guarded_hq.accounts["fra"])
    for_fra = {str(a["id"]) for a in panel_of(guarded_hq, page, guarded_hq.accounts["fra"], "fra")}
    assert for_fra  # the verified default-releasable incident's alert
    assert for_fra < for_usa  # the USA-only artillery's alerts are withheld from France
