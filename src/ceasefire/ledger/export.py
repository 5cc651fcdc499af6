"""The export file: one self-contained JSON Lines file a nation verifies offline.

Layout (every line is RFC 8785 canonical JSON followed by exactly one ``\\n``)::

    header                      {"checkpoints","entries","format","keys","kind","ledger",
                                 "signatures","version"}
    key lines, by fingerprint   {"fingerprint","kind","owner","public_key","role"}
    then for each checkpoint, in order:
      its entries, by seq       {"at","hash","kind","payload","prev","seq","subject","type"}
      the checkpoint            {"at","first","hash","kind","last","ledger","prev","root","seq"}
      its signatures            {"at","checkpoint","key","kind","role","sig","signer"}
                                (HQ first, then by signer, then by key fingerprint)

Only entries covered by a checkpoint are exported, and only keys that signed something: every
byte of the file is then bound by a hash, a signature or a count, so any change is detectable.
``docs/ledger.md`` is the full specification.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import orjson

from ceasefire.ledger.canonical import JsonValue, canonical_json
from ceasefire.ledger.model import (
    Checkpoint,
    LedgerEntry,
    PublicKey,
    Signature,
    signature_order,
)
from ceasefire.ledger.ports import LedgerStore

FORMAT_NAME = "ceasefire-ledger"
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """What an export contains, and what it left out."""

    ledger_id: str
    entries: int
    checkpoints: int
    signatures: int
    keys: int
    uncovered_entries: int
    """Entries after the last checkpoint, not exported (checkpoint first to include them)."""


def export_ledger(ledger: LedgerStore, out: BinaryIO) -> ExportSummary:
    """Write the export of ``ledger`` to ``out`` (binary) and say what it holds."""
    lines, summary = export_lines(ledger)
    for line in lines:
        out.write(line)
    return summary


def export_lines(ledger: LedgerStore) -> tuple[Iterator[bytes], ExportSummary]:
    """The export's lines (each ending in ``\\n``), streamed, and its summary."""
    checkpoints = ledger.checkpoints()
    signatures = sorted(ledger.signatures(), key=signature_order)
    used = {s.key_fingerprint for s in signatures}
    keys = sorted(
        (k for k in ledger.public_keys() if k.fingerprint in used), key=lambda k: k.fingerprint
    )
    covered = checkpoints[-1].last_seq if checkpoints else 0
    summary = ExportSummary(
        ledger_id=ledger.ledger_id(),
        entries=covered,
        checkpoints=len(checkpoints),
        signatures=len(signatures),
        keys=len(keys),
        uncovered_entries=ledger.head().seq - covered,
    )
    return _lines(ledger, summary, keys, checkpoints, signatures), summary


def _lines(
    ledger: LedgerStore,
    summary: ExportSummary,
    keys: list[PublicKey],
    checkpoints: list[Checkpoint],
    signatures: list[Signature],
) -> Iterator[bytes]:
    header: dict[str, JsonValue] = {
        "checkpoints": summary.checkpoints,
        "entries": summary.entries,
        "format": FORMAT_NAME,
        "keys": summary.keys,
        "kind": "header",
        "ledger": summary.ledger_id,
        "signatures": summary.signatures,
        "version": FORMAT_VERSION,
    }
    yield canonical_json(header) + b"\n"
    for key in keys:
        yield key_line(key)
    by_checkpoint: dict[int, list[Signature]] = {}
    for sig in signatures:
        by_checkpoint.setdefault(sig.checkpoint_seq, []).append(sig)
    for checkpoint in checkpoints:
        for entry in ledger.entries(checkpoint.first_seq, checkpoint.last_seq):
            yield entry_line(entry)
        yield checkpoint_line(checkpoint)
        for sig in by_checkpoint.get(checkpoint.seq, []):
            yield signature_line(sig)


def key_line(key: PublicKey) -> bytes:
    """The export line of a public key."""
    obj: dict[str, JsonValue] = {
        "fingerprint": key.fingerprint,
        "kind": "key",
        "owner": key.owner,
        "public_key": key.public_key,
        "role": str(key.role),
    }
    return canonical_json(obj) + b"\n"


def entry_line(entry: LedgerEntry) -> bytes:
    """The export line of an entry, assembled around its stored canonical payload bytes."""
    return b"".join(
        (
            b'{"at":',
            orjson.dumps(entry.at),
            b',"hash":"',
            entry.hash.encode("ascii"),
            b'","kind":"entry","payload":',
            entry.payload_json,
            b',"prev":"',
            entry.prev_hash.encode("ascii"),
            b'","seq":',
            str(entry.seq).encode("ascii"),
            b',"subject":',
            orjson.dumps(entry.subject_id),
            b',"type":',
            orjson.dumps(entry.event_type),
            b"}\n",
        )
    )


def checkpoint_line(checkpoint: Checkpoint) -> bytes:
    """The export line of a checkpoint."""
    obj: dict[str, JsonValue] = {
        "at": checkpoint.at,
        "first": checkpoint.first_seq,
        "hash": checkpoint.hash,
        "kind": "checkpoint",
        "last": checkpoint.last_seq,
        "ledger": checkpoint.ledger_id,
        "prev": checkpoint.prev_hash,
        "root": checkpoint.root,
        "seq": checkpoint.seq,
    }
    return canonical_json(obj) + b"\n"


def signature_line(sig: Signature) -> bytes:
    """The export line of a signature (its checkpoint hash is the preceding checkpoint's)."""
    obj: dict[str, JsonValue] = {
        "at": sig.at,
        "checkpoint": sig.checkpoint_seq,
        "key": sig.key_fingerprint,
        "kind": "signature",
        "role": str(sig.role),
        "sig": sig.signature,
        "signer": sig.signer,
    }
    return canonical_json(obj) + b"\n"
