"""What an analyst sees from init, agreement, ingest, reports, violations and quarantine."""

from __future__ import annotations

import json
import math
from pathlib import Path

import orjson
import pytest
from cli_helpers import Invoke
from sqlalchemy import create_engine
from sqlalchemy import text as sa_text
from typer.testing import CliRunner

from ceasefire.cli.main import app

MINI = Path(__file__).resolve().parents[1] / "data" / "mini-agreement" / "agreement.yaml"


def good(**overrides: object) -> dict[str, object]:
    report: dict[str, object] = {
        "id": "g1",
        "source": "op-7",
        "source_type": "observation_post",
        "observed_at": "2026-03-10T10:00:00+02:00",
        "lat": 48.0,
        "lon": 37.4,
        "uncertainty_m": 100,
        "category": "explosion",
        "count": 3,
    }
    report.update(overrides)
    return report


def line(obj: dict[str, object]) -> str:
    return orjson.dumps(obj).decode()


def dump(db: str) -> dict[str, list[tuple[object, ...]]]:
    skip = {"received_at", "ingest_run_pk", "loaded_at"}
    out = {}
    engine = create_engine(db)
    with engine.connect() as conn:
        for table in ("reports", "quarantine", "incidents", "violations", "incident_reports"):
            result = conn.execute(sa_text(f"SELECT * FROM {table} ORDER BY 1"))
            names = list(result.keys())
            out[table] = [
                tuple(v for n, v in zip(names, row, strict=True) if n not in skip)
                for row in result.all()
            ]
    engine.dispose()
    return out


@pytest.fixture
def loaded(cli: Invoke) -> Invoke:
    assert cli("init").exit_code == 0
    result = cli("agreement", "load", str(MINI))
    assert result.exit_code == 0, result.output
    return cli


def test_init_works_from_any_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("CEASEFIRE_DB", raising=False)
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(app, ["init", "--db", "nested/cf.db"])
        assert result.exit_code == 0, result.output
    assert (elsewhere / "nested" / "cf.db").is_file()


def test_agreement_load_is_idempotent_and_show_lists_it(loaded: Invoke) -> None:
    again = loaded("agreement", "load", str(MINI))
    assert again.exit_code == 0
    assert "already loaded" in again.output
    shown = json.loads(loaded("agreement", "show", "--json").output)
    assert [(v["agreement_id"], v["version"]) for v in shown] == [("mini", 1)]
    assert shown[0]["zones"] == ["security-zone", "withdrawal-mlrs", "disengagement"]
    assert shown[0]["in_force_from"] == "2026-03-01T00:00:00Z"


def test_a_bad_agreement_names_the_key(loaded: Invoke, tmp_path: Path) -> None:
    broken = tmp_path / "agreement.yaml"
    broken.write_text(
        MINI.read_text().replace("width_km: {UKR: 10, RUS: 10}", "width_km: {UKR: -1}")
    )
    for geo in (MINI.parent / "geo").iterdir():
        (tmp_path / "geo").mkdir(exist_ok=True)
        (tmp_path / "geo" / geo.name).write_text(geo.read_text())
    result = loaded("agreement", "load", str(broken))
    assert result.exit_code == 2
    assert "zones[0].width_km" in result.output


