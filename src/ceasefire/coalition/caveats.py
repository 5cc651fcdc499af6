"""National caveats as a closed, typed vocabulary, and what each one excludes.

ISAF (2006) had 37 contingents and dozens of caveats — geographic, consultation, operational —
and force generation broke on them. Here each caveat is a frozen dataclass with typed
parameters, keyed by a ``CaveatKind``; ``blocks`` says whether it rules a pledge out of a CJSOR
line, which is the 0/1 feasibility mask the solver uses. ``time_limited`` instead cuts the
months a pledge may serve (``month_limit``).

Conditions (US backstop, a parliamentary vote, any named condition) read the scenario's
assumptions, so ``--assume us_backstop=true`` switches a conditional pledge on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from ceasefire.coalition.catalogue import STATUS_RANK, AreaKind, PledgeStatus, Task
from ceasefire.errors import InputError

if TYPE_CHECKING:
    from ceasefire.coalition.model import Area, Requirement

#: Assumption key read by ``requires_us_backstop``.
US_BACKSTOP = "us_backstop"


class CaveatKind(StrEnum):
    """The caveat types a pledge may carry (the ``type:`` key in YAML)."""

    GEOGRAPHIC = "geographic"
    MIN_DISTANCE_FROM_LINE = "min_distance_from_line"
    NATO_SOIL_ONLY = "nato_soil_only"
    NOT_IN_UKRAINE = "not_in_ukraine"
    NO_COMBAT_TASKS = "no_combat_tasks"
    TRAINING_ONLY = "training_only"
    REQUIRES_US_BACKSTOP = "requires_us_backstop"
    REQUIRES_PARLIAMENT = "requires_parliament"
    TIME_LIMITED = "time_limited"
    CONDITIONAL = "conditional"


@dataclass(frozen=True, slots=True)
class Geographic:
    """Only in the named areas (areas of Ukraine, neighbouring states, seas)."""

    areas: frozenset[str]
    kind = CaveatKind.GEOGRAPHIC


@dataclass(frozen=True, slots=True)
class MinDistanceFromLine:
    """Inside Ukraine, only in areas at least ``km`` from the line of contact."""

    km: float
    kind = CaveatKind.MIN_DISTANCE_FROM_LINE


@dataclass(frozen=True, slots=True)
class NatoSoilOnly:
    """Only on NATO territory (Germany: Poland, Romania; not inside Ukraine)."""

    kind = CaveatKind.NATO_SOIL_ONLY


@dataclass(frozen=True, slots=True)
class NotInUkraine:
    """No troops inside Ukraine (Poland's logistics lead, the US "no ground troops")."""

    kind = CaveatKind.NOT_IN_UKRAINE


@dataclass(frozen=True, slots=True)
class NoCombatTasks:
    """Excludes lines whose task may involve combat (``Task.combat``)."""

    kind = CaveatKind.NO_COMBAT_TASKS


@dataclass(frozen=True, slots=True)
class TrainingOnly:
    """Only training lines."""

    kind = CaveatKind.TRAINING_ONLY


@dataclass(frozen=True, slots=True)
class RequiresUsBackstop:
    """Only if the United States backstops the force (assumption ``us_backstop``)."""

    kind = CaveatKind.REQUIRES_US_BACKSTOP


@dataclass(frozen=True, slots=True)
class RequiresParliament:
    """Only after a vote of ``body``.

    Met when the assumption named ``assumption`` is true; when the scenario does not set it,
    met once the pledge has reached the ``approved`` rung. An explicit ``false`` wins.
    """

    body: str
    assumption: str
    kind = CaveatKind.REQUIRES_PARLIAMENT


@dataclass(frozen=True, slots=True)
class TimeLimited:
    """Units serve only until ``until_day`` days after the ceasefire."""

    until_day: int
    kind = CaveatKind.TIME_LIMITED


@dataclass(frozen=True, slots=True)
class Conditional:
    """Only if a named condition holds (assumption ``assumption``), e.g. a UN mandate."""

    assumption: str
    description: str = ""
    kind = CaveatKind.CONDITIONAL


Caveat = (
    Geographic
    | MinDistanceFromLine
    | NatoSoilOnly
    | NotInUkraine
    | NoCombatTasks
    | TrainingOnly
    | RequiresUsBackstop
    | RequiresParliament
    | TimeLimited
    | Conditional
)


def blocks(
    caveat: Caveat,
    *,
    requirement: Requirement,
    area: Area,
    assumptions: Mapping[str, bool],
    status: PledgeStatus,
) -> bool:
    """Whether ``caveat`` rules its pledge out of ``requirement`` (in ``area``).

    Unknown assumptions count as false: a condition nobody has asserted is not met.
    ``time_limited`` never blocks a whole line; it cuts months (``month_limit``).
    """
    match caveat:
        case Geographic(areas=areas):
            return area.id not in areas
        case MinDistanceFromLine(km=km):
            if area.kind is not AreaKind.UKRAINE:
                return False
            return area.distance_to_line_km is None or area.distance_to_line_km < km
        case NatoSoilOnly():
            return not area.nato_soil
        case NotInUkraine():
            return area.kind is AreaKind.UKRAINE
        case NoCombatTasks():
            return requirement.task.combat
        case TrainingOnly():
            return requirement.task is not Task.TRAINING
        case RequiresUsBackstop():
            return not assumptions.get(US_BACKSTOP, False)
        case RequiresParliament(assumption=key):
            if key in assumptions:
                return not assumptions[key]
            return STATUS_RANK[status] < STATUS_RANK[PledgeStatus.APPROVED]
        case TimeLimited():
            return False
        case Conditional(assumption=key):
            return not assumptions.get(key, False)


def month_limit(caveats: tuple[Caveat, ...], month_days: int) -> int | None:
    """First planning month a pledge may no longer serve, from its ``time_limited`` caveats."""
    limits = [c.until_day // month_days for c in caveats if isinstance(c, TimeLimited)]
    return min(limits) if limits else None


def caveat_label(caveat: Caveat) -> str:
    """Short human label: ``min_distance_from_line(km=100)``."""
    match caveat:
        case Geographic(areas=areas):
            return f"geographic({','.join(sorted(areas))})"
        case MinDistanceFromLine(km=km):
            return f"min_distance_from_line(km={km:g})"
        case RequiresParliament(body=body):
            return f"requires_parliament({body})"
        case TimeLimited(until_day=day):
            return f"time_limited(until_day={day})"
        case Conditional(assumption=key):
            return f"conditional({key})"
        case _:
            return str(caveat.kind)


def caveat_to_dict(caveat: Caveat) -> dict[str, object]:
    """Plain mapping (``type`` plus parameters) for storage and JSON; inverts ``parse_caveat``."""
    out: dict[str, object] = {"type": str(caveat.kind)}
    match caveat:
        case Geographic(areas=areas):
            out["areas"] = sorted(areas)
        case MinDistanceFromLine(km=km):
            out["km"] = km
        case RequiresParliament(body=body, assumption=key):
            out["body"] = body
            out["assumption"] = key
        case TimeLimited(until_day=day):
            out["until_day"] = day
        case Conditional(assumption=key, description=text):
            out["assumption"] = key
            if text:
                out["description"] = text
        case _:
            pass
    return out


#: Parameters each caveat type takes: name → (python type, required).
PARAMETERS: dict[CaveatKind, dict[str, tuple[type, bool]]] = {
    CaveatKind.GEOGRAPHIC: {"areas": (list, True)},
    CaveatKind.MIN_DISTANCE_FROM_LINE: {"km": (float, True)},
    CaveatKind.NATO_SOIL_ONLY: {},
    CaveatKind.NOT_IN_UKRAINE: {},
    CaveatKind.NO_COMBAT_TASKS: {},
    CaveatKind.TRAINING_ONLY: {},
    CaveatKind.REQUIRES_US_BACKSTOP: {},
    CaveatKind.REQUIRES_PARLIAMENT: {"body": (str, True), "assumption": (str, True)},
    CaveatKind.TIME_LIMITED: {"until_day": (int, True)},
    CaveatKind.CONDITIONAL: {"assumption": (str, True), "description": (str, False)},
}


def parse_caveat(raw: Mapping[str, object], *, field: str = "caveat") -> Caveat:
    """Build a typed caveat from ``{"type": ..., **parameters}``.

    Raises ``InputError`` naming ``field`` and the rule: ``caveat-type`` (unknown type),
    ``caveat-parameter`` (missing, unexpected or mistyped parameter), ``range`` (negative).

    >>> parse_caveat({"type": "min_distance_from_line", "km": 100})
    MinDistanceFromLine(km=100.0)
    """
    kind_raw = raw.get("type")
    try:
        kind = CaveatKind(str(kind_raw))
    except ValueError:
        known = ", ".join(k.value for k in CaveatKind)
        raise InputError(
            f"{field}.type", "caveat-type", f"unknown caveat type {kind_raw!r} (known: {known})"
        ) from None
    spec = PARAMETERS[kind]
    extra = sorted(set(raw) - {"type"} - set(spec))
    if extra:
        raise InputError(
            f"{field}.{extra[0]}", "caveat-parameter", f"{kind} takes no parameter {extra[0]!r}"
        )
    values: dict[str, object] = {}
    for name, (typ, required) in spec.items():
        if name not in raw:
            if required:
                raise InputError(
                    f"{field}.{name}", "caveat-parameter", f"{kind} needs parameter {name!r}"
                )
            continue
        values[name] = _coerce(raw[name], typ, f"{field}.{name}")
    match kind:
        case CaveatKind.GEOGRAPHIC:
            areas = values["areas"]
            assert isinstance(areas, list)
            if not areas:
                raise InputError(f"{field}.areas", "caveat-parameter", "areas must not be empty")
            return Geographic(frozenset(str(a) for a in areas))
        case CaveatKind.MIN_DISTANCE_FROM_LINE:
            km = values["km"]
            assert isinstance(km, float)
            if km < 0:
                raise InputError(f"{field}.km", "range", f"km must be >= 0, got {km:g}")
            return MinDistanceFromLine(km)
        case CaveatKind.NATO_SOIL_ONLY:
            return NatoSoilOnly()
        case CaveatKind.NOT_IN_UKRAINE:
            return NotInUkraine()
        case CaveatKind.NO_COMBAT_TASKS:
            return NoCombatTasks()
        case CaveatKind.TRAINING_ONLY:
            return TrainingOnly()
        case CaveatKind.REQUIRES_US_BACKSTOP:
            return RequiresUsBackstop()
        case CaveatKind.REQUIRES_PARLIAMENT:
            return RequiresParliament(str(values["body"]), str(values["assumption"]))
        case CaveatKind.TIME_LIMITED:
            day = values["until_day"]
            assert isinstance(day, int)
            if day < 0:
                raise InputError(f"{field}.until_day", "range", "until_day must be >= 0")
            return TimeLimited(day)
        case CaveatKind.CONDITIONAL:
            return Conditional(str(values["assumption"]), str(values.get("description", "")))


def _coerce(value: object, typ: type, field: str) -> object:
    """Check a parameter's type; ints are accepted where floats are asked."""
    if typ is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if typ is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if typ in (str, list) and isinstance(value, typ):
        return value
    raise InputError(field, "caveat-parameter", f"expected {typ.__name__}, got {value!r}")
