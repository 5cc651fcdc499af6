"""Writing a scenario: the reports as NDJSON (the interchange spec), the truth as JSON.

``reports.ndjson`` holds one report a line, in arrival order, with only the spec's fields
(absent ones left out). ``truth.json`` says, for every line, which true event it reports
(``event``, ``null`` for a false report), whether it is a relay or a re-send of another line
(``kind``, ``copy_of`` as ``{source, id}``) and its ``cluster``: the reports a perfect
association would put together share a cluster (an event's number; a false report and its
relays a negative number of their own). Events carry their true position, time, duration,
count, category and how many lines report them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ceasefire.scenarios2.columns import FLOAT_FIELDS, Columns, size
from ceasefire.scenarios2.generate import Scenario

#: Spec fields written from the columns, in this order.
_TEXT = ("id", "source", "source_type", "reliability")
_NUMBERS = tuple(f for f in FLOAT_FIELDS if f not in {"observed_at", "observed_until", "arrival"})
_OPTIONAL_TEXT = ("place", "category", "weapon_class", "fire_direction", "description")


def rfc3339(t_s: float) -> str:
    """Epoch seconds as an RFC 3339 UTC timestamp (``Z``; fractions only when present).

    >>> rfc3339(1796947200.0), rfc3339(1796947200.5)
    ('2026-12-11T00:00:00Z', '2026-12-11T00:00:00.500000Z')
    """
    stamp = datetime.fromtimestamp(t_s, UTC)
    text = stamp.isoformat(timespec="microseconds" if stamp.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def report_objects(table: Columns) -> list[dict[str, Any]]:
    """The reports as spec objects (JSON-ready dicts), absent fields left out."""
    out: list[dict[str, Any]] = []
    for i in range(size(table)):
        obj: dict[str, Any] = {name: str(table[name][i]) for name in _TEXT}
        obj["credibility"] = int(table["credibility"][i])
        obj["observed_at"] = rfc3339(float(table["observed_at"][i]))
        until = float(table["observed_until"][i])
        if np.isfinite(until):
            obj["observed_until"] = rfc3339(until)
        for name in _NUMBERS:
            value = float(table[name][i])
            if np.isfinite(value):
                obj[name] = value
        for name in _OPTIONAL_TEXT:
            text = table[name][i]
            if text is not None:
                obj[name] = str(text)
        obj["count"] = int(table["count"][i])
        out.append(obj)
    return out


def truth_clusters(table: Columns) -> NDArray[np.int64]:
    """Cluster label of each report: its event, or ``-(1 + root row)`` for false ones.

    A relay or re-send of a false report shares the label of the report it copies.
    """
    event = table["event"].astype(np.int64)
    copy_of = table["copy_of"].astype(np.int64)
    root = np.arange(len(event), dtype=np.int64)
    has_copy = copy_of >= 0
    root[has_copy] = copy_of[has_copy]
    # copies of copies: follow the chain to its end (it is short: one or two steps)
    for _ in range(4):
        nxt = copy_of[root]
        deeper = nxt >= 0
        if not deeper.any():
            break
        root[deeper] = nxt[deeper]
    return np.where(event >= 0, event, -(1 + root))


def truth_document(scenario: Scenario) -> dict[str, Any]:
    """The ``truth.json`` content of ``scenario``."""
    table, events = scenario.reports, scenario.events
    clusters = truth_clusters(table)
    copy_of = table["copy_of"].astype(np.int64)
    seen = np.bincount(table["event"][table["event"] >= 0].astype(np.int64), minlength=len(events))
    reports = [
        {
            "source": str(table["source"][i]),
            "id": str(table["id"][i]),
            "event": int(table["event"][i]) if table["event"][i] >= 0 else None,
            "kind": str(table["kind"][i]),
            "copy_of": (
                {"source": str(table["source"][copy_of[i]]), "id": str(table["id"][copy_of[i]])}
                if copy_of[i] >= 0
                else None
            ),
            "cluster": int(clusters[i]),
        }
        for i in range(size(table))
    ]
    return {
        "family": str(scenario.family),
        "seed": scenario.seed,
        "clock_skew_s": scenario.clock_skew_s,
        "events": [
            {
                "event": k,
                "observed_at": rfc3339(float(events.t_s[k])),
                "duration_s": round(float(events.duration_s[k]), 1),
                "lon": float(events.lon[k]),
                "lat": float(events.lat[k]),
                "count": int(events.count[k]),
                "category": str(events.category[k]),
                "weapon_class": str(events.weapon_class[k]),
                "burst": int(events.burst[k]),
                "reports": int(seen[k]),
            }
            for k in range(len(events))
        ],
        "reports": reports,
    }


def write_scenario(scenario: Scenario, out_dir: Path) -> tuple[Path, Path]:
    """Write ``reports.ndjson`` and ``truth.json`` into ``out_dir``; return both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    reports_path = out_dir / "reports.ndjson"
    truth_path = out_dir / "truth.json"
    lines = (json.dumps(obj, separators=(",", ":")) for obj in report_objects(scenario.reports))
    reports_path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    truth_path.write_text(json.dumps(truth_document(scenario), indent=1), encoding="utf-8")
    return reports_path, truth_path
