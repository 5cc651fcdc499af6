"""Ports: what the ledger needs from a store, and what domain code needs from the ledger.

Domain services (ingest, fusion, guarantees, coalition) depend only on ``LedgerSink``; the
SQL implementation lives in ``ceasefire.store.ledger`` and an in-memory one in
``ceasefire.ledger.memory``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from ceasefire.ledger.model import (
    ChainHead,
    Checkpoint,
    LedgerEntry,
    LedgerEvent,
    PublicKey,
    Signature,
)


class LedgerSink(Protocol):
    """Where domain code sends fact-changing events; returns the chained entries."""

    def append(self, events: Sequence[LedgerEvent]) -> Sequence[LedgerEntry]:
        """Chain and persist ``events`` atomically, in order; all or nothing."""
        ...


class LedgerStore(Protocol):
    """Persistence of the chain, checkpoints, signatures and public keys."""

    def ledger_id(self) -> str:
        """This ledger's stable identifier (created on first use)."""
        ...

    def head(self) -> ChainHead:
        """The last entry (``EMPTY_HEAD`` for an empty ledger)."""
        ...

    def extend_chain(
        self, build: Callable[[ChainHead], Sequence[LedgerEntry]]
    ) -> Sequence[LedgerEntry]:
        """In one write transaction: read the head, call ``build(head)``, store its entries.

        Holding the transaction across both steps is what keeps two writers from forking
        the chain.
        """
        ...

    def entries(self, first_seq: int, last_seq: int) -> Iterator[LedgerEntry]:
        """Entries ``first_seq..last_seq`` inclusive, in order (streamed in batches)."""
        ...

    def leaves(self, first_seq: int, last_seq: int) -> list[bytes]:
        """The Merkle leaf inputs ``d_n`` of entries ``first_seq..last_seq``, in order
        (``chain.leaf_data(seq, body)``: commitments only, never plaintext)."""
        ...

    def checkpoints(self) -> list[Checkpoint]:
        """All checkpoints in order."""
        ...

    def add_checkpoint(self, checkpoint: Checkpoint, hq_signature: Signature) -> None:
        """Store a checkpoint together with the HQ signature that makes it valid."""
        ...

    def signatures(self) -> list[Signature]:
        """All signatures, ordered by checkpoint, then role (hq first), signer, key."""
        ...

    def add_signatures(self, signatures: Sequence[Signature]) -> None:
        """Store countersignatures."""
        ...

    def public_keys(self) -> list[PublicKey]:
        """All registered public keys, oldest first."""
        ...

    def add_key(self, key: PublicKey) -> None:
        """Register a public key (raises ``InputError`` if its fingerprint is known)."""
        ...