def test_ingest_keeps_good_lines_and_quarantines_each_bad_one(
    loaded: Invoke, fresh_db: str, tmp_path: Path
) -> None:
    bad_lines = {
        "malformed": '{"id": "b1", "source": ',
        "missing": line({k: v for k, v in good(id="b2").items() if k != "category"}),
        "lat91": line(good(id="b3", lat=91)),
        "category": line(good(id="b4", category="artillery_duel")),
        "offset": line(good(id="b5", observed_at="2026-03-10T10:00:00")),
        "nan": line(good(id="b6")).replace('"lat":48.0', '"lat":NaN'),
        "huge": line(good(id="b7", description="x" * 10_000_000)),
        "conflict": line(good(id="g1", count=99)),
    }
    goods = [line(good(id=f"g{i}", lon=37.0 + i / 10)) for i in range(1, 6)]
    path = tmp_path / "mixed.ndjson"
    path.write_text("\n".join([goods[0], *bad_lines.values(), *goods[1:]]) + "\n")

    result = loaded("ingest", "--json", str(path))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary == {
        "read": 13,
        "accepted": 5,
        "duplicates": 0,
        "amended": 0,
        "withdrawn": 0,
        "quarantined": 8,
        "alerts": 0,
        "retried": 0,
        "files": [str(path)],
    }
    items = json.loads(loaded("quarantine", "--json").output)
    by_raw = {item["raw"]: (item["field"], item["rule"]) for item in items}
    assert set(by_raw) == set(bad_lines.values())  # each kept whole, exactly as received
    reasons = {name: by_raw[raw] for name, raw in bad_lines.items()}
    assert reasons["missing"] == ("category", "required")
    assert reasons["lat91"] == ("lat", "range")
    assert reasons["category"][0] == "category"
    assert reasons["offset"][0] == "observed_at"
    assert reasons["conflict"] == ("id", "duplicate_id_different_content")
    assert reasons["malformed"][0] == "(line)"
    assert all(field and rule for field, rule in reasons.values())
    lines_of = {item["raw"]: item["line"] for item in items}
    assert lines_of[bad_lines["lat91"]] == 4

    stored = json.loads(loaded("reports", "--json").output)
    assert sorted(r["id"] for r in stored) == ["g1", "g2", "g3", "g4", "g5"]

    before = dump(fresh_db)
    rerun = json.loads(loaded("ingest", "--json", str(path)).output)
    assert (rerun["accepted"], rerun["duplicates"]) == (0, 5)
    assert dump(fresh_db) == before


def test_reports_json_shows_placement(loaded: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    path.write_text(
        line(good(id="west", lon=37.4, lat=48.0)) + "\n" + line(good(id="east", lon=37.6)) + "\n"
    )
    assert loaded("ingest", str(path)).exit_code == 0
    rows = {r["id"]: r for r in json.loads(loaded("reports", "--json").output)}
    west = rows["west"]
    assert west["party"] == "UKR"
    assert rows["east"]["party"] == "RUS"
    assert math.isclose(west["distance_to_line_km"], 7.46, abs_tol=0.02)
    assert west["zones_inside"] == ["security-zone", "withdrawal-mlrs"]
    assert west["zones_possibly_inside"] == []
    assert west["location"] == {"lon": 37.4, "lat": 48.0, "uncertainty_m": 100.0, "form": "point"}
    assert west["observed_at"] == "2026-03-10T08:00:00Z"
    assert west["agreement"] == {"id": "mini", "version": 1}
    only_east = json.loads(loaded("reports", "--json", "--source", "nobody").output)
    assert only_east == []
    window = json.loads(loaded("reports", "--json", "--since", "2026-03-11").output)
    assert window == []


def test_violations_filters(loaded: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    reports = [
        good(id="fire"),
        good(id="mlrs", category="heavy_weapon", weapon_class="mlrs", lon=37.2),
        good(id="early", observed_at="2026-02-01T00:00:00Z"),
    ]
    path.write_text("".join(line(r) + "\n" for r in reports))
    assert loaded("ingest", str(path)).exit_code == 0
    every = json.loads(loaded("violations", "--json").output)
    assert sorted((v["rule_id"], v["certainty"], v["zone_id"]) for v in every) == [
        ("R1", "certain", None),
        ("R3", "certain", "withdrawal-mlrs"),
    ]
    zone = json.loads(loaded("violations", "--json", "--zone", "withdrawal-mlrs").output)
    assert [v["reports"] for v in zone] == [[{"source": "op-7", "id": "mlrs"}]]
    assert json.loads(loaded("violations", "--json", "--rule", "R6").output) == []
    human = loaded("violations").output
    assert "R3" in human
    assert "2 violations" in human


def test_unreadable_or_unknown_input_fails_before_writing(loaded: Invoke, tmp_path: Path) -> None:
    good_file = tmp_path / "a.ndjson"
    good_file.write_text(line(good()) + "\n")
    missing = loaded("ingest", str(good_file), str(tmp_path / "nope.ndjson"))
    assert missing.exit_code != 0
    strange = tmp_path / "data.bin"
    strange.write_bytes(b"\x00\x01\x02")
    unknown = loaded("ingest", str(strange))
    assert unknown.exit_code != 0
    assert json.loads(loaded("reports", "--json").output) == []


def test_commands_on_a_missing_database_say_to_init(cli: Invoke) -> None:
    result = cli("reports")
    assert result.exit_code == 2
    assert "ceasefire init" in result.output
