"""Offline verification: keys, trust, truncation, coverage, and the failure it reports."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_builders import BuiltLedger, build_ledger, report_event

from ceasefire.errors import InputError
from ceasefire.ledger.canonical import canonical_json
from ceasefire.ledger.keys import TrustedKey, generate_key, load_trusted_key
from ceasefire.ledger.memory import MemoryLedger
from ceasefire.ledger.model import KeyRole
from ceasefire.ledger.service import append_events, create_checkpoint
from ceasefire.ledger.verify import check_extends, split_lines, verify_bytes, verify_file


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltLedger:
    return build_ledger(tmp_path_factory.mktemp("keys"), batches=(12, 10, 8))


@pytest.fixture(scope="module")
def export(built: BuiltLedger) -> bytes:
    return built.export()


def _trusted(built: BuiltLedger, *owners: str) -> list[TrustedKey]:
    return [load_trusted_key(built.keys[o].public_path) for o in owners]


def _rewrite(export: bytes, index: int, **changes: object) -> bytes:
    """Re-encode line ``index`` canonically with some members changed (a forger's edit)."""
    lines = split_lines(export)
    obj = orjson.loads(lines[index])
    obj.update(changes)
    lines[index] = canonical_json(obj) + b"\n"
    return b"".join(lines)


def test_the_export_verifies_with_every_signer_trusted(built: BuiltLedger, export: bytes) -> None:
    verdict = verify_bytes(export, trusted=_trusted(built, "HQ", "FRA", "GBR"))
    assert verdict.ok, verdict.failure
    assert verdict.trusted
    tallies = {t.owner: t.checkpoints for t in verdict.signers}
    assert tallies == {"HQ": 3, "FRA": 3, "GBR": 2}


def test_a_pem_public_key_is_a_trusted_key_too(built: BuiltLedger, tmp_path: Path) -> None:
    trusted = []
    for owner in ("HQ", "FRA", "GBR"):
        public = built.private[owner].public_key()
        pem = tmp_path / f"{owner}.pem"
        pem.write_bytes(public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
        trusted.append(load_trusted_key(pem))
    assert verify_bytes(built.export(), trusted=trusted).ok


def test_a_signature_by_a_key_outside_the_trusted_set_fails(
    built: BuiltLedger, export: bytes
) -> None:
    verdict = verify_bytes(export, trusted=_trusted(built, "HQ", "FRA"))
    assert verdict.failure is not None
    assert verdict.failure.rule == "untrusted-key"
    assert "GBR" in verdict.failure.message


def test_an_unknown_key_fails_even_when_it_claims_a_trusted_owner(
    built: BuiltLedger, export: bytes, tmp_path: Path
) -> None:
    impostor = generate_key("HQ", KeyRole.HQ, tmp_path, created_at="t")
    trusted = [load_trusted_key(impostor.public_path), *_trusted(built, "FRA", "GBR")]
    verdict = verify_bytes(export, trusted=trusted)
    assert verdict.failure is not None
    assert verdict.failure.rule == "untrusted-key"


def test_a_trusted_key_of_another_owner_fails(built: BuiltLedger, export: bytes) -> None:
    fra = load_trusted_key(built.keys["FRA"].public_path)
    relabelled = TrustedKey(fra.fingerprint, fra.public_key, "DEU")
    trusted = [*_trusted(built, "HQ", "GBR"), relabelled]
    verdict = verify_bytes(export, trusted=trusted)
    assert verdict.failure is not None
    assert verdict.failure.rule == "signer"


def test_a_wrong_public_key_in_the_file_fails(built: BuiltLedger, export: bytes) -> None:
    other = built.keys["GBR"].public.public_key
    lines = split_lines(export)
    hq_line = next(i for i, line in enumerate(lines) if b'"owner":"HQ"' in line)
    forged = _rewrite(export, hq_line, public_key=other)
    verdict = verify_bytes(forged)
    assert verdict.failure is not None
    assert (verdict.failure.rule, verdict.failure.line_no) == ("key", hq_line + 1)


def test_a_resigned_forgery_with_the_forgers_own_key_fails_under_trust(
    built: BuiltLedger, export: bytes, tmp_path: Path
) -> None:
    """A forger who rewrites an entry and re-signs everything with a fresh key produces a
    self-consistent file: only trusted keys expose it."""
    forged = build_ledger(tmp_path, ledger=MemoryLedger(built.ledger.ledger_id())).export()
    assert verify_bytes(forged).ok
    verdict = verify_bytes(forged, trusted=_trusted(built, "HQ", "FRA", "GBR"))
    assert verdict.failure is not None
    assert verdict.failure.rule == "untrusted-key"


def test_a_file_cut_short_fails(export: bytes) -> None:
    lines = split_lines(export)
    at_line = verify_bytes(b"".join(lines[:-3]))
    assert at_line.failure is not None
    assert at_line.failure.rule in ("truncated", "hq-signature", "coverage")
    mid_line = verify_bytes(export[: len(export) // 2])
    assert mid_line.failure is not None
    assert mid_line.failure.rule == "truncated"
    assert verify_bytes(b"").failure is not None


def test_failure_names_the_line_the_entry_and_the_rule(export: bytes) -> None:
    lines = split_lines(export)
    index = next(
        i
        for i, line in enumerate(lines)
        if b'"kind":"entry"' in line and line.endswith(b'"seq":7}\n')
    )
    entry = orjson.loads(lines[index])["entry"]
    forged = _rewrite(export, index, entry={**entry, "subject": "rep-forged"})
    verdict = verify_bytes(forged)
    assert verdict.failure is not None
    assert (verdict.failure.line_no, verdict.failure.entry_seq) == (index + 1, 7)
    assert verdict.failure.rule == "chain"


def test_countersignatures_can_be_required(export: bytes) -> None:
    assert verify_bytes(export, min_countersignatures=1).ok
    verdict = verify_bytes(export, min_countersignatures=2)
    assert verdict.failure is not None
    assert verdict.failure.rule == "countersignatures"
    assert "checkpoint 3" in verdict.failure.message


def test_entries_after_the_last_checkpoint_are_not_exported(tmp_path: Path) -> None:
    built = build_ledger(tmp_path, batches=(4,))
    before = built.export()
    append_events(built.ledger, [report_event(99)], clock=built.clock)
    assert built.export() == before


def test_verify_file_streams_and_agrees(tmp_path: Path, export: bytes) -> None:
    path = tmp_path / "ledger.jsonl"
    path.write_bytes(export)
    assert verify_file(path).ok
    with pytest.raises(InputError):
        load_trusted_key(tmp_path / "missing.pub.json")


def test_a_later_export_must_extend_the_earlier_one(tmp_path: Path) -> None:
    built = build_ledger(tmp_path, batches=(6, 5))
    earlier = verify_bytes(built.export())
    append_events(built.ledger, [report_event(i) for i in range(50, 54)], clock=built.clock)
    create_checkpoint(built.ledger, built.private["HQ"], clock=built.clock)
    later = verify_bytes(built.export())
    assert later.ok
    assert len(later.checkpoint_hashes) == 3
    assert check_extends(earlier, later) is None
    rolled_back = check_extends(later, earlier)
    assert rolled_back is not None
    assert rolled_back.rule == "rollback"


def test_a_rewritten_history_is_caught_by_comparing_exports(tmp_path: Path) -> None:
    """Two self-consistent ledgers with the same id but different entries: each verifies
    alone; the comparison with the export a nation kept exposes the rewrite."""
    first = build_ledger(tmp_path / "a", batches=(6, 5))
    second = build_ledger(tmp_path / "b", batches=(6, 5, 3))
    kept, shown = verify_bytes(first.export()), verify_bytes(second.export())
    assert kept.ok
    assert shown.ok
    failure = check_extends(kept, shown)
    assert failure is not None
    assert failure.rule == "rewritten"
    assert "checkpoint 1" in failure.message


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400) | st.lists(st.binary(max_size=60), max_size=5).map(b"\n".join))
def test_verify_never_crashes_on_arbitrary_bytes(data: bytes) -> None:
    verdict = verify_bytes(data)
    assert not verdict.ok
    assert verdict.failure is not None


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_verify_never_crashes_on_spliced_exports(export: bytes, data: st.DataObject) -> None:
    lines = split_lines(export)
    picked = data.draw(st.lists(st.sampled_from(lines), min_size=1, max_size=8))
    verdict = verify_bytes(b"".join(picked))
    assert verdict.ok == (b"".join(picked) == export)
