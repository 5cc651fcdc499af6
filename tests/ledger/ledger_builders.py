"""Builders for ledger tests: a realistic ledger with keys, checkpoints and countersignatures."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ceasefire.clock import FixedClock
from ceasefire.ledger.export import export_ledger
from ceasefire.ledger.keys import NewKey, generate_key, load_private_key
from ceasefire.ledger.marking import Marking, nation_viewer, release_rule
from ceasefire.ledger.memory import MemoryLedger
from ceasefire.ledger.model import EventType, KeyRole, LedgerEvent
from ceasefire.ledger.ports import LedgerStore
from ceasefire.ledger.service import append_events, countersign, create_checkpoint, register_key
from ceasefire.reports.model import Classification

START = datetime(2026, 1, 6, 12, 0, tzinfo=UTC)
LEDGER_ID = "0b5e7c3e-6d3a-4a59-9a53-3f1b2c4d5e6f"
#: Release groups for per-nation exports in these tests.
GROUPS = {
    "MNF": frozenset({"FRA", "GBR"}),
    "COALITION": frozenset({"FRA", "GBR", "USA"}),
}
#: Markings report events cycle through: FRA at SECRET reads 0, 3 and 4, not 1 (HQ only) or 2.
MARKINGS: tuple[Marking, ...] = (
    (("SECRET", "FRA"),),
    None,
    (("UNCLASSIFIED", "USA"),),
    (("RESTRICTED", "MNF"), ("UNCLASSIFIED", "")),
    (("UNCLASSIFIED", ""),),
)


def report_event(i: int) -> LedgerEvent:
    """A report-accepted event shaped like what ingest records (ids, hash, place, time),
    marked with ``MARKINGS[i % 5]``."""
    return LedgerEvent(
        EventType.REPORT_ACCEPTED,
        f"rep-{i:05d}",
        {
            "source": "OSCE-SMM" if i % 3 else "UA-GS",
            "category": "artillery_fire" if i % 2 else "small_arms_fire",
            "observed_at": (START - timedelta(minutes=i)).isoformat(),
            "lat": 48.0 + i / 997,
            "lon": 37.5 + i / 1009,
            "count": i % 7,
            "place": "Авдіївка" if i % 5 == 0 else None,
            "content_sha256": f"{i:064x}",
        },
        marking=MARKINGS[i % len(MARKINGS)],
    )


@dataclass
class BuiltLedger:
    """A ledger with its clock and the private keys that signed it."""

    ledger: LedgerStore
    clock: FixedClock
    keys: dict[str, NewKey]
    private: dict[str, Ed25519PrivateKey]

    def export(self, *, nation: str | None = None, clearance: str = "UNCLASSIFIED") -> bytes:
        """The HQ's export, or ``nation``'s at ``clearance`` (``GROUPS``)."""
        release = None
        if nation is not None:
            viewer = nation_viewer(nation, Classification(clearance), GROUPS)
            release = release_rule(viewer)
        buffer = io.BytesIO()
        export_ledger(self.ledger, buffer, release=release)
        return buffer.getvalue()


def build_ledger(
    keys_dir: Path,
    *,
    ledger: LedgerStore | None = None,
    batches: tuple[int, ...] = (120, 100, 80),
    nations: tuple[str, ...] = ("FRA", "GBR"),
) -> BuiltLedger:
    """HQ + nation keys, then one checkpoint per batch of report events, each countersigned
    by every nation (the last one only by the first nation, to vary the counts)."""
    ledger = ledger if ledger is not None else MemoryLedger(LEDGER_ID)
    clock = FixedClock(START)
    keys: dict[str, NewKey] = {}
    for owner in ("HQ", *nations):
        role = KeyRole.HQ if owner == "HQ" else KeyRole.NATION
        keys[owner] = generate_key(owner, role, keys_dir, created_at="2026-01-06T12:00:00.000000Z")
        register_key(ledger, keys[owner].public, clock=clock)
    private = {owner: load_private_key(k.private_path) for owner, k in keys.items()}
    n = 0
    for b, size in enumerate(batches):
        clock.set(clock.now() + timedelta(hours=1))
        append_events(ledger, [report_event(n + i) for i in range(size)], clock=clock)
        n += size
        clock.set(clock.now() + timedelta(minutes=5))
        create_checkpoint(ledger, private["HQ"], clock=clock)
        signers = nations if b < len(batches) - 1 else nations[:1]
        for nation in signers:
            clock.set(clock.now() + timedelta(minutes=1))
            countersign(ledger, private[nation], clock=clock)
    return BuiltLedger(ledger, clock, keys, private)
