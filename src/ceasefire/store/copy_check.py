"""Checking a copied store (``store/copy.py``): the same rows, and the same ledger, verified.

Two checks, both on the target as it is after the commit, read back from the database:

* **Row counts**: every copied table holds as many rows as the source's snapshot did.
* **The ledger verifies and keeps its head**: the HQ's export of the target's ledger (every
  checkpointed entry, checkpoint and signature) goes through the offline verifier of
  ``ledger/verify.py``, the very code a nation runs on an export; the entries after the last
  checkpoint, which an export leaves out, are then fed to the same verifier, which
  recomputes each one's commitment and chain value. The chain must end at the source's head
  (same sequence number, same hash): a copy that dropped, reordered or re-encoded one byte of
  one entry fails.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, select

from ceasefire.ledger.export import entry_line, export_lines
from ceasefire.ledger.model import ChainHead
from ceasefire.ledger.verify import Verifier
from ceasefire.store.dialect import raw_cursor
from ceasefire.store.ledger import SqlLedger, ledger_info

if TYPE_CHECKING:
    from ceasefire.store.copy import TableCopy

#: The ledger id an export header shows while a ledger has none yet (``ledger_info`` is
#: written the first time an id is asked for: a check must not write it).
UNASSIGNED_LEDGER_ID = "unassigned"


@dataclass(frozen=True, slots=True)
class LedgerCheck:
    """The target's ledger: entries and checkpoints verified, its head against the source's."""

    entries: int
    checkpoints: int
    source_head: ChainHead
    target_head: ChainHead
    #: the first rule the target's ledger breaks, as the verifier words it; None: it verifies
    failure: str | None

    @property
    def ok(self) -> bool:
        """Verifies, and ends at the source's head."""
        return self.failure is None and self.source_head == self.target_head


@dataclass(frozen=True, slots=True)
class CopyCheck:
    """Rows per table in the source's snapshot and on the target, and the ledger's check."""

    source_rows: Mapping[str, int]
    target_rows: Mapping[str, int]
    ledger: LedgerCheck

    @property
    def differing_tables(self) -> list[str]:
        """Tables whose row counts differ."""
        return [n for n, rows in self.source_rows.items() if self.target_rows.get(n) != rows]

    @property
    def ok(self) -> bool:
        """Every count equal and the ledger verified at the same head."""
        return not self.differing_tables and self.ledger.ok


def quoted(name: str) -> str:
    """A table or column name quoted for both dialects (``count`` and ``read`` are columns)."""
    return '"' + name.replace('"', '""') + '"'


def count_rows(conn: Connection, tables: Iterable[str]) -> dict[str, int]:
    """``count(*)`` of each table, inside ``conn``'s transaction."""
    cursor = raw_cursor(conn)
    counts = {
        name: int(cursor.execute(f"SELECT count(*) FROM {quoted(name)}").fetchone()[0])
        for name in tables
    }
    cursor.close()
    return counts


def check_copy(target: Engine, tables: Sequence[TableCopy], source_head: ChainHead) -> CopyCheck:
    """Count the target's rows and verify its ledger against the source's head."""
    with target.connect() as conn:
        target_rows = count_rows(conn, [table.name for table in tables])
    return CopyCheck(
        source_rows={table.name: table.rows for table in tables},
        target_rows=target_rows,
        ledger=check_ledger(target, source_head),
    )


class _ReadOnlyLedger(SqlLedger):
    """``SqlLedger`` that never assigns a ledger id: checking a store must not change it."""

    def ledger_id(self) -> str:
        with self.engine.connect() as conn:
            found = conn.execute(select(ledger_info.c.ledger_id)).scalar()
        return UNASSIGNED_LEDGER_ID if found is None else str(found)


def check_ledger(engine: Engine, source_head: ChainHead) -> LedgerCheck:
    """Verify the stored ledger with the export verifier, through its last entry."""
    ledger = _ReadOnlyLedger(engine)
    lines, summary = export_lines(ledger)
    verifier = Verifier()
    for line in lines:
        if not verifier.feed(line):
            break
    verdict = verifier.clone().finish()
    head = ledger.head()
    if verdict.failure is None:
        for entry in ledger.entries(summary.entries + 1, head.seq):
            if not verifier.feed(entry_line(entry)):
                break
    failure = verdict.failure or verifier.failure
    reached = ChainHead(verifier.next_seq - 1, verifier.last_hash)
    message = None
    if failure is not None:
        where = f"entry {failure.entry_seq}: " if failure.entry_seq is not None else ""
        message = f"{where}rule {failure.rule}: {failure.message}"
    elif reached != head:
        message = f"the chain verifies to entry {reached.seq}, the stored head is {head.seq}"
    return LedgerCheck(
        entries=reached.seq,
        checkpoints=verdict.checkpoints,
        source_head=source_head,
        target_head=head,
        failure=message,
    )
