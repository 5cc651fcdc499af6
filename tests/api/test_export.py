"""``ceasefire export``: each format opens with GDAL's own tools (ogrinfo / ogr2ogr) and
round-trips its features' count and attributes; ``--for`` a nation holds exactly what the
HQ API gives a reader of that nation and clearance, nothing it may not see."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from api_helpers import HQ
from ogc_helpers import mixed_store
from typer.testing import CliRunner

from ceasefire.cli.main import app
from ceasefire.reports.model import Classification

pytestmark = pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="gdal-bin not installed")
LEVELS = ("UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET")
SUFFIX = {"gpkg": "gpkg", "geojson": "geojson", "csv": "csv", "kml": "kml"}


def export(hq: HQ, out: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        app,
        ["--db", hq.db, "export", "--out", str(out), "--json", *args],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.output)
    return summary


def gdal_features(path: Path) -> list[dict[str, Any]]:
    """The file's features as GDAL reads them (ogr2ogr to GeoJSON on stdout)."""
    info = subprocess.run(
        ["ogrinfo", "-ro", "-so", "-al", str(path)], capture_output=True, text=True, check=True
    ).stdout
    counts = [int(n) for n in re.findall(r"Feature Count: (\d+)", info)]
    out = subprocess.run(
        ["ogr2ogr", "-f", "GeoJSON", "/vsistdout/", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    feats: list[dict[str, Any]] = json.loads(out)["features"]
    assert counts == [len(feats)]
    return feats


def hq_items(hq: HQ, path: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 50, **({"cursor": cursor} if cursor else {})}
        page = hq.client.get(path, headers=headers, params=params).json()
        out += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return out


def flat(value: Any) -> Any:
    return ";".join(map(str, value)) if isinstance(value, list) else value


def same(got: Any, want: Any) -> bool:
    """An attribute as GDAL reads it back equals what was written (CSV and KML give text)."""
    want = flat(want)
    if want is None:
        return got in (None, "")
    if isinstance(want, bool):
        return str(got).lower() in (str(want).lower(), str(int(want)))
    if isinstance(want, float | int) and not isinstance(got, bool):
        return got not in (None, "") and abs(float(got) - float(want)) < 1e-9
    return str(got) == str(want)


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "csv", "kml"])
def test_incident_export_round_trips(hq: HQ, tmp_path: Path, fmt: str) -> None:
    mixed_store(hq)
    headers = hq.user("sys", nation="FRA", clearance=Classification.SECRET)
    out = tmp_path / f"incidents.{SUFFIX[fmt]}"
    summary = export(hq, out, "--format", fmt, "--what", "incidents")
    feats = gdal_features(out)
    assert summary["features"] == len(feats) == 18  # the system view: every incident, whole
    by_id = {int(f["properties"]["id"]): f for f in feats}
    fra = {i["id"]: i for i in hq_items(hq, "/api/incidents", headers)}
    checked = 0
    for pk, item in fra.items():
        if item["partial"]:
            continue  # FRA sees a tearline; the system view has the whole incident
        props = by_id[pk]["properties"]
        for key, value in item.items():
            if fmt == "kml" and key not in props:
                continue
            assert same(props[key], value), (fmt, key, props[key], value)
        if fmt != "csv":
            assert by_id[pk]["geometry"]["coordinates"][:2] == pytest.approx(
                [item["lon"], item["lat"]]
            )
        checked += 1
    assert checked >= 5


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "kml"])
def test_geography_exports(hq: HQ, tmp_path: Path, fmt: str) -> None:
    headers = hq.user("u", nation="USA")
    zones = hq.client.get("/api/geo/zones", headers=headers).json()["features"]
    out = tmp_path / f"zones.{SUFFIX[fmt]}"
    export(hq, out, "--format", fmt, "--what", "zones")
    kinds = {"zone", "party_area"}
    assert len(gdal_features(out)) == sum(f["properties"]["layer"] in kinds for f in zones)
    out = tmp_path / f"line.{SUFFIX[fmt]}"
    export(hq, out, "--format", fmt, "--what", "line")
    assert len(gdal_features(out)) == 1


