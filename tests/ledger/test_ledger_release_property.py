"""For random markings, nations and clearances: a nation's export releases exactly the
entries it may read (checked against an independent rule), verifies with the same
checkpoints and signatures as the HQ's, and carries the HQ's released lines byte for byte."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ceasefire.clock import FixedClock
from ceasefire.ledger.export import export_ledger
from ceasefire.ledger.keys import TrustedKey
from ceasefire.ledger.marking import Marking, nation_viewer, release_rule
from ceasefire.ledger.memory import MemoryLedger
from ceasefire.ledger.model import KeyRole, LedgerEvent, PublicKey
from ceasefire.ledger.service import append_events, countersign, create_checkpoint, register_key
from ceasefire.ledger.signing import fingerprint, raw_public_key
from ceasefire.ledger.verify import split_lines, verify_bytes
from ceasefire.reports.model import Classification

GROUPS = {
    "NATO": frozenset({"FRA", "USA", "DEU"}),
    "EU": frozenset({"FRA", "DEU"}),
    "MNF": frozenset({"FRA", "GBR"}),
    "COALITION": frozenset({"FRA", "GBR", "USA", "UKR", "MNF"}),
}
NATIONS = ("FRA", "USA", "DEU", "GBR", "UKR", "CHN")
LABELS = ("", "FRA", "USA", "NATO", "EU", "MNF", "FRA;USA", "COALITION", "CHN", "UKR;EU")
LEVELS = ("UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET")
CLOCK = FixedClock(datetime(2026, 1, 6, tzinfo=UTC))


def _key(owner: str, role: KeyRole) -> tuple[Ed25519PrivateKey, PublicKey]:
    private = Ed25519PrivateKey.generate()
    public = raw_public_key(private.public_key()).hex()
    return private, PublicKey(
        fingerprint(public), owner, role, public, "2026-01-06T00:00:00.000000Z"
    )


KEYS = {"HQ": _key("HQ", KeyRole.HQ), "FRA": _key("FRA", KeyRole.NATION)}
TRUSTED = [TrustedKey(k.fingerprint, k.public_key, k.owner) for _, k in KEYS.values()]


def audiences(nation: str) -> set[str]:
    """The nation and every group that holds it, directly or through groups (fixpoint)."""
    found = {nation}
    while True:
        more = {g for g, members in GROUPS.items() if members & found} - found
        if not more:
            return found
        found |= more


def may_read(marking: Marking, nation: str, clearance: str) -> bool:
    if marking is None:
        return False
    mine = audiences(nation)
    for classification, label in marking:
        if LEVELS.index(classification) > LEVELS.index(clearance):
            return False
        if not (("COALITION" in mine) if label == "" else (mine & set(label.split(";")))):
            return False
    return True


pairs = st.tuples(st.sampled_from(LEVELS), st.sampled_from(LABELS))
markings = st.none() | st.lists(pairs, min_size=1, max_size=3).map(tuple)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(markings, min_size=1, max_size=14),
    st.integers(min_value=1, max_value=3),
    st.sampled_from(NATIONS),
    st.sampled_from(LEVELS),
)
def test_an_export_releases_exactly_what_its_nation_may_read(
    marked: list[Marking], cuts: int, nation: str, clearance: str
) -> None:
    ledger = MemoryLedger("0b5e7c3e-6d3a-4a59-9a53-3f1b2c4d5e6f")
    for _, public in KEYS.values():
        register_key(ledger, public, clock=CLOCK)
    events = [
        LedgerEvent("report.accepted", f"rep-{i}", {"i": i}, marking=m)
        for i, m in enumerate(marked)
    ]
    step = max(1, len(events) // cuts)
    for start in range(0, len(events), step):
        append_events(ledger, events[start : start + step], clock=CLOCK)
        create_checkpoint(ledger, KEYS["HQ"][0], clock=CLOCK)
    countersign(ledger, KEYS["FRA"][0], clock=CLOCK)

    full, mine = io.BytesIO(), io.BytesIO()
    export_ledger(ledger, full)
    viewer = nation_viewer(nation, Classification(clearance), GROUPS)
    export_ledger(ledger, mine, release=release_rule(viewer))
    assert verify_bytes(mine.getvalue(), trusted=TRUSTED, min_countersignatures=1).ok

    expected = {
        e.seq: may_read(
            None if e.marking_json == b"null" else _pairs(e.marking_json), nation, clearance
        )
        for e in ledger.entries(1, ledger.head().seq)
    }
    full_lines, my_lines = split_lines(full.getvalue()), split_lines(mine.getvalue())
    assert len(full_lines) == len(my_lines)
    for theirs, ours in zip(full_lines, my_lines, strict=True):
        obj = orjson.loads(ours)
        if obj["kind"] == "entry":
            assert expected[obj["seq"]], obj  # released: the nation may read it
            assert ours == theirs
        elif obj["kind"] == "withheld":
            assert not expected[obj["seq"]], obj  # withheld: the nation may not read it
            assert orjson.loads(theirs)["chain"] == obj["chain"]
        else:
            assert ours == theirs  # header, keys, checkpoints, signatures: identical


def _pairs(text: bytes) -> tuple[tuple[str, str], ...]:
    return tuple((str(c), str(r)) for c, r in orjson.loads(text))
