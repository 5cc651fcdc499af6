"""Ledger services: append events, checkpoint, countersign, register keys.

These are what the rest of the platform calls. They take a ``LedgerStore`` (port) and a
``Clock``, never a database or a CLI.

>>> from datetime import UTC, datetime
>>> from ceasefire.clock import FixedClock
>>> from ceasefire.ledger.memory import MemoryLedger
>>> ledger = MemoryLedger()
>>> clock = FixedClock(datetime(2026, 1, 6, tzinfo=UTC))
>>> [e.seq for e in append_events(ledger, [LedgerEvent("report.accepted", "r1")], clock=clock)]
[1]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ceasefire.clock import Clock
from ceasefire.errors import InputError, NotFoundError
from ceasefire.ledger.canonical import format_timestamp
from ceasefire.ledger.chain import chain_entries
from ceasefire.ledger.marking import COALITION_WIDE
from ceasefire.ledger.merkle import merkle_root
from ceasefire.ledger.model import (
    GENESIS_HASH,
    Checkpoint,
    EventType,
    KeyRole,
    LedgerEntry,
    LedgerEvent,
    PublicKey,
    Signature,
)
from ceasefire.ledger.ports import LedgerStore
from ceasefire.ledger.signing import (
    checkpoint_hash,
    fingerprint,
    raw_public_key,
    sign,
    signature_message,
)


def append_events(
    ledger: LedgerStore, events: Sequence[LedgerEvent], *, clock: Clock
) -> list[LedgerEntry]:
    """Chain ``events`` after the ledger's head in one transaction, all stamped ``clock.now()``.

    Batch: one call per ingest chunk, not per report (a call costs one transaction). An
    empty ``events`` appends nothing. A payload outside the canonical JSON subset raises
    ``InputError`` and nothing is appended.
    """
    if not events:
        return []
    at = format_timestamp(clock.now())
    return list(ledger.extend_chain(lambda head: chain_entries(head, events, at=at)))


@dataclass(frozen=True, slots=True)
class LedgerWriter:
    """A ``LedgerSink`` over a store and a clock, for domain services to hold."""

    ledger: LedgerStore
    clock: Clock

    def append(self, events: Sequence[LedgerEvent]) -> Sequence[LedgerEntry]:
        """Chain and persist ``events`` (see ``append_events``)."""
        return append_events(self.ledger, events, clock=self.clock)


def register_key(ledger: LedgerStore, key: PublicKey, *, clock: Clock) -> LedgerEntry:
    """Register a public key and record the fact in the chain (``key.added``)."""
    ledger.add_key(key)
    event = LedgerEvent(
        EventType.KEY_ADDED,
        key.fingerprint,
        {"owner": key.owner, "public_key": key.public_key, "role": str(key.role)},
        marking=COALITION_WIDE,
    )
    [entry] = append_events(ledger, [event], clock=clock)
    return entry


def create_checkpoint(
    ledger: LedgerStore, hq_key: Ed25519PrivateKey, *, clock: Clock
) -> Checkpoint | None:
    """Checkpoint every entry after the last checkpoint, signed with the HQ key.

    Returns None when there is nothing new to cover. The key must be registered with the HQ
    role (``NotFoundError`` otherwise), so verifiers can find it in the export.
    """
    key = _registered(ledger, hq_key, KeyRole.HQ)
    checkpoints = ledger.checkpoints()
    last = checkpoints[-1] if checkpoints else None
    first_seq = last.last_seq + 1 if last else 1
    head = ledger.head()
    last_seq = head.seq
    if last_seq < first_seq:
        return None
    leaves = ledger.leaves(first_seq, last_seq)
    if len(leaves) != last_seq - first_seq + 1:
        raise InputError("entries", "contiguous", f"entries {first_seq}..{last_seq} have gaps")
    at = format_timestamp(clock.now())
    seq = last.seq + 1 if last else 1
    prev = last.hash if last else GENESIS_HASH
    root = merkle_root(leaves).hex()
    ledger_id = ledger.ledger_id()
    digest = checkpoint_hash(
        seq=seq,
        ledger_id=ledger_id,
        first_seq=first_seq,
        last_seq=last_seq,
        root=root,
        head=head.hash,
        prev_hash=prev,
        at=at,
    )
    checkpoint = Checkpoint(seq, ledger_id, first_seq, last_seq, root, prev, at, digest, head.hash)
    ledger.add_checkpoint(checkpoint, _sign(checkpoint, key, hq_key, at))
    return checkpoint


def countersign(
    ledger: LedgerStore, nation_key: Ed25519PrivateKey, *, clock: Clock
) -> list[Signature]:
    """Countersign every checkpoint this nation key has not signed yet; returns the new ones.

    A nation should only countersign after checking the checkpoint against its own copy;
    the CLI verifies the exported ledger before signing for that reason.
    """
    key = _registered(ledger, nation_key, KeyRole.NATION)
    signed = {s.checkpoint_seq for s in ledger.signatures() if s.key_fingerprint == key.fingerprint}
    at = format_timestamp(clock.now())
    new = [_sign(c, key, nation_key, at) for c in ledger.checkpoints() if c.seq not in signed]
    if new:
        ledger.add_signatures(new)
    return new


def key_fingerprint(private_key: Ed25519PrivateKey) -> str:
    """Fingerprint of a private key's public half."""
    return fingerprint(raw_public_key(private_key.public_key()).hex())


def _registered(ledger: LedgerStore, private_key: Ed25519PrivateKey, role: KeyRole) -> PublicKey:
    fp = key_fingerprint(private_key)
    for key in ledger.public_keys():
        if key.fingerprint == fp:
            if key.role is not role:
                raise InputError("key", "role", f"key {fp[:16]} is a {key.role} key, not {role}")
            return key
    raise NotFoundError(f"key {fp[:16]}… is not registered; run `ceasefire keys add` first")


def _sign(
    checkpoint: Checkpoint, key: PublicKey, private_key: Ed25519PrivateKey, at: str
) -> Signature:
    message = signature_message(
        checkpoint_seq=checkpoint.seq,
        checkpoint_hash=checkpoint.hash,
        key=key.fingerprint,
        role=key.role,
        signer=key.owner,
        at=at,
    )
    return Signature(
        checkpoint.seq,
        checkpoint.hash,
        key.fingerprint,
        key.owner,
        key.role,
        at,
        sign(private_key, message),
    )
