"""Reading files: bad lines are rejected with field and rule, good lines of the same file kept."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from report_builders import REMOVE, read_all, report_obj, write_lines

from ceasefire.errors import CeasefireError, InputError, UnknownFormatError
from ceasefire.reports.parse import (
    MAX_LINE_BYTES,
    ReportFileError,
    ReportFormat,
    detect_format,
    parse_report,
    read_reports,
)
from ceasefire.reports.serialize import csv_text, report_to_feature


def good(n: int) -> str:
    return orjson.dumps(report_obj(id=f"good-{n}")).decode()


def test_ndjson_bad_lines_are_rejected_and_good_lines_kept(tmp_path: Path) -> None:
    huge = json.dumps(report_obj(id="huge", description="x" * (10 * 1024 * 1024)))
    lines = [
        good(1),
        '{"id": "broken", "source": ',  # malformed JSON
        json.dumps(report_obj(id="no-cat", category=REMOVE)),
        json.dumps(report_obj(id="lat91", lat=91)),
        json.dumps(report_obj(id="badcat", category="shelling")),
        json.dumps(report_obj(id="naive", observed_at="2026-03-01T14:02:00")),
        json.dumps(report_obj(id="nan", lat=float("nan"))),  # json.dumps writes NaN
        huge,
        good(2),
        "",
        good(3),
    ]
    result = read_all(write_lines(tmp_path / "mixed.ndjson", lines))
    assert [r.id for r in result.reports] == ["good-1", "good-2", "good-3"]
    assert result.raws == [good(1), good(2), good(3)]
    got = [(r.line_no, r.field, r.rule) for r in result.rejected]
    assert got == [
        (2, "(line)", "json"),
        (3, "category", "required"),
        (4, "lat", "range"),
        (5, "category", "enum"),
        (6, "observed_at", "offset_required"),
        (7, "lat", "finite"),
        (8, "(line)", "max_line_bytes"),
    ]
    assert [r.raw for r in result.rejected] == lines[1:8]
    assert len(result.rejected[-1].raw) > 10 * 1024 * 1024


def test_ndjson_raw_is_the_exact_text_received(tmp_path: Path) -> None:
    line = '  {"id":"a", "source":"op-1","source_type":"patrol",'
    line += '"observed_at":"2026-03-01T14:02:00+02:00",'
    line += ' "category":"shots","place":"Щастя"}  '
    result = read_all(write_lines(tmp_path / "a.jsonl", [line.encode() + b"\r"]))
    assert result.raws == [line]
    assert result.reports[0].place == "Щастя"


def test_ndjson_invalid_utf8_and_non_objects(tmp_path: Path) -> None:
    lines = [b'{"id": "\xff"}', b"[1, 2]", b"42", good(1).encode()]
    result = read_all(write_lines(tmp_path / "b.ndjson", lines))
    assert [(r.field, r.rule) for r in result.rejected] == [
        ("(line)", "encoding"),
        ("(report)", "object"),
        ("(report)", "object"),
    ]
    assert result.rejected[0].raw == '{"id": "\\xff"}'
    assert len(result.reports) == 1


def test_line_just_over_the_limit(tmp_path: Path) -> None:
    pad = MAX_LINE_BYTES - len(good(0).encode())
    fits = orjson.dumps(report_obj(id="fits", description="y" * 3000)).decode()
    over = fits[:-1] + ', "padding": "' + "z" * pad + '"}'
    result = read_all(write_lines(tmp_path / "c.ndjson", [fits, over]))
    assert [r.id for r in result.reports] == ["fits"]
    assert [r.rule for r in result.rejected] == ["max_line_bytes"]


def test_chunks_are_bounded_and_in_file_order(tmp_path: Path) -> None:
    lines = [good(i) if i % 3 else '{"x"' for i in range(100)]
    path = write_lines(tmp_path / "d.ndjson", lines)
    chunks = list(read_reports(path, chunk_size=7))
    assert all(c.read <= 7 for c in chunks)
    assert sum(c.read for c in chunks) == 100
    ids = [r.id for c in chunks for r in c.reports]
    assert ids == [f"good-{i}" for i in range(100) if i % 3]


def test_csv_reports_with_lists_multiline_text_and_bad_rows(tmp_path: Path) -> None:
    header = "id,source,source_type,observed_at,category,lat,lon,releasable_to,description,count"
    rows = [
        "c1,op-3,patrol,2026-03-01T10:00:00Z,shots,48.5,37.9,USA;FRA; MNF,"
        '"two shots,\nthen quiet",2',
        "c2,op-3,patrol,2026-03-01T10:00:00Z,shots,,,,,",  # no location
        "c3,op-3,patrol,2026-03-01T10:00:00Z,shots,48.5,nan,,,",
        "c4,op-3,patrol,2026-03-01T10:00:00Z,shots,48.5,37.9,,,2.5",
        "c5,op-3,patrol,2026-03-01T10:00:00Z,shots,48.5,37.9,,,,extra",
        "c6,op-3,patrol,2026-03-01T10:00:00Z,shots,48.5,37.9,,,",
    ]
    result = read_all(write_lines(tmp_path / "r.csv", [header, *rows]))
    assert [r.id for r in result.reports] == ["c1", "c6"]
    first = result.reports[0]
    assert first.releasable_to == ("USA", "FRA", "MNF")
    assert first.description == "two shots,\nthen quiet"
    assert first.count == 2
    assert result.raws[0] == rows[0]
    got = [(r.line_no, r.field, r.rule) for r in result.rejected]
    assert got == [
        (4, "location", "location_required"),
        (5, "lon", "finite"),
        (6, "count", "type"),
        (7, "(line)", "columns"),
    ]


def test_csv_unknown_column_rejects_only_rows_that_use_it(tmp_path: Path) -> None:
    header = "id,source,source_type,observed_at,category,place,colour"
    rows = [
        "u1,s,osint,2026-03-01T10:00:00Z,other,Kyiv,",
        "u2,s,osint,2026-03-01T10:00:00Z,other,Kyiv,red",
    ]
    result = read_all(write_lines(tmp_path / "u.csv", [header, *rows]), fmt=ReportFormat.CSV)
    assert [r.id for r in result.reports] == ["u1"]
    assert [(r.field, r.rule) for r in result.rejected] == [("colour", "unknown_field")]


def test_csv_duplicate_header_is_unreadable(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "dup.csv", ["id,source,category,id", "a,b,c,d"])
    with pytest.raises(InputError) as info:
        read_all(path)
    assert info.value.rule == "duplicate_column"


def test_geojson_features_with_raw_text(tmp_path: Path) -> None:
    point = report_to_feature_obj("g1")
    no_geometry = {
        "type": "Feature",
        "geometry": None,
        "properties": {
            k: v for k, v in report_obj(id="g2", place="Bakhmut").items() if k not in ("lat", "lon")
        },
    }
    bad_lat = report_to_feature_obj("g3")
    bad_lat["geometry"]["coordinates"] = [37.0, 91.0]  # type: ignore[index]
    line = {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
        "properties": report_obj(id="g4"),
    }
    conflict = report_to_feature_obj("g5")
    conflict["properties"]["lat"] = 48.0  # type: ignore[index]
    parts = [
        json.dumps(f, ensure_ascii=False) for f in (point, no_geometry, bad_lat, line, conflict)
    ]
    text = '{"type": "FeatureCollection",\n "features": [\n  ' + ",\n  ".join(parts) + "\n]}"
    path = tmp_path / "f.geojson"
    path.write_text(text, encoding="utf-8")
    result = read_all(path)
    assert [r.id for r in result.reports] == ["g1", "g2"]
    assert result.raws == parts[:2]
    assert result.reports[0].lon == 37.7501
    assert [(r.field, r.rule) for r in result.rejected] == [
        ("lat", "range"),
        ("geometry", "point"),
        ("lat", "conflict"),
    ]
    assert [r.raw for r in result.rejected] == parts[2:]


def report_to_feature_obj(report_id: str) -> dict[str, object]:
    props = report_obj(id=report_id)
    lon, lat = props.pop("lon"), props.pop("lat")
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": props,
    }


def test_geojson_broken_feature_keeps_the_rest_as_one_rejection(tmp_path: Path) -> None:
    ok = json.dumps(report_to_feature_obj("ok"))
    text = '{"type":"FeatureCollection","features":[' + ok + ', {"type": "Feature", "prop'
    path = tmp_path / "broken.geojson"
    path.write_text(text, encoding="utf-8")
    result = read_all(path)
    assert [r.id for r in result.reports] == ["ok"]
    assert [(r.field, r.rule) for r in result.rejected] == [("(line)", "json")]
    assert result.rejected[0].raw == '{"type": "Feature", "prop'


def test_geojson_that_is_not_a_collection(tmp_path: Path) -> None:
    path = tmp_path / "x.geojson"
    path.write_text('{"type": "Feature", "features": []}', encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_all(path)
    assert info.value.rule == "feature_collection"


def test_detect_format(tmp_path: Path) -> None:
    report = parse_report(report_obj())
    (tmp_path / "a.csv").write_text(csv_text([report]), encoding="utf-8")
    (tmp_path / "b.json").write_text(
        json.dumps({"type": "FeatureCollection", "features": [report_to_feature(report)]}),
        encoding="utf-8",
    )
    (tmp_path / "c.txt").write_text(good(1) + "\n", encoding="utf-8")
    (tmp_path / "d.dat").write_text("hello,world\n1,2\n", encoding="utf-8")
    assert detect_format(tmp_path / "a.csv") is ReportFormat.CSV
    assert detect_format(tmp_path / "b.json") is ReportFormat.GEOJSON
    assert detect_format(tmp_path / "c.txt") is ReportFormat.NDJSON
    with pytest.raises(UnknownFormatError):
        detect_format(tmp_path / "d.dat")


def test_unreadable_file_raises_a_ceasefire_error(tmp_path: Path) -> None:
    with pytest.raises(ReportFileError):
        list(read_reports(tmp_path / "missing.ndjson"))
    with pytest.raises(CeasefireError):
        list(read_reports(tmp_path, fmt=ReportFormat.NDJSON))
