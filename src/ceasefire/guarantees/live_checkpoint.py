"""The live evaluator's checkpoint as plain data: versioned JSON, never a pickle.

A checkpoint is read back from a shared database. Unpickling it would run whatever code a
row names, so anyone able to write one row (a compromised HQ database user, a backup
restored from elsewhere) could run code in every process that resumes. This format holds
only strings, numbers, lists and nulls: the revisions of the facts held and the instant
evaluated up to. The trigger evaluator itself is not saved; :func:`decode_state` gives the
facts back and ``LiveEvaluator.restore`` replays them from memory (a rebuild *is* a replay:
same alerts, ~0.3 s for the demo's 20,000 facts), which is also cheaper than unpickling the
evaluator's object graph was.

Layout (zlib level 1 over orjson), one list per ``MonitoringFact`` field (columns, so that
checking and converting a field is one pass at C speed, not a Python call per value)::

    {"kind": "ceasefire.live-guarantees", "format": 2,
     "at": "2026-02-01T00:00:00+00:00" | null,
     "facts": {"id": [...], "observed_at": [...], ..., "first_hand": [...]}}

Datetimes are ISO 8601 with offset, enums their value, ``zone_ids``/``report_ids`` lists.
Anything else (another ``kind`` or ``format``, other fields, a value of the wrong type, bytes
that are not zlib or JSON, such as an old pickle) is refused with ``InputError`` naming the
rule, and the caller rebuilds from the store's history.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields
from datetime import datetime
from enum import StrEnum
from itertools import chain
from operator import attrgetter
from typing import Any

import orjson

from ceasefire.errors import InputError
from ceasefire.guarantees.facts import MonitoringFact, VerificationState
from ceasefire.reports.model import Category, FireDirection, WeaponClass

KIND = "ceasefire.live-guarantees"
#: Bumped whenever the layout changes: a checkpoint of another format is refused.
#: 1 was the pickle of the evaluator (refused: it is not JSON).
CHECKPOINT_FORMAT = 2
#: ``MonitoringFact``'s fields, in its constructor's order.
FACT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(MonitoringFact))

_NONE: type = type(None)
_TEXT: frozenset[type] = frozenset({str})
_MAYBE_TEXT: frozenset[type] = frozenset({str, _NONE})
_INT: frozenset[type] = frozenset({int})
_MAYBE_NUMBER: frozenset[type] = frozenset({float, int, _NONE})
_BOOL: frozenset[type] = frozenset({bool})
_LIST: frozenset[type] = frozenset({list})
_WHEN = ("observed_at", "recorded_at")
_MAYBE_WHEN = ("remedied_at",)


def encode_state(facts: Sequence[MonitoringFact], at: datetime | None) -> bytes:
    """The checkpoint's bytes for the revisions ``facts`` evaluated up to ``at``."""
    columns: dict[str, list[Any]] = {
        name: list(map(attrgetter(name), facts)) for name in FACT_FIELDS
    }
    columns["zone_ids"] = [sorted(z) for z in columns["zone_ids"]]
    columns["report_ids"] = [list(r) for r in columns["report_ids"]]
    document = {"kind": KIND, "format": CHECKPOINT_FORMAT, "at": at, "facts": columns}
    # Enums are str subclasses: orjson writes their value.
    return zlib.compress(orjson.dumps(document), 1)


