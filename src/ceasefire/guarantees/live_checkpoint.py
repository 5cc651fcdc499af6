"""The live evaluator's checkpoint as plain data: versioned JSON, never a pickle.

A checkpoint is read back from a shared database. Unpickling it would run whatever code a
row names, so anyone able to write one row (a compromised HQ database user, a backup
restored from elsewhere) could run code in every process that resumes. This format holds
only strings, numbers, lists and nulls: the revisions of the facts held and the instant
evaluated up to. The trigger evaluator itself is not saved; :func:`decode_state` gives the
facts back and ``LiveEvaluator.restore`` replays them from memory (a rebuild *is* a replay:
same alerts, ~0.3 s for the demo's 20,000 facts), which is also cheaper than unpickling the
evaluator's object graph was.

Layout (zlib level 1 over orjson)::

    {"kind": "ceasefire.live-guarantees", "format": 2,
     "at": "2026-02-01T00:00:00+00:00" | null,
     "fields": [<MonitoringFact field names>],
     "facts": [[<values in that order>], ...]}

Datetimes are ISO 8601 with offset, enums their value, ``zone_ids``/``report_ids`` lists.
Anything else (another ``kind`` or ``format``, other fields, a value of the wrong type, bytes
that are not zlib or JSON, such as an old pickle) is refused with ``InputError`` naming the
rule, and the caller rebuilds from the store's history.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import fields
from datetime import datetime
from typing import TypeVar

import orjson

from ceasefire.errors import InputError
from ceasefire.guarantees.facts import MonitoringFact, VerificationState
from ceasefire.reports.model import Category, FireDirection, WeaponClass

KIND = "ceasefire.live-guarantees"
#: Bumped whenever the layout changes: a checkpoint of another format is refused.
#: 1 was the pickle of the evaluator (refused: it is not JSON).
CHECKPOINT_FORMAT = 2
#: ``MonitoringFact``'s fields, in the order a fact's row lists them.
FACT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(MonitoringFact))

_T = TypeVar("_T")


def encode_state(facts: Sequence[MonitoringFact], at: datetime | None) -> bytes:
    """The checkpoint's bytes for the revisions ``facts`` evaluated up to ``at``."""
    rows = [
        [
            f.id,
            f.observed_at,
            f.recorded_at,
            f.category.value,
            f.count,
            f.weapon_class.value if f.weapon_class is not None else None,
            f.fire_direction.value if f.fire_direction is not None else None,
            f.rule_id,
            f.severity,
            sorted(f.zone_ids),
            f.side_party,
            f.distance_to_line_km,
            f.sector,
            f.lon,
            f.lat,
            f.verification.value,
            f.attributed_to,
            f.attribution_id,
            f.remedied_at,
            f.target,
            list(f.report_ids),
            f.revision,
            f.first_hand,
        ]
        for f in facts
    ]
    document = {"kind": KIND, "format": CHECKPOINT_FORMAT, "at": at, "fields": FACT_FIELDS}
    document["facts"] = rows
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
    if document.get("fields") != list(FACT_FIELDS):
        raise InputError("checkpoint", "fields", "its facts' fields are not MonitoringFact's")
    rows = document.get("facts")
    if not isinstance(rows, list):
        raise InputError("checkpoint", "facts", "facts must be a list")
    try:
        at = _when(document.get("at"))
        facts = [_fact(row) for row in rows]
    except (TypeError, ValueError, AttributeError) as exc:
        raise InputError("checkpoint", "values", f"a fact does not parse: {exc}") from exc
    return facts, at


def _fact(row: object) -> MonitoringFact:
    """One row back into a fact; TypeError/ValueError on a value of the wrong shape."""
    if not isinstance(row, list) or len(row) != len(FACT_FIELDS):
        raise TypeError(f"a fact is a list of {len(FACT_FIELDS)} values")
    (
        fact_id,
        observed_at,
        recorded_at,
        category,
        count,
        weapon_class,
        fire_direction,
        rule_id,
        severity,
        zone_ids,
        side_party,
        distance_km,
        sector,
        lon,
        lat,
        verification,
        attributed_to,
        attribution_id,
        remedied_at,
        target,
        report_ids,
        revision,
        first_hand,
    ) = row
    observed = _when(observed_at)
    recorded = _when(recorded_at)
    if observed is None or recorded is None:
        raise TypeError("observed_at and recorded_at are required")
    return MonitoringFact(
        id=_text(fact_id),
        observed_at=observed,
        recorded_at=recorded,
        category=Category(_text(category)),
        count=_int(count),
        weapon_class=_maybe(weapon_class, lambda v: WeaponClass(_text(v))),
        fire_direction=_maybe(fire_direction, lambda v: FireDirection(_text(v))),
        rule_id=_maybe(rule_id, _text),
        severity=_int(severity),
        zone_ids=frozenset(_texts(zone_ids)),
        side_party=_maybe(side_party, _text),
        distance_to_line_km=_maybe(distance_km, _float),
        sector=_maybe(sector, _text),
        lon=_maybe(lon, _float),
        lat=_maybe(lat, _float),
        verification=VerificationState(_text(verification)),
        attributed_to=_maybe(attributed_to, _text),
        attribution_id=_maybe(attribution_id, _text),
        remedied_at=_when(remedied_at),
        target=_maybe(target, _text),
        report_ids=tuple(_texts(report_ids)),
        revision=_int(revision),
        first_hand=_bool(first_hand),
    )


def _maybe(value: object, parse: Callable[[object], _T]) -> _T | None:
    return None if value is None else parse(value)


def _when(value: object) -> datetime | None:
    """An ISO 8601 instant with its offset (a naive one is refused), or None."""
    if value is None:
        return None
    moment = datetime.fromisoformat(_text(value))
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no UTC offset")
    return moment


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not a string")
    return value


def _texts(value: object) -> list[str]:
    if not isinstance(value, list):
        raise TypeError(f"{value!r} is not a list")
    return [_text(v) for v in value]


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{value!r} is not an integer")
    return value


def _float(value: object) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise TypeError(f"{value!r} is not a number")
    return float(value)


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{value!r} is not true or false")
    return value
