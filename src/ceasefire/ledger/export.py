"""The export file (format v2): one self-contained JSON Lines file a nation verifies offline.

Layout (every line is RFC 8785 canonical JSON followed by exactly one ``\\n``)::

    header                      {"checkpoints","entries","format","keys","kind","ledger",
                                 "signatures","version"}
    key lines, by fingerprint   {"fingerprint","kind","owner","public_key","role"}
    then for each checkpoint, in order:
      one line per entry, by seq, either
        released                {"chain","entry":{"at","marking","payload","subject","type"},
                                 "hdr":{},"kind":"entry","salt","seq"}
        or withheld             {"body","chain","hdr":{},"kind":"withheld","seq"}
      the checkpoint            {"at","first","hash","head","kind","last","ledger","prev",
                                 "root","seq"}
      its signatures            {"at","checkpoint","key","kind","role","sig","signer"}
                                (HQ first, then by signer, then by key fingerprint)

The HQ's export releases every entry. A nation's export (``release`` from
``marking.release_rule(viewer)``) releases the entries whose marking the nation sees whole;
every other entry is a withheld line: its salted commitment only, no type, subject, time or
marking. Checkpoints and signatures are taken over commitments, so they are the same bytes
in every export. Only entries covered by a checkpoint are exported, and only keys that
signed something: every byte of the file is then bound by a hash, a signature or a count.
``docs/ledger.md`` is the full specification.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ceasefire.ledger.canonical import JsonValue, canonical_json
from ceasefire.ledger.chain import stored_entry_json
from ceasefire.ledger.marking import Marking, parse_marking
from ceasefire.ledger.model import (
    Checkpoint,
    LedgerEntry,
    PublicKey,
    Signature,
    signature_order,
)
from ceasefire.ledger.ports import LedgerStore

FORMAT_NAME = "ceasefire-ledger"
FORMAT_VERSION = 2

ReleaseRule = Callable[[Marking], bool]
"""Whether an export releases an entry of this marking in full (``marking.release_rule``)."""


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


def export_ledger(
    ledger: LedgerStore, out: BinaryIO, *, release: ReleaseRule | None = None
) -> ExportSummary:
    """Write the export of ``ledger`` to ``out`` (binary) and say what it holds.

    ``release``: which entries to release in full (None: all, the HQ's own export)."""
    lines, summary = export_lines(ledger, release=release)
    for line in lines:
        out.write(line)
    return summary


def export_lines(
    ledger: LedgerStore, *, release: ReleaseRule | None = None
) -> tuple[Iterator[bytes], ExportSummary]:
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
    rule = release if release is not None else _release_all
    return _lines(ledger, summary, keys, checkpoints, signatures, rule), summary


def _release_all(_marking: Marking) -> bool:
    return True


def _lines(  # noqa: PLR0917 - one private call site
    ledger: LedgerStore,
    summary: ExportSummary,
    keys: list[PublicKey],
    checkpoints: list[Checkpoint],
    signatures: list[Signature],
    release: ReleaseRule,
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
            if release(parse_marking(entry.marking_json)):
                yield entry_line(entry)
            else:
                yield withheld_line(entry)
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
    """The released line of an entry: the entry and its salt, assembled around the stored
    canonical bytes (members sorted: chain, entry, hdr, kind, salt, seq)."""
    return b"".join(
        (
            b'{"chain":"',
            entry.hash.encode("ascii"),
            b'","entry":',
            stored_entry_json(entry),
            b',"hdr":{},"kind":"entry","salt":"',
            entry.salt.encode("ascii"),
            b'","seq":',
            str(entry.seq).encode("ascii"),
            b"}\n",
        )
    )


def withheld_line(entry: LedgerEntry) -> bytes:
    """The withheld line of an entry: its position, commitment and chain value only."""
    return b'{"body":"%s","chain":"%s","hdr":{},"kind":"withheld","seq":%d}\n' % (
        entry.body.encode("ascii"),
        entry.hash.encode("ascii"),
        entry.seq,
    )


def checkpoint_line(checkpoint: Checkpoint) -> bytes:
    """The export line of a checkpoint."""
    obj: dict[str, JsonValue] = {
        "at": checkpoint.at,
        "first": checkpoint.first_seq,
        "hash": checkpoint.hash,
        "head": checkpoint.head,
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