def decode_state(blob: bytes) -> tuple[list[MonitoringFact], datetime | None]:
    """The revisions and the instant a :func:`encode_state` checkpoint holds.

    InputError (field ``checkpoint``) when the bytes are not this kind and format, or any
    value breaks its field's type: nothing in them is ever executed.
    """
    try:
        document = orjson.loads(zlib.decompress(blob))
    except (zlib.error, orjson.JSONDecodeError) as exc:
        raise InputError("checkpoint", "readable", f"not a live checkpoint: {exc}") from exc
    if not isinstance(document, dict) or document.get("kind") != KIND:
        raise InputError("checkpoint", "kind", f"not a {KIND} checkpoint")
    if document.get("format") != CHECKPOINT_FORMAT:
        raise InputError("checkpoint", "format", f"not format {CHECKPOINT_FORMAT}")
    columns = document.get("facts")
    if not isinstance(columns, dict) or set(columns) != set(FACT_FIELDS):
        raise InputError("checkpoint", "fields", "facts must hold MonitoringFact's fields")
    try:
        at = _instants([document.get("at")], optional=True)[0]
        values = _columns(columns)
    except (TypeError, ValueError, KeyError) as exc:
        raise InputError("checkpoint", "values", f"a fact does not parse: {exc}") from exc
    return list(map(MonitoringFact, *values)), at


def _columns(columns: dict[str, Any]) -> list[list[Any]]:
    """Each field's column checked and converted, in ``FACT_FIELDS`` order."""
    lengths = {len(c) if isinstance(c, list) else -1 for c in columns.values()}
    if len(lengths) != 1 or -1 in lengths:
        raise TypeError("every field is a list, all of one length")
    enums: dict[str, type[StrEnum]] = {
        "category": Category,
        "verification": VerificationState,
    }
    optional_enums: dict[str, type[StrEnum]] = {
        "weapon_class": WeaponClass,
        "fire_direction": FireDirection,
    }
    out: list[list[Any]] = []
    for name in FACT_FIELDS:
        column: list[Any] = columns[name]
        if name in _WHEN or name in _MAYBE_WHEN:
            out.append(_instants(column, optional=name in _MAYBE_WHEN))
        elif name in enums or name in optional_enums:
            kind = enums.get(name) or optional_enums[name]
            lookup: dict[object, object] = {e.value: e for e in kind}
            if name in optional_enums:
                lookup[None] = None
            _only(column, _MAYBE_TEXT, name)
            out.append(list(map(lookup.__getitem__, column)))  # KeyError: not a value
        elif name in ("zone_ids", "report_ids"):
            _only(column, _LIST, name)
            _only(chain.from_iterable(column), _TEXT, name)
            convert: Callable[[list[str]], object] = frozenset if name == "zone_ids" else tuple
            out.append(list(map(convert, column)))
        else:
            _only(column, _SCALARS[name], name)
            out.append(column)
    return out


#: The plain fields' allowed JSON types.
_SCALARS: dict[str, frozenset[type]] = {
    "id": _TEXT,
    "count": _INT,
    "rule_id": _MAYBE_TEXT,
    "severity": _INT,
    "side_party": _MAYBE_TEXT,
    "distance_to_line_km": _MAYBE_NUMBER,
    "sector": _MAYBE_TEXT,
    "lon": _MAYBE_NUMBER,
    "lat": _MAYBE_NUMBER,
    "attributed_to": _MAYBE_TEXT,
    "attribution_id": _MAYBE_TEXT,
    "target": _MAYBE_TEXT,
    "revision": _INT,
    "first_hand": _BOOL,
}


def _only(values: Iterable[object], allowed: frozenset[type], name: str) -> None:
    """TypeError unless every value's exact type is one of ``allowed`` (so no bool as int)."""
    found = set(map(type, values))
    if not found <= allowed:
        wrong = ", ".join(sorted(t.__name__ for t in found - allowed))
        raise TypeError(f"{name} holds {wrong}")


def _instants(values: list[Any], *, optional: bool) -> list[datetime | None]:
    """ISO 8601 instants with their offset (a naive one is refused); None where optional."""
    _only(values, _MAYBE_TEXT if optional else _TEXT, "an instant")
    parsed = [None if v is None else datetime.fromisoformat(v) for v in values]
    if None in set(map(attrgetter("tzinfo"), filter(None, parsed))):
        raise ValueError("an instant has no UTC offset")
    return parsed
