"""Reports as CSV: the spec's field names as columns, typed cells, lists ``;``-separated.

Cell conventions (docs/importers.md, "CSV"): an empty cell is an absent field; numbers are
decimal (``nan``/``inf`` are read so that they can be rejected as ``finite``); integers have
no fraction; booleans are ``true``/``false`` (or ``1``/``0``, any case); ``releasable_to`` is
``USA;FRA;MNF``; ``attachments`` is ``sha256:media/type:name;...`` (the name may contain ``:``
but not ``;``) or, for names with ``;``, a JSON array of objects. A column that is not a field is
tolerated in the header but a non-empty cell in it rejects the row (``unknown_field``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import BinaryIO, Final

from ceasefire.errors import InputError
from ceasefire.reports import validate as v
from ceasefire.reports.csvrecords import header_of, iter_records, row_mapping
from ceasefire.reports.records import ChunkBuilder, ParsedChunk, parse_report

_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_NONFINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.ASCII | re.IGNORECASE)
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
_TRUE: Final = frozenset({"true", "1"})
_FALSE: Final = frozenset({"false", "0"})


def read_csv_reports(stream: BinaryIO, *, chunk_size: int) -> Iterator[ParsedChunk]:
    """Chunks of reports from a CSV file with a header row, in file order."""
    records = iter_records(stream)
    header = header_of(next(records, None))
    builder = ChunkBuilder()
    for record in records:
        if record.error is not None:
            builder.reject(record.raw, record.line_no, record.error)
        else:
            try:
                report = parse_report(coerce_row(row_mapping(header, record)))
            except InputError as exc:
                builder.reject(record.raw, record.line_no, exc)
            else:
                builder.accept(report, record.raw)
        if len(builder) >= chunk_size:
            yield builder.take()
    if len(builder):
        yield builder.take()


def coerce_row(row: dict[str, str]) -> dict[str, object]:
    """Typed values for a report's non-empty cells; raises ``InputError`` for a bad cell."""
    out: dict[str, object] = {}
    for name, cell in row.items():
        if cell == "":
            continue
        kind = v._KIND.get(name)
        if kind is None:
            raise InputError(name, v.UNKNOWN_FIELD, f"{name!r} is not a field of the report")
        out[name] = _coerce(name, kind, cell)
    return out


def _coerce(name: str, kind: int, cell: str) -> object:
    text = cell.strip()
    if kind == v._NUMBER:
        if _DECIMAL.fullmatch(text):
            return float(text)
        if _NONFINITE.fullmatch(text):
            return float(text)
        raise InputError(name, "type", f"{cell!r} is not a decimal number")
    if kind == v._INT:
        if _INTEGER.fullmatch(text):
            return int(text)
        raise InputError(name, "type", f"{cell!r} is not an integer")
    if kind == v._BOOL:
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise InputError(name, "type", f"{cell!r} is not true or false")
    if kind == v._CODES:
        return [item.strip() for item in cell.split(";")]
    if kind == v._ATTACHMENTS:
        return _attachments(cell)
    return cell


def _attachments(cell: str) -> object:
    text = cell.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except ValueError as exc:
            raise InputError("attachments", "json", f"not a JSON array: {exc}") from None
    items: list[dict[str, str]] = []
    for i, item in enumerate(cell.split(";")):
        parts = item.strip().split(":", 2)
        if len(parts) != 3:
            raise InputError(
                f"attachments[{i}]", "csv_attachment", f"{item!r} is not sha256:media/type:name"
            )
        items.append({"sha256": parts[0], "media_type": parts[1], "name": parts[2]})
    return items
