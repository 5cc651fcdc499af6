"""Builders for report tests: a valid report object and file writers."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ceasefire.reports.parse import ParsedChunk, read_reports


def report_obj(**overrides: object) -> dict[str, object]:
    """A valid report object (an OP hearing mortar impacts), with fields replaced or removed.

    Pass ``field=REMOVE`` to drop a field.
    """
    obj: dict[str, object] = {
        "id": "op12-2026-03-01-0007",
        "source": "op-12",
        "source_type": "observation_post",
        "reliability": "B",
        "credibility": 2,
        "observed_at": "2026-03-01T14:02:00+02:00",
        "lat": 48.1402,
        "lon": 37.7501,
        "uncertainty_m": 500,
        "category": "explosion",
        "weapon_class": "mortar",
        "count": 4,
        "fire_direction": "impact",
    }
    for key, value in overrides.items():
        if value is REMOVE:
            obj.pop(key, None)
        else:
            obj[key] = value
    return obj


REMOVE = object()


def read_all(path: Path, **kwargs: object) -> ParsedChunk:
    """Every chunk of a file merged into one (order kept)."""
    reports, raws, rejected = [], [], []
    for chunk in read_reports(path, **kwargs):  # type: ignore[arg-type]
        reports.extend(chunk.reports)
        raws.extend(chunk.raws)
        rejected.extend(chunk.rejected)
    return ParsedChunk(reports, raws, rejected)


def write_lines(path: Path, lines: Iterable[str | bytes]) -> Path:
    """Write lines (str as UTF-8) joined by newlines, with a final newline."""
    data = b"\n".join(x.encode() if isinstance(x, str) else x for x in lines) + b"\n"
    path.write_bytes(data)
    return path
