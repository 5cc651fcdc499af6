"""What one ingest chunk puts on the ledger, and the quarantine insert that tells it what is new.

Per chunk, at most two entries: ``report.accepted`` lists ``[source, id, sha256]`` of every
report written (SHA-256 of the raw text as received, so a nation holding the raw report can
check it was chained), ``report.quarantined`` lists ``[reason hash, field, rule]`` of every
line quarantined for the first time. One entry per chunk instead of one per report keeps the
chain's cost to a few hundredths of a second per 50,000 reports; re-sent input writes no row
and so chains nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from ceasefire.ledger.model import MAX_SUBJECT_LEN, EventType, LedgerEvent
from ceasefire.store.base import REPORT_ROW_FIELDS

_SOURCE = REPORT_ROW_FIELDS.index("source")
_ID = REPORT_ROW_FIELDS.index("id")
_RAW = REPORT_ROW_FIELDS.index("raw")


def insert_quarantine(
    cur: Any, rows: Sequence[tuple[object, ...]], received_at: str, run_pk: int
) -> list[tuple[object, ...]]:
    """Insert quarantine rows (unique on the reason hash); return those that were new.

    Row by row, so that the ledger names only what this chunk added: a re-sent bad line is
    stored once and chained once. Quarantined lines are few next to reports.
    """
    added: list[tuple[object, ...]] = []
    sql = (
        "INSERT OR IGNORE INTO quarantine (reason_hash, raw, source_file, line_no, field, rule, "
        f"message, received_at, ingest_run_pk) VALUES (?, ?, ?, ?, ?, ?, ?, ?, {int(run_pk)})"
    )
    for row in rows:
        cur.execute(sql, (*row, received_at))
        if cur.rowcount == 1:
            added.append(row)
    return added


def raw_sha256(raw: str) -> str:
    """The digest the ledger commits to for one report: SHA-256 of its raw text, hex."""
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def chunk_events(
    report_rows: Sequence[tuple[object, ...]],
    quarantined: Sequence[tuple[object, ...]],
    *,
    digests_of_raws: Sequence[str] | None = None,
    submitter: str | None = None,
) -> list[LedgerEvent]:
    """One ``report.accepted`` entry per chunk listing ``[source, id, sha256 of the raw text]``
    of every report written, and one ``report.quarantined`` entry listing ``[reason hash, field,
    rule]`` of every newly quarantined line: the chain commits to each report and each
    rejection (a nation can recompute the digests from the raw texts) for two entries a chunk.
    The subject is the first item, so the same input gives the same entries.
    ``digests_of_raws`` (one per row, ``raw_sha256``) spares computing them here;
    ``submitter`` (the principal that sent the chunk's reports) goes into the payload."""
    events: list[LedgerEvent] = []
    if report_rows:
        if digests_of_raws is None:
            digests_of_raws = [raw_sha256(str(row[_RAW])) for row in report_rows]
        digests = [
            [source, id_, digest]
            for (source, id_), digest in zip(
                map(itemgetter(_SOURCE, _ID), report_rows), digests_of_raws, strict=True
            )
        ]
        subject = f"{digests[0][0]}/{digests[0][1]}"[:MAX_SUBJECT_LEN]
        payload: dict[str, Any] = {"count": len(digests), "reports": digests}
        if submitter is not None:
            payload["submitter"] = submitter
        events.append(LedgerEvent(EventType.REPORT_ACCEPTED, subject, payload))
    if quarantined:
        items = [[_hex(row[0]), row[4], row[5]] for row in quarantined]
        events.append(
            LedgerEvent(
                EventType.REPORT_QUARANTINED,
                str(items[0][0]),
                {"count": len(items), "items": items},  # type: ignore[dict-item]
            )
        )
    return events


def _hex(value: object) -> str:
    """The reason hash (16 bytes, as SQLite returns a BLOB) in lowercase hex."""
    assert isinstance(value, bytes | bytearray | memoryview)
    return bytes(value).hex()
