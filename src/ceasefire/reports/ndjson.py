"""NDJSON reports: one JSON object a line, streamed in chunks, a bad line never stops the file.

Lines are read as bytes (the file is never held whole); each is decoded by orjson. A line
orjson refuses is retried with the standard library, which also reads ``NaN``/``Infinity`` and
integers beyond 64 bits, so that ``{"lat": NaN}`` is rejected as ``lat``/``finite`` rather than
as an anonymous JSON error. Blank lines are skipped (they are not reports). A line longer than
``MAX_LINE_BYTES`` is rejected (``max_line_bytes``) but kept whole as its raw text.

Speed: this is the ingest hot path (``bench/parse_reports.py``). The loop binds everything it
calls to locals, and the cyclic garbage collector is paused while a chunk is built: parsing
creates no reference cycles, and collection passes over tens of thousands of fresh reports
cost more than the parsing itself. It is re-enabled before each chunk is handed out.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

import orjson

from ceasefire.errors import InputError
from ceasefire.reports.model import ObservationReport
from ceasefire.reports.records import (
    LINE_FIELD,
    MAX_LINE_BYTES,
    ParsedChunk,
    Rejected,
    parse_report,
)

_BOM = b"\xef\xbb\xbf"


def read_ndjson(stream: BinaryIO, *, chunk_size: int) -> Iterator[ParsedChunk]:
    """Chunks of at most ``chunk_size`` items (accepted + rejected), in file order."""
    lines = enumerate(stream, 1)
    while True:
        with _collector_paused():
            chunk, finished = _read_chunk(lines, chunk_size)
        if chunk.reports or chunk.rejected:
            yield chunk
        if finished:
            return


def _read_chunk(lines: Iterator[tuple[int, bytes]], chunk_size: int) -> tuple[ParsedChunk, bool]:
    reports: list[ObservationReport] = []
    raws: list[str] = []
    rejected: list[Rejected] = []
    add_report, add_raw, add_rejected = reports.append, raws.append, rejected.append
    loads, decode_error, parse = orjson.loads, orjson.JSONDecodeError, parse_report
    room = chunk_size
    for line_no, line in lines:
        body = line.rstrip(b"\r\n")
        if line_no == 1:
            body = body.removeprefix(_BOM)
        if not body or body.isspace():
            continue
        room -= 1
        error: InputError | None = None
        if len(body) > MAX_LINE_BYTES:
            raw = decode_raw(body)
            error = InputError(
                LINE_FIELD, "max_line_bytes", f"line of {len(body):,} bytes exceeds the limit"
            )
        else:
            try:
                raw = body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raw = decode_raw(body)
                error = InputError(LINE_FIELD, "encoding", f"not UTF-8 at byte {exc.start}")
            else:
                try:
                    add_report(parse(loads(body)))
                    add_raw(raw)
                except decode_error:
                    error = _parse_fallback(raw, add_report, add_raw)
                except InputError as exc:
                    error = exc
        if error is not None:
            add_rejected(Rejected(raw, line_no, error.field, error.rule, error.message))
        if room == 0:
            return ParsedChunk(reports, raws, rejected), False
    return ParsedChunk(reports, raws, rejected), True


def _parse_fallback(raw: str, add_report: object, add_raw: object) -> InputError | None:
    """Parse a line orjson refused with the standard library; the error, or None if accepted."""
    try:
        obj = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        return InputError(LINE_FIELD, "json", f"not valid JSON: {exc}")
    try:
        report = parse_report(obj)
    except InputError as exc:
        return exc
    add_report(report)  # type: ignore[operator]
    add_raw(raw)  # type: ignore[operator]
    return None


@contextmanager
def _collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def decode_raw(body: bytes) -> str:
    """The received bytes as text; invalid UTF-8 bytes become ``\\xNN`` escapes (nothing lost)."""
    return body.decode("utf-8", errors="backslashreplace")
