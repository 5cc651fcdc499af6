"""Helpers for ingest tests: report builders, NDJSON files, and table snapshots to compare."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

import orjson

#: The small hand-made agreement (straight line along 37.5 E), see its PROVENANCE.md.
MINI_AGREEMENT = Path(__file__).resolve().parents[1] / "data" / "mini-agreement" / "agreement.yaml"

#: Tables whose content must not depend on how often or in how many attempts a file was sent.
CONTENT_TABLES = (
    "agreement_versions",
    "agreement_zones",
    "reports",
    "quarantine",
    "incidents",
    "incident_reports",
    "violations",
)
#: Bookkeeping columns that say when and by which run a row arrived.
BOOKKEEPING = {"received_at", "ingest_run_pk", "loaded_at"}


def make_report(**overrides: object) -> dict[str, object]:
    """A valid report (an explosion 7.5 km west of the mini line, after the ceasefire)."""
    report: dict[str, object] = {
        "id": "r1",
        "source": "op-1",
        "source_type": "observation_post",
        "observed_at": "2026-03-10T10:00:00Z",
        "lat": 48.0,
        "lon": 37.4,
        "uncertainty_m": 100,
        "category": "explosion",
    }
    report.update(overrides)
    return {key: value for key, value in report.items() if value is not None}


def write_ndjson(path: Path, reports: Iterable[dict[str, object] | str]) -> Path:
    """One line per report; strings are written as they are (for broken lines)."""
    with path.open("wb") as out:
        for item in reports:
            out.write(item.encode() if isinstance(item, str) else orjson.dumps(item))
            out.write(b"\n")
    return path


def snapshot(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every content table's rows in primary-key order, without the bookkeeping columns."""
    out: dict[str, list[tuple[object, ...]]] = {}
    with sqlite3.connect(db) as conn:
        for table in CONTENT_TABLES:
            cursor = conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2")
            names = [d[0] for d in cursor.description]
            keep = [i for i, name in enumerate(names) if name not in BOOKKEEPING]
            out[table] = [tuple(row[i] for i in keep) for row in cursor.fetchall()]
    return out
