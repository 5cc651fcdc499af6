"""Read a simulation's ``truth.ndjson`` back: which report came from which true event.

Scorers (the fusion accuracy benchmark, trigger tests) need the answer key without the
simulator's internals; this is it, as plain values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ceasefire.errors import InputError


@dataclass(frozen=True, slots=True)
class TrueEvent:
    """One true event as the truth file states it (see ``docs/simulation.md``)."""

    id: str
    time: str
    lon: float
    lat: float
    category: str
    weapon_class: str | None
    count: int
    party: str | None
    cause: str
    rules: tuple[tuple[str, str], ...]
    """(rule id, certainty) pairs."""
    reports: tuple[tuple[str, str], ...]
    """(source, id) of every report the event caused, in arrival order."""


@dataclass(frozen=True)
class Truth:
    """All true events by id, and the event of every report key (``None``: a false report)."""

    events: dict[str, TrueEvent]
    event_of: dict[tuple[str, str], str | None]


def _event(obj: dict[str, Any]) -> TrueEvent:
    refs = sorted(obj["reports"], key=lambda r: r["arrival"])
    return TrueEvent(
        id=obj["id"],
        time=obj["time"],
        lon=float(obj["lon"]),
        lat=float(obj["lat"]),
        category=obj["category"],
        weapon_class=obj["weapon_class"],
        count=int(obj["count"]),
        party=obj["party"],
        cause=obj["cause"],
        rules=tuple((b["rule"], b["certainty"]) for b in obj["rules"]),
        reports=tuple((r["source"], r["id"]) for r in refs),
    )


def read_truth(path: Path) -> Truth:
    """Parse ``truth.ndjson``; a line that is not a truth record raises :class:`InputError`."""
    events: dict[str, TrueEvent] = {}
    event_of: dict[tuple[str, str], str | None] = {}
    with path.open("rb") as stream:
        for line_no, line in enumerate(stream, start=1):
            try:
                obj = orjson.loads(line)
                if obj["kind"] == "event":
                    event = _event(obj)
                    events[event.id] = event
                    event_of.update(dict.fromkeys(event.reports, event.id))
                elif obj["kind"] == "false_report":
                    event_of[(obj["source"], obj["id"])] = None
                else:
                    raise KeyError("kind")
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise InputError(f"{path.name}:{line_no}", "truth-record", str(exc)) from exc
    return Truth(events, event_of)
