"""The ledger's values: events handed in, chained entries, checkpoints, signatures, keys.

All hashes, public keys and signatures are lowercase hexadecimal strings: hex has exactly one
spelling per byte string (base64 has spare bits a forger could flip unnoticed), so the export
can be checked byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from ceasefire.access.releasability import Pairs
from ceasefire.errors import InputError
from ceasefire.ledger.canonical import JsonValue

HASH_HEX_LEN = 64
GENESIS_HASH = "0" * HASH_HEX_LEN
"""The chain value before entry 1, and the ``prev`` of checkpoint 1: no predecessor."""

EVENT_TYPE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
OWNER_RE = re.compile(r"^[A-Z][A-Z0-9_-]{1,31}$")
MAX_SUBJECT_LEN = 256


class EventType(StrEnum):
    """Fact-changing events the platform records. A verifier accepts any dotted lowercase name,
    so new types can be added without breaking nations' verifiers."""

    REPORT_ACCEPTED = "report.accepted"
    REPORT_QUARANTINED = "report.quarantined"
    REPORT_AMENDED = "report.amended"
    REPORT_WITHDRAWN = "report.withdrawn"
    INCIDENT_STATE = "incident.state"
    ATTRIBUTION = "attribution.recorded"
    VIOLATION = "violation.recorded"
    TRIGGER_FIRED = "trigger.fired"
    OBLIGATION_STATE = "obligation.state"
    INSTRUMENT_STATE = "instrument.state"
    RATIFICATION = "ratification.recorded"
    PLEDGE_STATUS = "pledge.status"
    AGREEMENT_LOADED = "agreement.loaded"
    KEY_ADDED = "key.added"
    LEDGER_MIGRATED = "ledger.migrated"


class KeyRole(StrEnum):
    """Who a signing key speaks for: the HQ signs checkpoints, nations countersign them."""

    HQ = "hq"
    NATION = "nation"


HQ_OWNER = "HQ"
"""Owner name of the HQ's keys (nations are ISO 3166-1 alpha-3 codes such as ``FRA``)."""


@dataclass(frozen=True, slots=True)
class LedgerEvent:
    """A fact to record, as handed in by a domain service.

    ``subject_id`` names what changed (a report id, an obligation id...); ``payload`` holds the
    facts, restricted to canonical JSON (see ``ceasefire.ledger.canonical``). The time recorded
    is the ledger's clock at append; a payload may carry the domain's own times as strings.

    ``marking``: the ``(classification, releasable_to)`` pairs of the reports the event
    concerns (``ceasefire.ledger.marking``); a nation's export carries the entry in full only
    if the nation sees every pair. ``None`` (the default) withholds it from every nation: a
    writer must say who may read its facts. Payload and subject must name nothing the marking
    does not cover (split the event per marking instead). The pairs are stored sorted.
    """

    event_type: EventType | str
    subject_id: str
    payload: Mapping[str, JsonValue] = field(default_factory=dict)
    marking: Pairs | None = None

    def __post_init__(self) -> None:
        if not EVENT_TYPE_RE.match(str(self.event_type)) or len(self.event_type) > 64:
            raise InputError("event_type", "pattern", f"{self.event_type!r} is not a.b_c form")
        if not self.subject_id or len(self.subject_id) > MAX_SUBJECT_LEN:
            raise InputError("subject_id", "length", "subject_id must have 1..256 characters")
        if self.marking is not None:
            pairs = tuple(sorted({(str(c), str(r or "")) for c, r in self.marking}))
            if not pairs:
                raise InputError("marking", "empty", "a marking has a pair at least (None: HQ)")
            object.__setattr__(self, "marking", pairs)


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One link of the hash chain (format v2, ``docs/ledger.md``).

    ``body`` = SHA-256(tag ‖ salt ‖ canonical entry ``{at, marking, payload, subject, type}``),
    the commitment a nation sees in place of a withheld entry; ``hash`` = the chain value
    SHA-256(tag ‖ ``prev_hash`` ‖ leaf hash of ``(seq, body)``). ``payload_json`` and
    ``marking_json`` are the exact canonical bytes committed (kept as bytes so storing and
    exporting never re-encode). ``salt`` (32 random bytes, hex) is the HQ's secret: it is
    released only with the entry, never logged.
    """

    seq: int
    at: str
    event_type: str
    subject_id: str
    payload_json: bytes
    prev_hash: str
    hash: str
    marking_json: bytes = b"null"
    salt: str = field(default="", repr=False)
    body: str = ""


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The last entry's sequence number and hash (``0`` and ``GENESIS_HASH`` when empty)."""

    seq: int
    hash: str


EMPTY_HEAD = ChainHead(0, GENESIS_HASH)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed statement that entries ``first_seq..last_seq`` have Merkle root ``root``
    (over their leaves, i.e. over commitments, never plaintext) and that the chain's value
    after ``last_seq`` is ``head``.

    Checkpoints cover consecutive, non-overlapping ranges starting at entry 1, and chain to
    each other through ``prev_hash`` (the previous checkpoint's ``hash``).
    """

    seq: int
    ledger_id: str
    first_seq: int
    last_seq: int
    root: str
    prev_hash: str
    at: str
    hash: str
    head: str


@dataclass(frozen=True, slots=True)
class PublicKey:
    """A signing key's public half and who it speaks for.

    ``fingerprint`` = SHA-256 of the 32 raw Ed25519 public-key bytes, hex.
    """

    fingerprint: str
    owner: str
    role: KeyRole
    public_key: str
    created_at: str


@dataclass(frozen=True, slots=True)
class Signature:
    """One signature (the HQ's or a nation's countersignature) over a checkpoint."""

    checkpoint_seq: int
    checkpoint_hash: str
    key_fingerprint: str
    signer: str
    role: KeyRole
    at: str
    signature: str


def signature_order(sig: Signature) -> tuple[int, int, str, str]:
    """Order of signatures everywhere (store, export, verify): checkpoint, HQ first, signer, key."""
    return (sig.checkpoint_seq, 0 if sig.role is KeyRole.HQ else 1, sig.signer, sig.key_fingerprint)
