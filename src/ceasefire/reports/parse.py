"""Reading report files: format detection, then streaming chunks; a bad line never stops a file.

>>> from pathlib import Path
>>> # for chunk in read_reports(Path("reports.ndjson")):
>>> #     store(chunk.reports, chunk.raws); quarantine(chunk.rejected)

Formats: ``ndjson`` (``.ndjson``/``.jsonl``), ``csv`` (the spec's field names as columns),
``geojson`` (a FeatureCollection), and two real event datasets imported as ``osint`` reports:
``ucdp`` (UCDP GED CSV) and ``acled`` (ACLED CSV export). Detection looks at the extension
and then at the content: a CSV header with UCDP's or ACLED's signature columns is that dataset.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from ceasefire.errors import CeasefireError, UnknownFormatError
from ceasefire.reports import acled, ucdp
from ceasefire.reports.csvreports import read_csv_reports
from ceasefire.reports.geojson import read_geojson
from ceasefire.reports.ndjson import read_ndjson
from ceasefire.reports.records import (
    LINE_FIELD,
    MAX_LINE_BYTES,
    ParsedChunk,
    Rejected,
    parse_report,
)

__all__ = [
    "LINE_FIELD",
    "MAX_LINE_BYTES",
    "ParsedChunk",
    "Rejected",
    "ReportFileError",
    "ReportFormat",
    "detect_format",
    "detect_format_of",
    "parse_report",
    "read_report_bytes",
    "read_report_stream",
    "read_reports",
]

_SNIFF_BYTES = 64 * 1024


class ReportFormat(StrEnum):
    """The file formats ``read_reports`` understands."""

    NDJSON = "ndjson"
    CSV = "csv"
    GEOJSON = "geojson"
    UCDP = "ucdp"
    ACLED = "acled"


class ReportFileError(CeasefireError):
    """A report file that cannot be opened or read at all (missing, a directory, unreadable)."""


def detect_format(path: Path) -> ReportFormat:
    """The format of ``path`` from its extension and first bytes; ``UnknownFormatError`` if none.

    ``.ndjson``/``.jsonl`` → ndjson; ``.geojson`` → geojson; ``.json`` → geojson when it holds a
    ``FeatureCollection``, else ndjson; ``.csv`` (or no known extension) → by the header row:
    UCDP GED signature columns → ucdp, ACLED's → acled, spec field names → csv.
    """
    suffix = path.suffix.lower()
    if suffix in (".ndjson", ".jsonl"):
        return ReportFormat.NDJSON
    if suffix == ".geojson":
        return ReportFormat.GEOJSON
    return detect_format_of(_head(path), name=str(path), suffix=suffix)


def detect_format_of(head: bytes, *, name: str, suffix: str = "") -> ReportFormat:
    """The format of an input from its first bytes (and its name's ``suffix``, lower case,
    with the dot): the content rules of ``detect_format``, for inputs that are bytes, not
    files (an API body, a bus message). ``name`` only names the input in the error.
    """
    if suffix in (".ndjson", ".jsonl"):
        return ReportFormat.NDJSON
    if suffix == ".geojson":
        return ReportFormat.GEOJSON
    head = head[:_SNIFF_BYTES]
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{"):
        if b'"FeatureCollection"' in head or (suffix == ".json" and b'"features"' in head):
            return ReportFormat.GEOJSON
        return ReportFormat.NDJSON
    first_line = text.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    columns = {c.strip().strip('"') for c in first_line.split(",")}
    if columns >= ucdp.SIGNATURE:
        return ReportFormat.UCDP
    if columns >= acled.SIGNATURE:
        return ReportFormat.ACLED
    if {"id", "source", "category"} <= columns:
        return ReportFormat.CSV
    raise UnknownFormatError(
        f"{name}: not NDJSON, GeoJSON, a report CSV, UCDP GED or ACLED (give --format)"
    )


def read_reports(
    path: Path, *, fmt: ReportFormat | None = None, chunk_size: int = 50_000
) -> Iterator[ParsedChunk]:
    """Stream the reports of one file in chunks of at most ``chunk_size`` items, in file order.

    NDJSON and the CSV formats are read line by line (never whole); GeoJSON is read whole.
    A bad item is a ``Rejected`` in its chunk, never an exception; only a file that cannot be
    read at all raises (``ReportFileError``; ``UnknownFormatError`` when the format is unknown;
    ``InputError`` for an unusable header or a GeoJSON file that is not a FeatureCollection).
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    if fmt is None:
        fmt = detect_format(path)
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise ReportFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    with stream:
        try:
            yield from read_report_stream(stream, fmt=ReportFormat(fmt), chunk_size=chunk_size)
        except OSError as exc:
            raise ReportFileError(f"{path}: read failed: {exc.strerror or exc}") from exc


def read_report_stream(
    stream: BinaryIO, *, fmt: ReportFormat, chunk_size: int = 50_000
) -> Iterator[ParsedChunk]:
    """``read_reports`` for an open binary stream of known format: what a file, an API body
    and a bus message have in common (the parsers never need a path)."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    if fmt is ReportFormat.NDJSON:
        yield from read_ndjson(stream, chunk_size=chunk_size)
    elif fmt is ReportFormat.CSV:
        yield from read_csv_reports(stream, chunk_size=chunk_size)
    elif fmt is ReportFormat.GEOJSON:
        yield from read_geojson(stream.read(), chunk_size=chunk_size)
    elif fmt is ReportFormat.UCDP:
        yield from ucdp.read_ucdp(stream, chunk_size=chunk_size)
    else:
        yield from acled.read_acled(stream, chunk_size=chunk_size)


def read_report_bytes(
    raw: bytes, *, fmt: ReportFormat, chunk_size: int = 50_000
) -> Iterator[ParsedChunk]:
    """``read_report_stream`` over bytes already in memory (an API body, a bus message)."""
    return read_report_stream(io.BytesIO(raw), fmt=fmt, chunk_size=chunk_size)


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as stream:
            return stream.read(_SNIFF_BYTES)
    except OSError as exc:
        raise ReportFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
