"""From a report to an alert, its obligations and the signed record, with the real commands.

``init`` → ``agreement load`` (the mini agreement) → ``guarantees load`` → ``ingest`` a file
that breaks a rule: the alert and its obligations exist as soon as the ingest returns, the
ledger chains the accepted reports, the quarantined line, the trigger and the obligations, a
nation can verify an export offline, and sending the same file again chains nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pipeline_helpers import MINI_AGREEMENT, column, make_report, query, write_ndjson
from typer.testing import CliRunner, Result

from ceasefire.cli.main import app

# A consult-within-24-h instrument over the mini agreement: a breach of severity >= 2 (R1, any
# explosion after 1 March 2026), as reported, opens an obligation for the UK.
GUARANTEES = """\
version: 1
ceasefire: {in_force_from: 2026-03-01T00:00:00Z}
instruments:
  - id: mini-bilateral
    title: A bilateral consultation promise over the mini agreement (test)
    parties: {guarantors: [GBR], beneficiary: UKR}
    legal_form: political
    entry_into_force:
      - {kind: ceasefire_in_force}
    triggers:
      - {id: breach, kind: breach, min_severity: 2, min_verification: reported, level: red}
    obligations:
      - {id: consult-24h, trigger: breach, owner: GBR, kind: consult, level: 0, due_h: 24,
         text: Consult within 24 hours}
"""


@dataclass(frozen=True)
class Cli:
    """The ``ceasefire`` command on one (empty) database; files go to the test's folder."""

    db: str
    runner: CliRunner


@pytest.fixture
def run(fresh_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CEASEFIRE_DB", raising=False)
    return Cli(fresh_db, CliRunner())


def ok(cli: Cli, *args: str) -> Result:
    result = cli.runner.invoke(app, ["--db", cli.db, *args])
    assert result.exit_code == 0, (args, result.output)
    return result


def ledger_types(db: str) -> list[str]:
    return [str(t) for t in column(db, "SELECT event_type FROM ledger_entries ORDER BY 1")]


def test_a_breach_ingested_raises_an_alert_and_everything_is_on_the_chain(
    run: Cli, tmp_path: Path
) -> None:
    (tmp_path / "guarantees.yaml").write_text(GUARANTEES)
    reports = write_ndjson(
        tmp_path / "breach.ndjson",
        [
            make_report(id="b1", observed_at="2026-03-10T10:00:00Z"),  # breaks R1 (severity 2)
            make_report(id="q1", category="no-such-category"),  # quarantined
        ],
    )
    ok(run, "init")
    ok(run, "agreement", "load", str(MINI_AGREEMENT))
    ok(run, "guarantees", "load", "guarantees.yaml")

    ingested = ok(run, "ingest", "--json", str(reports))
    summary = json.loads(ingested.output)
    assert (summary["accepted"], summary["quarantined"], summary["alerts"]) == (1, 1, 1)

    db = run.db
    alerts = query(db, "SELECT id, trigger_id FROM guarantee_alerts")
    obligations = query(db, "SELECT alert_id, owner, kind FROM guarantee_obligations")
    accepted = column(db, "SELECT payload FROM ledger_entries WHERE event_type = 'report.accepted'")
    [raw] = column(db, "SELECT raw FROM reports WHERE id = 'b1'")
    assert [trigger for _, trigger in alerts] == ["breach"]
    assert obligations == [(alerts[0][0], "GBR", "consult")]
    [payload] = accepted
    [(source, report_id, digest)] = json.loads(str(payload))["reports"]
    assert (source, report_id) == ("op-1", "b1")
    # a nation holding the report as received can check that this is what was chained
    assert digest == hashlib.sha256(str(raw).encode("utf-8")).hexdigest()
    types = set(ledger_types(db))
    assert {"report.accepted", "report.quarantined", "trigger.fired", "obligation.state"} <= types
    rows = query(db, "SELECT event_type, marking FROM ledger_entries")
    markings = {str(row[0]): row[1] for row in rows}
    # the alert and its obligation are marked as their evidence (b1: the default audience)
    assert markings["trigger.fired"] == markings["obligation.state"] == '[["UNCLASSIFIED",""]]'
    assert markings["report.quarantined"] is None  # HQ only

    ok(run, "keys", "add", "--hq")
    ok(run, "ledger", "checkpoint")
    ok(run, "ledger", "export", "--out", "ledger.jsonl")
    hq_key = next(str(p) for p in (tmp_path / "keys").glob("HQ-*.pub.json"))
    verified = ok(run, "ledger", "verify", "ledger.jsonl", "--trust-key", hq_key)
    assert "FAILED" not in verified.output
    exported = (tmp_path / "ledger.jsonl").read_text().splitlines()
    assert sum('"type":"trigger.fired"' in line for line in exported) == 1

    before = ledger_types(db)
    again = json.loads(ok(run, "ingest", "--json", str(reports)).output)
    assert (again["accepted"], again["duplicates"], again["alerts"]) == (0, 1, 0)
    assert ledger_types(db) == before  # the re-sent file chains nothing


def cases(runner: Cli) -> list[dict[str, object]]:
    doc = json.loads(ok(runner, "guarantees", "cases", "--json").output)
    found: list[dict[str, object]] = doc["cases"]
    return found


def test_a_special_commission_case_follows_the_attribution_records(
    run: Cli, tmp_path: Path
) -> None:
    """breach alert → case; ``attribution propose/decide/remedy`` move it, each step naming
    fusion's record, and ``guarantees explain`` shows where the case stands."""
    text = GUARANTEES.replace(
        "    legal_form: political\n", "    legal_form: political\n    special_commission: true\n"
    )
    (tmp_path / "guarantees.yaml").write_text(text)
    reports = write_ndjson(
        tmp_path / "breach.ndjson", [make_report(id="b1", observed_at="2026-03-10T10:00:00Z")]
    )
    ok(run, "init")
    ok(run, "agreement", "load", str(MINI_AGREEMENT))
    ok(run, "guarantees", "load", "guarantees.yaml")
    ok(run, "ingest", str(reports))
    [case] = cases(run)
    assert (case["stage"], case["fact"]) == ("breach", "I-1")

    ok(
        run,
        "attribution",
        "propose",
        "1",
        "--by",
        "analyst-1",
        "--party",
        "RUS",
        "--basis",
        "origin",
    )
    # the command itself moved the case (chained), before anyone asks for the cases
    assert ledger_types(run.db).count("case.stage") == 1
    [case] = cases(run)
    steps: Any = case["steps"]
    assert case["stage"] == "attribution_proposed"
    assert (steps[-1]["party"], steps[-1]["attribution"], steps[-1]["by"]) == (
        "RUS",
        "attribution-1",
        "analyst-1",
    )

    ok(run, "attribution", "decide", "1", "--decision", "upheld", "--by", "commissioner-1")
    assert cases(run)[0]["stage"] == "attributed"
    ok(run, "attribution", "remedy", "1", "--remedy", "withdraw the battery", "--by", "c-2")
    [case] = cases(run)
    steps = case["steps"]
    assert case["stage"] == "remedy_determined"
    assert [s["stage"] for s in steps] == [
        "breach",
        "attribution_proposed",
        "attributed",
        "remedy_determined",
    ]
    assert steps[-1]["attribution"] == "attribution-1/decision-1/remedy-1"
    assert steps[-1]["remedy"] == "withdraw the battery"
    assert cases(run) == [case]  # linked once

    explained = ok(run, "guarantees", "explain", str(case["alert"])).output
    assert "remedy_determined" in explained
    assert "attribution-1/decision-1" in explained
    assert ledger_types(run.db).count("case.stage") == 3
