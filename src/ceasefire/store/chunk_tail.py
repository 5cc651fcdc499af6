"""The end of a chunk's write, the same on both backends: the releasability labels, amendments
and withdrawals, the quarantine, the run's counts, the change log and the ledger, in the chunk's
transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from ceasefire.store.base import REPORT_ROW_FIELDS, ChunkWrite
from ceasefire.store.changes import append_reports
from ceasefire.store.chunk_ledger import chunk_events, insert_quarantine
from ceasefire.store.dialect import RawCursor
from ceasefire.store.ledger import record_in
from ceasefire.store.status_change import apply_status

_RELEASABLE_TO = REPORT_ROW_FIELDS.index("releasable_to")


def finish_chunk(
    conn: Connection,
    cur: RawCursor,
    chunk: ChunkWrite,
    report_pks: Sequence[int],
    received_at: str,
) -> None:
    """Write what follows the chunk's reports (``report_pks``: the
    ids its reports were given, in row order), then close ``cur``.

    The change log is appended last but the ledger: on PostgreSQL it takes the commit-order
    lock (``store.changes``), which is then held only for the short tail to the commit.
    """
    # every releasability label seen, so readers' filters never scan reports for them; taken
    # from the rows in hand (a few distinct values), not read back from the reports just written
    labels = sorted({str(row[_RELEASABLE_TO] or "") for row in chunk.report_rows})
    if labels:
        cur.executemany(
            "INSERT INTO release_labels (label) VALUES (?) ON CONFLICT (label) DO NOTHING",
            [(label,) for label in labels],
        )
    for change in chunk.status_changes:
        target = change.target_pk
        if target is None:
            assert change.target_local is not None
            target = report_pks[change.target_local]
        apply_status(cur, target, change.new_status)
    quarantined = insert_quarantine(
        cur,
        chunk.quarantine_rows,
        received_at,
        chunk.run_pk,
        submitter=chunk.submitter.principal,
    )
    if chunk.counts:
        names = sorted(chunk.counts)
        cur.execute(
            "UPDATE ingest_runs SET "
            + ", ".join(f'"{n}" = "{n}" + ?' for n in names)
            + " WHERE pk = ?",
            [chunk.counts[n] for n in names] + [chunk.run_pk],
        )
    append_reports(cur, list(report_pks), received_at)
    cur.close()
    events = chunk_events(
        chunk.report_rows,
        quarantined,
        digests_of_raws=chunk.raw_sha256,
        submitter=chunk.submitter.principal,
    )
    record_in(conn, events, at=chunk.received_at)
