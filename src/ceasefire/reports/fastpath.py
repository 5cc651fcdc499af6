"""A generated fast path for well-formed report objects, one validator per key order ("shape").

Files written by one program carry the same keys in the same order on every line, so for each
new key tuple we compile (once, cached) a function that unpacks ``obj.values()`` into locals,
checks every field with the bounds and vocabularies inlined as constants, and builds the
report's ``__dict__`` in one dict display. It never *decides* a rejection: when any check fails
it returns ``None`` and the caller runs the generic validator, which raises the precise
``InputError`` (field, rule) in the documented order. So the fast path can only accept what the
generic path accepts (a test holds the two to that), and every rule lives in one place.

Why: on CPython 3.11 the generic per-field dispatch costs ~0.4 us a field; the generated code
about a quarter of that, which is most of the parse budget at 100,000 reports/s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from ceasefire.errors import InputError
from ceasefire.reports import timestamps
from ceasefire.reports import validate as v
from ceasefire.reports.model import ObservationReport
from ceasefire.reports.timestamps import parse_timestamp

FastValidator = Callable[[dict[str, object]], ObservationReport | None]

_MAX_SHAPES: Final = 512
_SHAPES: dict[tuple[str, ...], FastValidator | None] = {}


def fast_parse(obj: dict[str, object]) -> ObservationReport | None:
    """The report for a well-formed ``obj``, or ``None`` when the generic path must decide."""
    shape = tuple(obj)
    try:
        validator = _SHAPES[shape]
    except KeyError:
        validator = _compile(shape)
    except TypeError:  # unhashable key cannot happen for JSON; be safe
        return None
    if validator is None:
        return None
    try:
        return validator(obj)
    except (InputError, TypeError, ValueError, OverflowError):
        return None


def _compile(shape: tuple[str, ...]) -> FastValidator | None:
    if len(_SHAPES) >= _MAX_SHAPES:
        _SHAPES.clear()
    validator = _build(shape)
    _SHAPES[shape] = validator
    return validator


def _build(shape: tuple[str, ...]) -> FastValidator | None:
    """Generate the validator source for one key order; ``None`` if it can never pass."""
    if len(set(shape)) != len(shape) or any(k not in v.FIELD_NAMES for k in shape):
        return None
    local = {name: f"x{i}" for i, name in enumerate(shape)}
    lines = [f"def validate(obj):\n    {', '.join(local.values())}, = obj.values()"]
    out: dict[str, str] = {}
    for name in shape:
        x = local[name]
        required = name in v.REQUIRED
        kind = v._KIND[name]
        if kind == v._NUMBER:
            low, high = v._BOUNDS[name]
            lines.append(
                f"    if {x} is not None:\n"
                f"        if not ((type({x}) is float or type({x}) is int)"
                f" and {low!r} <= {x} <= {high!r}): return None\n"
                f"        if type({x}) is int: {x} = float({x})"
            )
            out[name] = x
        elif kind == v._TEXT:
            cond = f"type({x}) is str and 0 < len({x}) <= {v._TEXT_MAX[name]}"
            lines.append(_guard(x, cond, required))
            out[name] = x
        elif kind == v._ENUM:
            lines.append(f"    m_{x} = E_{name}.get({x}) if type({x}) is str else None")
            lines.append(_guard(x, f"m_{x} is not None", required))
            out[name] = f"m_{x}" if required else f"m_{x} if {x} is not None else D_{name}"
        elif kind == v._TIME:
            lines.append(_guard(x, f"type({x}) is str", required))
            call = f"(TS_CACHE.get({x}) or parse_timestamp({x}, {name!r}))"
            lines.append(
                f"    t_{x} = {call}"
                if required
                else f"    t_{x} = {call} if {x} is not None else None"
            )
            out[name] = f"t_{x}"
        elif kind == v._INT:
            low_i, high_i = v._INT_BOUNDS[name]
            lines.append(_guard(x, f"type({x}) is int and {low_i} <= {x} <= {high_i}", required))
            out[name] = x if required else f"{x} if {x} is not None else D_{name}"
        elif kind == v._BOOL:
            lines.append(_guard(x, f"type({x}) is bool", required))
            out[name] = f"{x} if {x} is not None else False"
        elif kind == v._CODES:
            out[name] = f"release_codes({x}) if {x} is not None else ()"
        else:
            out[name] = f"attachments({x}) if {x} is not None else ()"
    for name in v.REQUIRED:
        if name not in out:
            return None
    lines.extend(_cross_field(shape, local, out))
    entries = ", ".join(f"{name!r}: {out[name]}" for name in v.FIELD_NAMES if name in out)
    lines.append(f"    values = {{{entries}}}")
    lines.append("    report = new(Report)\n    set_attr(report, '__dict__', values)")
    lines.append("    return report")
    namespace: dict[str, object] = {
        "parse_timestamp": parse_timestamp,
        "TS_CACHE": timestamps._CACHE,
        "release_codes": v._release_codes,
        "attachments": v._attachments,
        "new": object.__new__,
        "set_attr": object.__setattr__,
        "Report": ObservationReport,
        **{f"E_{name}": table for name, table in v._ENUMS.items()},
        **{f"D_{name}": default for name, default in v._DEFAULTS.items()},
    }
    exec(compile("\n".join(lines), f"<report validator {len(_SHAPES)}>", "exec"), namespace)
    validator: FastValidator = namespace["validate"]  # type: ignore[assignment]
    return validator


def _cross_field(shape: tuple[str, ...], local: dict[str, str], out: dict[str, str]) -> list[str]:
    """The cross-field rules of ``validate._check_cross_field``, specialised to the shape.

    A field absent from the shape is known to be ``None``, so its tests vanish at compile time.
    """

    def ref(name: str) -> str:
        return local.get(name, "None")

    lines = []
    if "observed_until" in shape:
        until = out["observed_until"]
        lines.append(f"    if {until} is not None and {until} < {out['observed_at']}: return None")
    lines.append(f"    has_point = {_pair(ref('lat'), ref('lon'))}")
    lines.append(f"    has_observer = {_pair(ref('observer_lat'), ref('observer_lon'))}")
    lines.append("    if has_point is None or has_observer is None: return None")
    bearing = ref("bearing_deg")
    lines.append(f"    if {bearing} is not None and not has_observer: return None")
    dependants = [ref(n) for n in ("bearing_error_deg", "distance_min_m", "distance_max_m")]
    given = " or ".join(f"{d} is not None" for d in dependants if d != "None") or "False"
    lines.append(f"    if {bearing} is None and ({given}): return None")
    dmin, dmax = ref("distance_min_m"), ref("distance_max_m")
    if "None" not in (dmin, dmax):
        lines.append(
            f"    if {dmin} is not None and {dmax} is not None and {dmin} > {dmax}: return None"
        )
    lines.append(
        f"    if not has_point and {bearing} is None and {ref('place')} is None: return None"
    )
    if "withdrawn" in shape:
        lines.append(f"    if {ref('withdrawn')} and {ref('amends')} is None: return None")
    return lines


def _pair(first: str, second: str) -> str:
    """An expression: True both given, False neither, None exactly one (a broken pair)."""
    if first == "None" and second == "None":
        return "False"
    if first == "None" or second == "None":
        given = second if first == "None" else first
        return f"(False if {given} is None else None)"
    both = f"(True if {second} is not None else None)"
    neither = f"(False if {second} is None else None)"
    return f"({both} if {first} is not None else {neither})"


def _guard(x: str, cond: str, required: bool) -> str:
    if required:
        return f"    if not ({cond}): return None"
    return f"    if {x} is not None and not ({cond}): return None"
