"""Helpers for fuzzing the HQ API: seed reports, wild report bodies, and the error contract.

The seed puts incidents, violations and a tearline case (reports releasable to France only,
next to reports the fuzzing user may see) in the store, so that generated ids hit real rows
and the partial-incident code runs. ``report_bodies`` draws reports field by field from
docs/spec/observation-report.md with values at and beyond each field's edges: the OpenAPI
schema only says "an object", so schemathesis alone would never send a plausible report.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
from hypothesis import strategies as st

#: Offsets that push a time across year 1 or year 9999 when converted to UTC.
_OFFSETS = [UTC, timezone(timedelta(hours=14)), timezone(-timedelta(hours=23, minutes=59))]
_EXTREME_TIMES = [
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+23:59",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999Z",
]


def seed_reports() -> bytes:
    """NDJSON: six shellings west of the mini line seen by three posts (USA may see them), and
    two more beside them releasable to France only (partial incidents for a USA user)."""
    lines = []
    for k in range(6):
        lines.append(
            {
                "id": f"seed-{k}",
                "source": f"op-{k % 3}",
                "source_type": "observation_post",
                "observed_at": f"2026-03-10T10:0{k}:00Z",
                "lat": 48.0,
                "lon": 37.4 + 0.001 * k,
                "uncertainty_m": 100,
                "category": "explosion",
                "weapon_class": "artillery_ge_100",
                "count": 2,
            }
        )
    for k in range(2):
        lines.append(
            {
                "id": f"seed-fra-{k}",
                "source": "fra-uav-1",
                "source_type": "uav",
                "observed_at": f"2026-03-10T10:0{k}:30Z",
                "lat": 48.0005,
                "lon": 37.4 + 0.001 * k,
                "uncertainty_m": 50,
                "category": "explosion",
                "weapon_class": "artillery_ge_100",
                "count": 3,
                "classification": "SECRET",
                "releasable_to": ["FRA"],
            }
        )
    return b"".join(orjson.dumps(line) + b"\n" for line in lines)


def _times() -> st.SearchStrategy[str]:
    moments = st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    )
    aware = st.builds(
        lambda m, tz: m.replace(tzinfo=tz).isoformat(), moments, st.sampled_from(_OFFSETS)
    )
    return st.one_of(st.sampled_from(_EXTREME_TIMES), aware, st.text(max_size=30))


def _numbers() -> st.SearchStrategy[Any]:
    """JSON numbers from tiny to huge (no NaN or infinity: JSON has neither)."""
    return st.one_of(
        st.integers(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from([0, -1, 1e308, -1e308, 5e-324, 2**63, -(2**63) - 1]),
    )


def _anything() -> st.SearchStrategy[Any]:
    scalars = st.one_of(st.none(), st.booleans(), _numbers(), st.text(max_size=20))
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=5)


def report_bodies() -> st.SearchStrategy[dict[str, Any]]:
    """One report object: the spec's fields, each a plausible value, an edge value or junk;
    the location near the mini agreement's line half of the time, so some are accepted."""
    words = st.text(min_size=1, max_size=12)

    def field(plausible: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(plausible, plausible, _anything())

    required = {
        "id": field(words),
        "source": field(st.sampled_from(["op-1", "uav-lr-07", "acoustic-3"])),
        "source_type": field(st.sampled_from(["patrol", "observation_post", "uav", "radar"])),
        "observed_at": field(_times()),
        "category": field(st.sampled_from(["explosion", "shots", "heavy_weapon", "other"])),
    }
    optional = {
        "lat": field(st.one_of(st.floats(47.9, 48.1), _numbers())),
        "lon": field(st.one_of(st.floats(37.3, 37.7), _numbers())),
        "uncertainty_m": field(_numbers()),
        "observed_until": field(_times()),
        "observer_lat": field(_numbers()),
        "observer_lon": field(_numbers()),
        "bearing_deg": field(_numbers()),
        "bearing_error_deg": field(_numbers()),
        "distance_min_m": field(_numbers()),
        "distance_max_m": field(_numbers()),
        "place": field(words),
        "weapon_class": field(st.sampled_from(["mortar", "artillery_ge_100", "heavy_mlrs"])),
        "count": field(_numbers()),
        "heading_deg": field(_numbers()),
        "reliability": field(st.sampled_from(list("ABCDEF"))),
        "credibility": field(st.integers(1, 6)),
        "classification": field(st.sampled_from(["UNCLASSIFIED", "SECRET", "COSMIC"])),
        "releasable_to": field(st.lists(st.sampled_from(["USA", "FRA", "NATO", "usa"]))),
        "amends": field(words),
        "withdrawn": field(st.booleans()),
    }
    return st.fixed_dictionaries(required, optional=optional)


def error_contract_problem(status: int, body: bytes) -> str | None:
    """What is wrong with a 4xx body, or ``None``: docs/hq-api.md promises JSON
    ``{"error": {"code", "field", "rule", "message"}}``, and bad input (400, 422) must
    name the field and the rule it broke."""
    try:
        error = orjson.loads(body)["error"]
        code, field, rule, message = (error[k] for k in ("code", "field", "rule", "message"))
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return f"{status} without the error JSON: {body[:200]!r}"
    if not all(isinstance(x, str) for x in (code, field, rule, message)) or not code:
        return f"{status} with a malformed error: {error}"
    if status in (400, 422) and not (field and rule):
        return f"{status} naming no field or rule: {error}"
    return None