def reach(nation: str) -> set[str]:
    """The codes a report may name to reach ``nation`` (read from the shipped groups table
    here, not through the app's code)."""
    text = resources.files("ceasefire").joinpath("data/release_groups.yaml").read_text()
    table = yaml.safe_load(text)["groups"]
    # members are literal; only `includes:` nests a group's members into another
    members = {k: set(v.get("members", [])) for k, v in table.items()}
    includes = {k: set(v.get("includes", [])) for k, v in table.items()}
    found = {nation}
    changed = True
    while changed:
        changed = False
        for name in table:
            holds = nation in members[name] or includes[name] & (found - {nation})
            if name not in found and holds:
                found.add(name)
                changed = True
    return found


@pytest.mark.parametrize(
    ("nation", "level"), [("USA", "UNCLASSIFIED"), ("FRA", "RESTRICTED"), ("UKR", "SECRET")]
)
def test_export_for_a_nation_holds_only_what_it_may_see(
    hq: HQ, tmp_path: Path, nation: str, level: str
) -> None:
    mixed_store(hq)
    headers = hq.user(nation.lower(), nation=nation, clearance=Classification(level))
    codes = reach(nation)
    out = tmp_path / "reports.gpkg"
    export(hq, out, "--format", "gpkg", "--what", "reports", "--for", nation, "--clearance", level)
    rows = [f["properties"] for f in gdal_features(out)]
    everything = export(hq, tmp_path / "all.gpkg", "--format", "gpkg", "--what", "reports")
    assert 0 < len(rows) < everything["features"]
    for row in rows:  # checked against the markings, independently of the app's rule
        assert LEVELS.index(row["classification"]) <= LEVELS.index(level)
        marked = set(row["releasable_to"].split(";")) if row["releasable_to"] else {"COALITION"}
        assert marked & codes, row
    assert sorted(r["pk"] for r in rows) == sorted(
        i["pk"] for i in hq_items(hq, "/api/reports", headers)
    )
    # incidents and violations: exactly the HQ API's items for that reader (tearlines too)
    out = tmp_path / "incidents.geojson"
    export(
        hq, out, "--format", "geojson", "--what", "incidents", "--for", nation, "--clearance", level
    )
    got = {int(f["properties"]["id"]): f["properties"] for f in gdal_features(out)}
    shown = {i["id"]: i for i in hq_items(hq, "/api/incidents", headers)}
    assert set(got) == set(shown)
    for pk, item in shown.items():
        assert all(same(got[pk][k], v) for k, v in item.items()), pk
    out = tmp_path / "violations.csv"
    export(
        hq, out, "--format", "csv", "--what", "violations", "--for", nation, "--clearance", level
    )
    got_v = sorted(int(f["properties"]["id"]) for f in gdal_features(out))
    assert got_v == sorted(v["id"] for v in hq_items(hq, "/api/violations", headers))


def test_export_filters_and_errors(hq: HQ, tmp_path: Path) -> None:
    mixed_store(hq)
    out = tmp_path / "x.geojson"
    box = "37.1,47.85,37.3,48.2"
    summary = export(
        hq,
        out,
        "--format",
        "geojson",
        "--what",
        "incidents",
        "--bbox",
        box,
        "--since",
        "2026-03-10T10:09:00Z",
    )
    for f in gdal_features(out):
        lon, lat = f["geometry"]["coordinates"][:2]
        assert 37.1 <= lon <= 37.3
        assert 47.85 <= lat <= 48.2
        assert f["properties"]["observed_at"] >= "2026-03-10T10:09:00"
    assert 0 < summary["features"] < 18
    runner = CliRunner()
    db = hq.db
    for bad in (
        ["--for", "usa"],
        ["--bbox", "1,2"],
        ["--since", "2026-03-11", "--until", "2026-03-10"],
    ):
        r = runner.invoke(
            app,
            [
                "--db",
                db,
                "export",
                "--format",
                "gpkg",
                "--what",
                "reports",
                "--out",
                str(tmp_path / "y.gpkg"),
                *bad,
            ],
        )
        assert r.exit_code == 2, (bad, r.output)
        assert not (tmp_path / "y.gpkg").exists()
