"""An in-memory ``LedgerStore``: for domain tests and for tools that need no database."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence

from ceasefire.errors import InputError
from ceasefire.ledger.chain import leaf_data
from ceasefire.ledger.model import (
    EMPTY_HEAD,
    ChainHead,
    Checkpoint,
    LedgerEntry,
    PublicKey,
    Signature,
    signature_order,
)


class MemoryLedger:
    """Keeps everything in lists; same contract as the SQL store."""

    def __init__(self, ledger_id: str | None = None) -> None:
        self._id = ledger_id or str(uuid.uuid4())
        self._entries: list[LedgerEntry] = []
        self._checkpoints: list[Checkpoint] = []
        self._signatures: list[Signature] = []
        self._keys: list[PublicKey] = []

    def ledger_id(self) -> str:
        return self._id

    def head(self) -> ChainHead:
        if not self._entries:
            return EMPTY_HEAD
        last = self._entries[-1]
        return ChainHead(last.seq, last.hash)

    def extend_chain(
        self, build: Callable[[ChainHead], Sequence[LedgerEntry]]
    ) -> Sequence[LedgerEntry]:
        entries = build(self.head())
        self._entries.extend(entries)
        return entries

    def entries(self, first_seq: int, last_seq: int) -> Iterator[LedgerEntry]:
        yield from self._entries[max(first_seq, 1) - 1 : max(last_seq, 0)]

    def leaves(self, first_seq: int, last_seq: int) -> list[bytes]:
        return [leaf_data(e.seq, e.body) for e in self.entries(first_seq, last_seq)]

    def checkpoints(self) -> list[Checkpoint]:
        return list(self._checkpoints)

    def add_checkpoint(self, checkpoint: Checkpoint, hq_signature: Signature) -> None:
        self._checkpoints.append(checkpoint)
        self.add_signatures([hq_signature])

    def signatures(self) -> list[Signature]:
        return sorted(self._signatures, key=signature_order)

    def add_signatures(self, signatures: Sequence[Signature]) -> None:
        known = {(s.checkpoint_seq, s.key_fingerprint) for s in self._signatures}
        for sig in signatures:
            if (sig.checkpoint_seq, sig.key_fingerprint) in known:
                raise InputError("signature", "duplicate", "this key already signed it")
        self._signatures.extend(signatures)

    def public_keys(self) -> list[PublicKey]:
        return list(self._keys)

    def add_key(self, key: PublicKey) -> None:
        if any(k.fingerprint == key.fingerprint for k in self._keys):
            raise InputError("fingerprint", "duplicate", f"key {key.fingerprint} is known")
        self._keys.append(key)
