"""The hash chain (format v2): salted commitments, leaves, and the chain over the leaves.

Per entry *n* (``docs/ledger.md`` defines every byte)::

    entry  E_n = canonical JSON {"at","marking","payload","subject","type"}
    body   b_n = SHA-256("ceasefire-ledger/v2 body" 0x00 ‖ salt_n ‖ E_n)  (salt_n: 32 bytes)
    leaf   d_n = canonical JSON {"body": hex b_n, "hdr": {}, "seq": n}
           l_n = SHA-256(0x00 ‖ d_n)                                      (RFC 9162 leaf)
    chain  c_n = SHA-256("ceasefire-ledger/v2 chain" 0x00 ‖ c_(n-1) ‖ l_n)   c_0 = 32 zero bytes

A nation that may not read entry *n* receives only ``b_n``: with a fresh 256-bit salt, it
cannot test a guessed entry against it. Checkpoint roots and the chain are taken over the
leaves, so the same signatures verify every nation's export. The keys of ``E_n`` and ``d_n``
are fixed and sort in that order, so the bytes are assembled directly from the
already-canonical payload and marking instead of re-encoding them.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence

import orjson

from ceasefire.ledger.canonical import canonical_json
from ceasefire.ledger.marking import marking_json
from ceasefire.ledger.merkle import LEAF_PREFIX
from ceasefire.ledger.model import ChainHead, LedgerEntry, LedgerEvent

BODY_TAG = b"ceasefire-ledger/v2 body\x00"
CHAIN_TAG = b"ceasefire-ledger/v2 chain\x00"
SALT_BYTES = 32

_ENTRY = b'{"at":%s,"marking":%s,"payload":%s,"subject":%s,"type":%s}'
_LEAF = b'{"body":"%s","hdr":{},"seq":%d}'


def entry_json(
    *, at: str, marking_json: bytes, payload_json: bytes, subject_id: str, event_type: str
) -> bytes:
    """The canonical bytes ``E_n`` of an entry (what a released line carries as ``entry``)."""
    return _ENTRY % (
        orjson.dumps(at),
        marking_json,
        payload_json,
        orjson.dumps(subject_id),
        orjson.dumps(event_type),
    )


def body_commitment(salt: bytes, entry: bytes) -> str:
    """``b_n`` (hex): SHA-256(tag ‖ 32-byte salt ‖ canonical entry)."""
    return hashlib.sha256(BODY_TAG + salt + entry).hexdigest()


def leaf_data(seq: int, body: str) -> bytes:
    """``d_n``, the Merkle leaf input: canonical ``{"body","hdr":{},"seq"}``."""
    return _LEAF % (body.encode("ascii"), seq)


def chain_hash(prev_hash: str, leaf: bytes) -> str:
    """``c_n`` (hex) from ``c_(n-1)`` (hex) and ``d_n``."""
    leaf_digest = hashlib.sha256(LEAF_PREFIX + leaf).digest()
    return hashlib.sha256(CHAIN_TAG + bytes.fromhex(prev_hash) + leaf_digest).hexdigest()


def stored_entry_json(entry: LedgerEntry) -> bytes:
    """``E_n`` of a stored entry."""
    return entry_json(
        at=entry.at,
        marking_json=entry.marking_json,
        payload_json=entry.payload_json,
        subject_id=entry.subject_id,
        event_type=entry.event_type,
    )


def chain_entries(head: ChainHead, events: Sequence[LedgerEvent], *, at: str) -> list[LedgerEntry]:
    """Chain ``events`` after ``head``, all stamped ``at`` (a ``format_timestamp`` string),
    each with a fresh salt from the operating system's CSPRNG (never derived, never reused).

    Entry numbers continue from ``head.seq + 1`` without gaps; the first entry's ``prev`` is
    ``head.hash``. A payload outside the canonical JSON subset raises ``InputError`` naming
    ``events[i].payload...`` and nothing is chained.

    >>> from ceasefire.ledger.model import EMPTY_HEAD
    >>> [e] = chain_entries(EMPTY_HEAD, [LedgerEvent("report.accepted", "r1")],
    ...                     at="2026-01-06T00:00:00.000000Z")
    >>> (e.seq, e.prev_hash == "0" * 64, len(e.hash), len(e.salt), e.marking_json)
    (1, True, 64, 64, b'null')
    """
    entries: list[LedgerEntry] = []
    seq, prev = head.seq, head.hash
    at_json = orjson.dumps(at)
    type_json: dict[str, bytes] = {}
    markings: dict[object, bytes] = {}
    sha256 = hashlib.sha256
    for i, event in enumerate(events):
        payload_json = canonical_json(event.payload, field=f"events[{i}].payload")
        seq += 1
        event_type = str(event.event_type)
        encoded_type = type_json.get(event_type)
        if encoded_type is None:
            encoded_type = type_json[event_type] = orjson.dumps(event_type)
        marking = markings.get(event.marking)
        if marking is None:
            marking = markings[event.marking] = marking_json(event.marking)
        entry = _ENTRY % (
            at_json,
            marking,
            payload_json,
            orjson.dumps(event.subject_id),
            encoded_type,
        )
        salt = secrets.token_bytes(SALT_BYTES)
        body = sha256(BODY_TAG + salt + entry).hexdigest()
        leaf = sha256(LEAF_PREFIX + _LEAF % (body.encode("ascii"), seq)).digest()
        digest = sha256(CHAIN_TAG + bytes.fromhex(prev) + leaf).hexdigest()
        entries.append(
            LedgerEntry(
                seq,
                at,
                event_type,
                event.subject_id,
                payload_json,
                prev,
                digest,
                marking_json=marking,
                salt=salt.hex(),
                body=body,
            )
        )
        prev = digest
    return entries
