"""Ratifications recorded with ``ceasefire guarantees ratify``: checked, kept as history,
chained in the ledger, and entry into force follows them (ceasefire in force AND every named
party ratified)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from sqlalchemy import create_engine
from sqlalchemy import text as sa_text
from typer.testing import CliRunner, Result

from ceasefire.cli.main import app
from ceasefire.guarantees.activation import activation_of
from ceasefire.guarantees.loader import parse_instruments
from ceasefire.guarantees.model import RatificationStatus
from ceasefire.guarantees.ratification import (
    RecordedRatification,
    ratification_of,
    with_ratifications,
)

# Far ahead of any wall clock the tests run at: a record made "now" counts at these moments.
GUARANTEES = """\
version: 1
ceasefire: {in_force_from: 2099-12-01T00:00:00Z}
instruments:
  - id: pact
    title: A pact that needs Ukraine and France to ratify (test)
    parties: {guarantors: [FRA, DEU], beneficiary: UKR}
    legal_form: legally_binding
    entry_into_force:
      - {kind: ceasefire_in_force}
      - {kind: ratification, parties: [UKR, FRA]}
    ratifications:
      - {party: UKR, status: ratified, date: 2099-11-20, source: {note: Rada vote}}
      - {party: FRA, status: signed, date: 2099-11-01, source: {note: signed in Paris}}
    triggers:
      - {id: breach, kind: breach, min_severity: 2, level: red}
"""


def invoke(db: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", db, *args])


def in_force(db: str, at: str) -> tuple[bool, str]:
    result = invoke(db, "guarantees", "status", "--at", at, "--json")
    assert result.exit_code == 0, result.output
    [pact] = orjson.loads(result.output)["instruments"]
    return pact["active"], pact["why"]


def test_ratify_records_history_ledger_and_entry_into_force(db: str, tmp_path: Path) -> None:
    (tmp_path / "g.yaml").write_text(GUARANTEES)
    assert invoke(db, "guarantees", "load", str(tmp_path / "g.yaml")).exit_code == 0
    active, why = in_force(db, "2099-12-05")
    assert not active
    assert "not yet: FRA" in why

    ratified = invoke(
        db,
        *("guarantees", "ratify", "pact", "--party", "FRA", "--status", "ratified"),
        *("--date", "2099-12-03", "--source", "Journal officiel no. 12", "--by", "clerk-1"),
    )
    assert ratified.exit_code == 0, ratified.output
    assert "FRA ratified on 2099-12-03" in ratified.output
    assert in_force(db, "2099-12-05") == (True, "in force since 2099-12-03T00:00:00+00:00")
    assert not in_force(db, "2099-12-02")[0]  # the ceasefire, but not yet France
    shown = invoke(db, "guarantees", "status", "--at", "2099-12-05").output
    assert "ratifications: UKR ratified 2099-11-20, FRA ratified 2099-12-03" in shown

    refused = invoke(
        db,
        *("guarantees", "ratify", "pact", "--party", "FRA", "--status", "refused"),
        *("--source", "https://example.org/annulment"),
    )
    assert refused.exit_code == 0, refused.output
    assert not in_force(db, "2099-12-05")[0]  # the latest record per party counts

    with create_engine(db).connect() as conn:
        history = conn.execute(
            sa_text(
                "SELECT party, status, date, source, by FROM guarantee_ratifications ORDER BY pk"
            )
        ).all()
        chained = conn.execute(
            sa_text(
                "SELECT subject_id FROM ledger_entries WHERE event_type = 'ratification.recorded'"
            )
        ).all()
    assert history == [
        (
            "FRA",
            "ratified",
            "2099-12-03T00:00:00.000000+00:00",
            "Journal officiel no. 12",
            "clerk-1",
        ),
        ("FRA", "refused", None, "https://example.org/annulment", "HQ"),
    ]
    assert chained == [("pact/FRA",), ("pact/FRA",)]


def test_ratify_refuses_what_cannot_be_right(db: str, tmp_path: Path) -> None:
    (tmp_path / "g.yaml").write_text(GUARANTEES)
    assert invoke(db, "guarantees", "load", str(tmp_path / "g.yaml")).exit_code == 0
    base = ("guarantees", "ratify", "pact", "--source", "x")
    cases = {
        ("--party", "DEU", "--status", "ratified", "--date", "2099-12-01"): "needs no ratification",
        ("--party", "FRA", "--status", "ratified"): "needs its date",
        ("--party", "FRA", "--status", "voted"): "is not one of",
    }
    for args, message in cases.items():
        result = invoke(db, *base, *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output
    empty = invoke(
        db, "guarantees", "ratify", "pact", "--party", "FRA", "--status", "signed", "--source", " "
    )
    assert empty.exit_code == 2
    missing = invoke(
        db, "guarantees", "ratify", "nope", "--party", "FRA", "--status", "signed", "--source", "x"
    )
    assert missing.exit_code == 2
    assert "no instrument" in missing.output
    with create_engine(db).connect() as conn:
        assert conn.execute(sa_text("SELECT count(*) FROM guarantee_ratifications")).scalar() == 0


def test_a_record_counts_only_from_when_it_was_recorded() -> None:
    """As known at T: a ratification recorded after T does not put the pact in force at T,
    even when the vote it records is dated earlier."""
    instruments = parse_instruments(GUARANTEES, agreement_in_force_from=lambda _p: None)
    pact = instruments.instrument("pact")
    vote = ratification_of(
        pact,
        party="FRA",
        status=RatificationStatus.RATIFIED,
        date=datetime(2099, 12, 3, tzinfo=UTC),
        source="JO",
    )
    recorded_at = datetime(2099, 12, 10, tzinfo=UTC)
    records = [RecordedRatification("pact", vote, "clerk", recorded_at)]
    ceasefire = instruments.ceasefire_in_force_from
    for as_of, active in ((recorded_at - timedelta(seconds=1), False), (recorded_at, True)):
        seen = with_ratifications(instruments, records, as_of=as_of).instrument("pact")
        assert activation_of(seen, ceasefire).active_at(as_of) is active
