"""Reports back to the interchange formats (NDJSON object, CSV row, GeoJSON feature).

Used by exporters, the simulator and the tests' round trips: what these functions write,
``read_reports`` reads back equal. Absent (``None``) fields, empty lists and ``withdrawn: false``
are left out; spec defaults that are values (reliability ``F``, credibility 6, count 1,
``UNCLASSIFIED``) are written, so a file states them outright. Floats are written in their
shortest round-tripping form, times in UTC with ``Z``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import fields
from enum import Enum
from pathlib import Path
from typing import Final

import orjson

from ceasefire.reports.model import Attachment, ObservationReport
from ceasefire.reports.timestamps import format_timestamp

#: CSV column order: the spec's field order
CSV_COLUMNS: Final[tuple[str, ...]] = tuple(f.name for f in fields(ObservationReport))


def report_to_dict(report: ObservationReport) -> dict[str, object]:
    """The report as a JSON-ready object: enums as strings, times RFC 3339 UTC, no ``None``s."""
    out: dict[str, object] = {}
    for name in CSV_COLUMNS:
        value = getattr(report, name)
        if value is None or value == () or (name == "withdrawn" and value is False):
            continue
        out[name] = _plain(value)
    return out


def _plain(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if hasattr(value, "tzinfo"):
        return format_timestamp(value)  # type: ignore[arg-type]
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Attachment):
        return {"sha256": value.sha256, "media_type": value.media_type, "name": value.name}
    return value


def report_to_ndjson_line(report: ObservationReport) -> bytes:
    """One NDJSON line (with its newline)."""
    return orjson.dumps(report_to_dict(report)) + b"\n"


def report_to_csv_row(report: ObservationReport) -> list[str]:
    """Cells in ``CSV_COLUMNS`` order; empty string for absent."""
    obj = report_to_dict(report)
    row: list[str] = []
    for name in CSV_COLUMNS:
        value = obj.get(name)
        if value is None:
            row.append("")
        elif isinstance(value, bool):
            row.append("true" if value else "false")
        elif isinstance(value, float):
            row.append(repr(value))
        elif name == "releasable_to":
            row.append(";".join(value))  # type: ignore[arg-type]
        elif name == "attachments":
            row.append(_attachments_cell(report.attachments))
        else:
            row.append(str(value))
    return row


def _attachments_cell(items: tuple[Attachment, ...]) -> str:
    compact = all(";" not in a.name and a.name == a.name.strip() for a in items)
    if compact:
        return ";".join(f"{a.sha256}:{a.media_type}:{a.name}" for a in items)
    return orjson.dumps([_plain(a) for a in items]).decode()


def report_to_feature(report: ObservationReport) -> dict[str, object]:
    """A GeoJSON Feature: Point geometry from ``lon``/``lat`` (or ``null``), the rest properties."""
    props = report_to_dict(report)
    lon, lat = props.pop("lon", None), props.pop("lat", None)
    geometry = None if lon is None else {"type": "Point", "coordinates": [lon, lat]}
    return {"type": "Feature", "geometry": geometry, "properties": props}


def write_ndjson(path: Path, reports: Iterable[ObservationReport]) -> None:
    """Write reports as NDJSON."""
    with path.open("wb") as out:
        for report in reports:
            out.write(report_to_ndjson_line(report))


def write_csv(path: Path, reports: Iterable[ObservationReport]) -> None:
    """Write reports as CSV with every spec column."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for report in reports:
            writer.writerow(report_to_csv_row(report))


def csv_text(reports: Iterable[ObservationReport]) -> str:
    """The CSV file as a string (tests, small exports)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for report in reports:
        writer.writerow(report_to_csv_row(report))
    return buffer.getvalue()


def write_geojson(path: Path, reports: Iterable[ObservationReport]) -> None:
    """Write reports as one FeatureCollection."""
    collection = {"type": "FeatureCollection", "features": [report_to_feature(r) for r in reports]}
    path.write_bytes(orjson.dumps(collection))
