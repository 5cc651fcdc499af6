"""Hypothesis: round trips through every format, and no input ever crashes the parsers."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from report_builders import read_all

from ceasefire.errors import InputError
from ceasefire.reports.model import (
    Category,
    Classification,
    FireDirection,
    ObservationReport,
    Reliability,
    SourceType,
    WeaponClass,
)
from ceasefire.reports.parse import ParsedChunk, ReportFormat, parse_report
from ceasefire.reports.serialize import (
    report_to_dict,
    write_csv,
    write_geojson,
    write_ndjson,
)
from ceasefire.reports.validate import validate_report

TEXT = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40)
LAT = st.floats(-90, 90, allow_nan=False)
LON = st.floats(-180, 180, allow_nan=False)
POSITIVE = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False)  # MAX_DISTANCE_M
NON_NEGATIVE = st.floats(min_value=0, max_value=5e5, allow_nan=False)  # twice: a range
OFFSETS = st.integers(-12 * 4, 14 * 4).map(lambda q: timezone(timedelta(minutes=15 * q)))
TIMES = st.datetimes(datetime(1990, 1, 1), datetime(2099, 12, 1)).flatmap(
    lambda dt: OFFSETS.map(lambda tz: dt.replace(tzinfo=tz))
)
CODES = st.from_regex(r"[A-Z][A-Z0-9_-]{1,8}", fullmatch=True)
ATTACHMENT = st.fixed_dictionaries(
    {
        "sha256": st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
        "media_type": st.sampled_from(["image/jpeg", "video/mp4", "application/pdf"]),
        "name": TEXT,
    }
)


@st.composite
def report_objects(draw: st.DrawFn) -> dict[str, object]:
    """A valid report object with any mix of optional fields and location forms."""
    start = draw(TIMES)
    obj: dict[str, object] = {
        "id": draw(st.text(min_size=1, max_size=128).filter(lambda s: "\x00" not in s) | TEXT),
        "source": draw(TEXT),
        "source_type": draw(st.sampled_from(list(SourceType))).value,
        "observed_at": start.isoformat(),
        "category": draw(st.sampled_from(list(Category))).value,
    }
    forms = draw(st.sets(st.sampled_from(["point", "bearing", "place"]), min_size=1))
    if "point" in forms:
        obj["lat"], obj["lon"] = draw(LAT), draw(LON)
        if draw(st.booleans()):
            obj["uncertainty_m"] = draw(POSITIVE)
    if "bearing" in forms:
        obj["observer_lat"], obj["observer_lon"] = draw(LAT), draw(LON)
        obj["bearing_deg"] = draw(st.floats(0, 360))
        if draw(st.booleans()):
            obj["bearing_error_deg"] = draw(st.floats(0, 90))
        if draw(st.booleans()):
            low = draw(NON_NEGATIVE)
            obj["distance_min_m"], obj["distance_max_m"] = low, low + draw(NON_NEGATIVE)
    if "place" in forms:
        obj["place"] = draw(TEXT)
    optional = {
        "reliability": st.sampled_from(list(Reliability)).map(str),
        "credibility": st.integers(1, 6),
        "observed_until": st.timedeltas(timedelta(0), timedelta(days=40)).map(
            lambda d: (start + d).astimezone(UTC).isoformat()
        ),
        "weapon_class": st.sampled_from(list(WeaponClass)).map(str),
        "count": st.integers(1, 10_000),
        "fire_direction": st.sampled_from(list(FireDirection)).map(str),
        "heading_deg": st.floats(0, 360),
        "attributed_to": TEXT,
        "description": st.text(max_size=300).filter(bool),
        "classification": st.sampled_from(list(Classification)).map(str),
        "releasable_to": st.lists(CODES, min_size=1, max_size=4),
        "attachments": st.lists(ATTACHMENT, max_size=2),
    }
    for name in draw(st.sets(st.sampled_from(sorted(optional)))):
        obj[name] = draw(optional[name])
    if draw(st.booleans()):
        obj["amends"] = draw(TEXT)
        obj["withdrawn"] = draw(st.booleans())
    return obj


def _roundtrip(reports: list[ObservationReport], fmt: ReportFormat) -> list[ObservationReport]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"r.{fmt.value}"
        {
            ReportFormat.NDJSON: write_ndjson,
            ReportFormat.CSV: write_csv,
            ReportFormat.GEOJSON: write_geojson,
        }[fmt](path, reports)
        result = read_all(path, fmt=fmt)
    assert result.rejected == []
    return result.reports


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(report_objects(), min_size=1, max_size=4))
def test_valid_reports_round_trip_through_every_format(objs: list[dict[str, object]]) -> None:
    reports = [parse_report(o) for o in objs]
    for fmt in (ReportFormat.NDJSON, ReportFormat.CSV, ReportFormat.GEOJSON):
        assert _roundtrip(reports, fmt) == reports, fmt


@settings(max_examples=100, deadline=None)
@given(report_objects())
def test_fast_path_and_generic_validator_agree(obj: dict[str, object]) -> None:
    assert parse_report(obj) == validate_report(obj)
    assert parse_report(report_to_dict(parse_report(obj))) == parse_report(obj)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=12,
)
FIELD_VALUES = st.one_of(
    JSON_VALUES,
    st.sampled_from(["explosion", "osint", "2026-03-01T00:00:00Z", "2026-03-01T00:00", "B", "USA"]),
)


@st.composite
def mutated_objects(draw: st.DrawFn) -> dict[str, object]:
    """A valid object with a few fields replaced by arbitrary JSON (or removed)."""
    obj = draw(report_objects())
    names = [*sorted(obj), "lat", "place", "bearing_deg", "withdrawn", "zzz"]
    for name in draw(st.lists(st.sampled_from(names), max_size=3)):
        if draw(st.booleans()):
            obj.pop(name, None)
        else:
            obj[name] = draw(FIELD_VALUES)
    return obj


def outcome(
    validator: Callable[[dict[str, object]], ObservationReport], obj: dict[str, object]
) -> ObservationReport | tuple[str, str]:
    """The report, or the (field, rule) it was rejected with."""
    try:
        return validator(obj)
    except InputError as exc:
        return exc.field, exc.rule


@settings(max_examples=150, deadline=None)
@given(mutated_objects())
def test_any_object_is_accepted_or_rejected_with_field_and_rule(obj: dict[str, object]) -> None:
    fast = outcome(parse_report, obj)
    assert fast == outcome(validate_report, obj)
    if isinstance(fast, tuple):
        assert all(fast)


def read_or_error(path: Path, fmt: ReportFormat) -> ParsedChunk | tuple[str, str]:
    """Everything read, or the (field, rule) that made the whole file unreadable."""
    try:
        return read_all(path, fmt=fmt)
    except InputError as exc:  # a header or a whole GeoJSON file that is unusable
        return exc.field, exc.rule


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.binary(max_size=200) | JSON_VALUES.map(lambda v: json.dumps(v).encode()), max_size=6
    ),
    st.sampled_from(list(ReportFormat)),
)
def test_arbitrary_bytes_never_crash_a_reader(lines: list[bytes], fmt: ReportFormat) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz"
        path.write_bytes(b"\n".join(lines))
        result = read_or_error(path, fmt)
    if isinstance(result, tuple):
        assert all(result)
        return
    assert all(r.field and r.rule for r in result.rejected)
    assert len(result.reports) == len(result.raws)


@settings(max_examples=100, deadline=None)
@given(report_objects(), st.sampled_from([" ", "\t", ""]))
def test_ndjson_raw_survives_any_valid_report(obj: dict[str, object], pad: str) -> None:
    line = pad + orjson.dumps(obj).decode() + pad
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "one.ndjson"
        path.write_text(line + "\n", encoding="utf-8")
        result = read_all(path)
    assert result.raws == [line]
    assert result.reports == [parse_report(obj)]
