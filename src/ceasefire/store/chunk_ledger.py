"""What one ingest chunk puts on the ledger, and the quarantine insert that tells it what is new.

Per chunk: one ``report.accepted`` entry per distinct marking ``(classification,
releasable_to)`` of the chunk's reports, listing ``[source, id, sha256]`` of each report of
that marking (SHA-256 of the raw text as received, so a nation holding the raw report can
check it was chained) and carrying that marking, so every nation's export releases exactly
the entries about reports it may see; and at most one ``report.quarantined`` entry listing
``[reason hash, field, rule]`` of every line quarantined for the first time, withheld from
every nation (a rejected line has no marking anyone can trust). A few entries per chunk
instead of one per report keep the chain's cost to a few hundredths of a second per 50,000
reports; re-sent input writes no row and so chains nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from ceasefire.ledger.marking import WITHHELD
from ceasefire.ledger.model import MAX_SUBJECT_LEN, EventType, LedgerEvent
from ceasefire.store.base import REPORT_ROW_FIELDS
from ceasefire.store.dialect import RawCursor

_SOURCE = REPORT_ROW_FIELDS.index("source")
_ID = REPORT_ROW_FIELDS.index("id")
_RAW = REPORT_ROW_FIELDS.index("raw")
_CLASSIFICATION = REPORT_ROW_FIELDS.index("classification")
_RELEASABLE_TO = REPORT_ROW_FIELDS.index("releasable_to")


def insert_quarantine(
    cur: RawCursor,
    rows: Sequence[tuple[object, ...]],
    received_at: str,
    run_pk: int,
    *,
    submitter: str,
) -> list[tuple[object, ...]]:
    """Insert quarantine rows (unique on the reason hash); return those that were new.

    Row by row, so that the ledger names only what this chunk added: a re-sent bad line is
    stored once and chained once (with two writers, the one whose insert lands first).
    Quarantined lines are few next to reports. NUL characters are stored as U+FFFD.
    """
    added: list[tuple[object, ...]] = []
    # ON CONFLICT … DO NOTHING: the same statement on PostgreSQL and SQLite (3.24+)
    sql = (
        "INSERT INTO quarantine (reason_hash, raw, source_file, line_no, field, rule, message, "
        "received_at, ingest_run_pk, submitter) "
        f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, {int(run_pk)}, ?) ON CONFLICT (reason_hash) DO NOTHING"
    )
    for row in rows:
        cur.execute(sql, (*(_no_nul(v) for v in row), received_at, submitter))
        if cur.rowcount == 1:
            added.append(row)
    return added


def _no_nul(value: object) -> object:
    """A quarantined text with each NUL character (U+0000) shown as U+FFFD, on both backends:
    PostgreSQL's ``text`` cannot hold NUL, and a line may be quarantined for holding one
    (its reason hash, computed before, still tells the original text)."""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else value


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
    """The chunk's ledger events: one ``report.accepted`` per distinct ``(classification,
    releasable_to)`` of its reports (in that sorted order), listing ``[source, id, sha256 of
    the raw text]`` of each of them and marked with that one pair; and one
    ``report.quarantined`` (marked withheld) listing ``[reason hash, field, rule]`` of every
    newly quarantined line. The subject is the group's first report, so the same input gives
    the same entries. ``digests_of_raws`` (one per row, ``raw_sha256``) spares computing them;
    ``submitter`` (the principal that sent the chunk's reports) goes into each payload.
    """
    events: list[LedgerEvent] = []
    if report_rows:
        if digests_of_raws is None:
            digests_of_raws = [raw_sha256(str(row[_RAW])) for row in report_rows]
        groups: dict[tuple[str, str], list[list[str]]] = {}
        for row, digest in zip(report_rows, digests_of_raws, strict=True):
            pair = (str(row[_CLASSIFICATION]), str(row[_RELEASABLE_TO] or ""))
            groups.setdefault(pair, []).append([str(row[_SOURCE]), str(row[_ID]), digest])
        for pair in sorted(groups):
            digests = groups[pair]
            subject = f"{digests[0][0]}/{digests[0][1]}"[:MAX_SUBJECT_LEN]
            events.append(
                LedgerEvent(
                    EventType.REPORT_ACCEPTED,
                    subject,
                    {
                        "count": len(digests),
                        "reports": digests,
                        **({} if submitter is None else {"submitter": submitter}),
                    },
                    marking=(pair,),
                )
            )
    if quarantined:
        items = [[_hex(row[0]), row[4], row[5]] for row in quarantined]
        events.append(
            LedgerEvent(
                EventType.REPORT_QUARANTINED,
                str(items[0][0]),
                {"count": len(items), "items": items},  # type: ignore[dict-item]
                marking=WITHHELD,
            )
        )
    return events


def _hex(value: object) -> str:
    """The reason hash (16 bytes, as SQLite returns a BLOB) in lowercase hex."""
    assert isinstance(value, bytes | bytearray | memoryview)
    return bytes(value).hex()
