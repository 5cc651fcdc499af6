"""Appending, checkpointing and countersigning through the service API."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ledger_builders import LEDGER_ID, build_ledger, report_event

from ceasefire.clock import FixedClock
from ceasefire.errors import InputError, NotFoundError
from ceasefire.ledger.canonical import canonical_json
from ceasefire.ledger.keys import generate_key, load_private_key
from ceasefire.ledger.memory import MemoryLedger
from ceasefire.ledger.merkle import merkle_root
from ceasefire.ledger.model import GENESIS_HASH, EventType, KeyRole, LedgerEvent
from ceasefire.ledger.service import (
    LedgerWriter,
    append_events,
    countersign,
    create_checkpoint,
    register_key,
)

CLOCK = FixedClock(datetime(2026, 1, 6, tzinfo=UTC))


def test_batches_continue_one_chain() -> None:
    ledger = MemoryLedger(LEDGER_ID)
    first = append_events(ledger, [report_event(i) for i in range(3)], clock=CLOCK)
    second = LedgerWriter(ledger, CLOCK).append([report_event(3)])
    entries = [*first, *second]
    assert [e.seq for e in entries] == [1, 2, 3, 4]
    assert entries[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.hash


def test_commitment_leaf_and_chain_are_the_documented_hashes() -> None:
    """docs/ledger.md, format v2, recomputed here from the text of the spec."""
    marking = (("SECRET", "FRA"), ("UNCLASSIFIED", ""))
    event = LedgerEvent(
        EventType.TRIGGER_FIRED, "trig-7", {"level": 2, "why": "surge ×10"}, marking=marking
    )
    [entry] = append_events(MemoryLedger(), [event], clock=CLOCK)
    committed = canonical_json(
        {
            "at": "2026-01-06T00:00:00.000000Z",
            "marking": [["SECRET", "FRA"], ["UNCLASSIFIED", ""]],
            "payload": {"level": 2, "why": "surge ×10"},
            "subject": "trig-7",
            "type": "trigger.fired",
        }
    )
    salt = bytes.fromhex(entry.salt)
    assert len(salt) == 32
    body = hashlib.sha256(b"ceasefire-ledger/v2 body\x00" + salt + committed).hexdigest()
    assert entry.body == body
    leaf = canonical_json({"body": body, "hdr": {}, "seq": 1})
    leaf_hash = hashlib.sha256(b"\x00" + leaf).digest()
    chain = hashlib.sha256(b"ceasefire-ledger/v2 chain\x00" + bytes(32) + leaf_hash)
    assert (entry.prev_hash, entry.hash) == (GENESIS_HASH, chain.hexdigest())


def test_every_entry_gets_its_own_salt() -> None:
    entries = append_events(MemoryLedger(), [report_event(1)] * 200, clock=CLOCK)
    assert len({e.salt for e in entries}) == 200
    assert len({e.body for e in entries}) == 200  # equal entries do not show as equal


def test_a_bad_payload_appends_nothing() -> None:
    ledger = MemoryLedger()
    bad = LedgerEvent(EventType.REPORT_ACCEPTED, "r2", {"lat": float("nan")})
    with pytest.raises(InputError) as info:
        append_events(ledger, [report_event(1), bad], clock=CLOCK)
    assert info.value.field == "events[1].payload.lat"
    assert ledger.head().seq == 0


@pytest.mark.parametrize(
    ("event_type", "subject"), [("Report Accepted", "r1"), ("report.accepted", "")]
)
def test_event_names_and_subjects_are_checked(event_type: str, subject: str) -> None:
    with pytest.raises(InputError):
        LedgerEvent(event_type, subject)


def test_checkpoints_cover_consecutive_ranges(tmp_path: Path) -> None:
    built = build_ledger(tmp_path, batches=(5, 4))
    first, second = built.ledger.checkpoints()
    assert (first.first_seq, first.last_seq) == (1, 8)  # 3 key.added + 5 reports
    assert (second.first_seq, second.last_seq) == (9, 12)
    assert second.prev_hash == first.hash
    leaves = [
        canonical_json({"body": e.body, "hdr": {}, "seq": e.seq})
        for e in built.ledger.entries(9, 12)
    ]
    assert second.root == merkle_root(leaves).hex()
    assert second.head == built.ledger.head().hash
    body = {"at": second.at, "first": 9, "head": second.head, "last": 12}
    body |= {"ledger": LEDGER_ID, "prev": first.hash, "root": second.root, "seq": 2}
    statement = b"ceasefire-ledger/v2 checkpoint\n" + canonical_json(body)  # type: ignore[arg-type]
    assert second.hash == hashlib.sha256(statement).hexdigest()
    assert create_checkpoint(built.ledger, built.private["HQ"], clock=built.clock) is None


def test_countersigning_is_idempotent_and_needs_a_registered_nation_key(tmp_path: Path) -> None:
    built = build_ledger(tmp_path, batches=(5, 4))
    assert countersign(built.ledger, built.private["GBR"], clock=built.clock) != []
    assert countersign(built.ledger, built.private["GBR"], clock=built.clock) == []
    with pytest.raises(InputError, match="hq key"):
        countersign(built.ledger, built.private["HQ"], clock=built.clock)
    stranger = generate_key("DEU", KeyRole.NATION, tmp_path / "other", created_at="x")
    with pytest.raises(NotFoundError):
        countersign(built.ledger, load_private_key(stranger.private_path), clock=built.clock)


def test_keys_are_recorded_in_the_chain(tmp_path: Path) -> None:
    ledger = MemoryLedger()
    key = generate_key("FRA", KeyRole.NATION, tmp_path, created_at="2026-01-06T00:00:00.000000Z")
    entry = register_key(ledger, key.public, clock=CLOCK)
    assert (entry.event_type, entry.subject_id) == ("key.added", key.public.fingerprint)
    with pytest.raises(InputError, match="duplicate"):
        register_key(ledger, key.public, clock=CLOCK)


def test_private_keys_are_written_0600_in_a_0700_directory(tmp_path: Path) -> None:
    key = generate_key("HQ", KeyRole.HQ, tmp_path / "keys", created_at="t")
    assert key.private_path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "keys").stat().st_mode & 0o777 == 0o700
    assert b"PRIVATE KEY" in key.private_path.read_bytes()
    assert b"PRIVATE" not in key.public_path.read_bytes()
    with pytest.raises(InputError, match="owner HQ and the hq role"):
        generate_key("HQ", KeyRole.NATION, tmp_path, created_at="t")
