"""CSV records with their exact text, streamed: the shared base of every CSV reader.

A record may span physical lines (a quoted description with a newline), so records are cut by
quote parity: RFC 4180 doubles quotes inside quoted fields, so a record ends at the first line
end where the count of ``"`` seen so far is even. Each record keeps its exact received text (the
quarantine and the store keep it as raw). A record that grows past ``MAX_LINE_BYTES`` (e.g. an
unbalanced quote swallowing the rest of a file) is cut there and rejected, and parity starts
afresh, so one broken quote cannot take the rest of the file with it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ceasefire.errors import InputError
from ceasefire.reports.ndjson import decode_raw
from ceasefire.reports.records import LINE_FIELD, MAX_LINE_BYTES


@dataclass(frozen=True, slots=True)
class CsvRecord:
    """One record: where it starts, its exact text, and its cells (``None`` if unparseable)."""

    line_no: int
    raw: str
    cells: list[str] | None
    error: InputError | None


def iter_records(stream: BinaryIO) -> Iterator[CsvRecord]:
    """Every non-blank record of a CSV file in order, the header included."""
    pending: list[bytes] = []
    start = 0
    quotes = 0
    size = 0
    for line_no, received in enumerate(stream, 1):
        line = received.removeprefix(b"\xef\xbb\xbf") if line_no == 1 else received
        if not pending:
            start = line_no
        pending.append(line)
        quotes += line.count(b'"')
        size += len(line)
        if quotes % 2 == 0 or size > MAX_LINE_BYTES:
            record = _record(start, b"".join(pending), too_long=size > MAX_LINE_BYTES)
            pending, quotes, size = [], 0, 0
            if record is not None:
                yield record
    if pending:
        record = _record(start, b"".join(pending), too_long=size > MAX_LINE_BYTES)
        if record is not None:
            yield record


def _record(line_no: int, data: bytes, *, too_long: bool) -> CsvRecord | None:
    body = data.removesuffix(b"\n").removesuffix(b"\r")
    if not body or body.isspace():
        return None
    if too_long:
        message = f"record of {len(body):,} bytes exceeds {MAX_LINE_BYTES:,}"
        error = InputError(LINE_FIELD, "max_line_bytes", message)
        return CsvRecord(line_no, decode_raw(body), None, error)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        error = InputError(LINE_FIELD, "encoding", f"not UTF-8 at byte {exc.start}")
        return CsvRecord(line_no, decode_raw(body), None, error)
    try:
        cells = next(csv.reader((text,), strict=True))
    except (csv.Error, StopIteration) as exc:
        return CsvRecord(line_no, text, None, InputError(LINE_FIELD, "csv", f"bad CSV: {exc}"))
    return CsvRecord(line_no, text, cells, None)


def header_of(record: CsvRecord | None) -> list[str]:
    """The column names of a header record; duplicates make the whole file unreadable."""
    if record is None or record.cells is None:
        raise InputError(LINE_FIELD, "csv_header", "the file has no readable CSV header")
    names = [name.strip() or f"(column {i})" for i, name in enumerate(record.cells, 1)]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InputError(name, "duplicate_column", f"column {name!r} appears twice")
        seen.add(name)
    return names


def row_mapping(header: list[str], record: CsvRecord) -> dict[str, str]:
    """Cells by column name; a row with more or fewer cells than the header is rejected."""
    cells = record.cells
    assert cells is not None
    if len(cells) != len(header):
        raise InputError(
            LINE_FIELD, "columns", f"{len(cells)} cells for {len(header)} header columns"
        )
    return dict(zip(header, cells, strict=True))
