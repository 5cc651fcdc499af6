"""Helpers of the report tests: an HTML reader, independent counts, running the demo.

The "independent" helpers read the stored rows with plain SQL through the driver (``rows``:
sqlite3 or psycopg, on either backend) and place points with one shapely ``contains`` per point
and oblast: none of the code under test is used, so a wrong query, a wrong oblast or a wrong
sum in the report shows up as a difference.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import shapely
from shapely.geometry import shape
from sqlalchemy import create_engine
from typer.testing import CliRunner

from ceasefire.cli.main import app
from ceasefire.reporting.demo import DemoScenario, run_demo

OBLAST_FILE = (
    Path(__file__).resolve().parents[2]
    / "src"
    / "ceasefire"
    / "data"
    / "ukraine_oblasts_simplified.geojson"
)
FIRE_HEADERS = {
    "explosion": "Explosions",
    "projectile_in_flight": "Projectiles in flight",
    "muzzle_flash": "Muzzle flashes",
    "illumination_flare": "Illumination flares",
    "burst_of_fire": "Bursts",
    "shots": "Shots",
}


@dataclass
class ParsedReport:
    """What a reader sees in report.html: sections, their tables (rows of cell text), images."""

    sections: dict[str, list[list[list[str]]]] = field(default_factory=dict)
    images: dict[str, list[bytes]] = field(default_factory=dict)
    text: dict[str, str] = field(default_factory=dict)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.out = ParsedReport()
        self.section: str | None = None
        self.row: list[str] | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self.section = a.get("id") or ""
            self.out.sections[self.section] = []
            self.out.images[self.section] = []
            self.out.text[self.section] = ""
        elif tag == "table" and self.section is not None:
            self.out.sections[self.section].append([])
        elif tag == "tr":
            self.row = []
        elif tag in {"td", "th"}:
            self.cell = []
        elif tag == "img" and self.section is not None:
            src = a.get("src") or ""
            prefix = "data:image/png;base64,"
            assert src.startswith(prefix), f"image not embedded as PNG: {src[:40]}"
            self.out.images[self.section].append(base64.b64decode(src[len(prefix) :]))

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "th"} and self.row is not None and self.cell is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        elif tag == "tr" and self.row is not None and self.section is not None:
            self.out.sections[self.section][-1].append(self.row)
            self.row = None
        elif tag == "section":
            self.section = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)
        if self.section is not None:
            self.out.text[self.section] += data


def read_report(path: Path) -> ParsedReport:
    """Parse a report.html into sections, tables and decoded images."""
    reader = _Reader()
    reader.feed(path.read_text(encoding="utf-8"))
    return reader.out


def table_as_counts(table: list[list[str]]) -> dict[str, dict[str, int]]:
    """``{row label: {column header: int}}`` of a count table, without its Total row."""
    headers = table[0]
    out: dict[str, dict[str, int]] = {}
    for row in table[1:]:
        if row[0] == "Total":
            continue
        out[row[0]] = {
            h: int(v.replace(",", "")) for h, v in zip(headers[1:], row[1:], strict=True)
        }
    return out


#: The report writes oblasts in Ukraine's national transliteration, as the agreement does
#: ("Zaporizhzhia NPP"), where geoBoundaries has older spellings.
NATIONAL_SPELLING = {"Zaporizhia": "Zaporizhzhia", "Odessa": "Odesa"}


class IndependentOblasts:
    """One prepared polygon per oblast, named the way a reader of the report would name it."""

    def __init__(self) -> None:
        doc = json.loads(OBLAST_FILE.read_text(encoding="utf-8"))
        self.units: list[tuple[str, object]] = []
        for feature in doc["features"]:
            name = feature["properties"]["shapeName"]
            short = name.removesuffix(" Oblast")
            short = NATIONAL_SPELLING.get(short, short)
            if name == "Kyiv":
                short = "Kyiv city"
            geom = shape(feature["geometry"])
            shapely.prepare(geom)
            self.units.append((short, geom))

    def name_of(self, lon: float | None, lat: float | None) -> str:
        if lon is None or lat is None:
            return "Unlocated / outside Ukraine"
        point = shapely.Point(lon, lat)
        for name, geom in self.units:
            if geom.contains(point):  # type: ignore[attr-defined]
                return name
        return "Unlocated / outside Ukraine"


KYIV = ZoneInfo("Europe/Kyiv")


#: A report that counts: active and no withdrawal notice (booleans as SQL booleans: the same
#: text on SQLite and PostgreSQL).
CURRENT = "r.status = 'active' AND NOT r.withdrawn"


def rows(db: str, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
    """The rows of one plain statement with ``?`` placeholders, straight through the driver
    (``%s`` for psycopg), on a short-lived engine of its own."""
    engine = create_engine(db)
    try:
        if engine.dialect.name == "postgresql":
            sql = sql.replace("%", "%%").replace("?", "%s")
        with engine.connect() as conn:
            return [tuple(row) for row in conn.exec_driver_sql(sql, tuple(params)).all()]
    finally:
        engine.dispose()


def _bounds(day: date) -> tuple[float, float]:
    """A report's day is a Kyiv calendar day (23 or 25 hours on a clock change)."""
    start = datetime(day.year, day.month, day.day, tzinfo=KYIV).timestamp()
    nxt = day + timedelta(days=1)
    return start, datetime(nxt.year, nxt.month, nxt.day, tzinfo=KYIV).timestamp()


def independent_fire_counts(db: str, day: date) -> dict[str, dict[str, int]]:
    """Fire counts per oblast and category, straight from the stored rows of ``day``."""
    oblasts = IndependentOblasts()
    start, end = _bounds(day)
    counts: Counter[tuple[str, str]] = Counter()
    found = rows(
        db,
        "SELECT category, count, located_lon, located_lat FROM reports r "
        f"WHERE {CURRENT} AND observed_at >= ? AND observed_at < ?",
        (start, end),
    )
    for category, count, lon, lat in found:
        if category in FIRE_HEADERS:
            where = oblasts.name_of(_float(lon), _float(lat))
            counts[(where, FIRE_HEADERS[str(category)])] += int(str(count))
    out: dict[str, dict[str, int]] = {}
    for (oblast, header), n in counts.items():
        out.setdefault(oblast, dict.fromkeys(FIRE_HEADERS.values(), 0))[header] = n
    return out


def _float(value: object) -> float | None:
    return None if value is None else float(str(value))


def independent_category_totals(db: str, day: date) -> Counter[str]:
    """Sum of ``count`` per category of the current reports of ``day``."""
    start, end = _bounds(day)
    found = rows(
        db,
        f"SELECT category, sum(count) FROM reports r WHERE {CURRENT} "
        "AND observed_at >= ? AND observed_at < ? GROUP BY category",
        (start, end),
    )
    return Counter({str(c): int(str(n)) for c, n in found})


def independent_rule_counts(
    db: str, day: date, visible: str = "TRUE", params: tuple[object, ...] = ()
) -> dict[tuple[str, str], tuple[int, int]]:
    """``{(rule, zone or 'anywhere'): (certain, possible)}`` of the active violations of the
    day (by the violation's time, its incident's) whose incident has a current report for
    which ``visible`` (SQL over ``r``) holds."""
    start, end = _bounds(day)
    out: dict[tuple[str, str], list[int]] = {}
    found = rows(
        db,
        "SELECT v.pk, v.rule_id, coalesce(v.zone_id, 'anywhere'), v.certainty "
        "FROM violations v JOIN incidents i ON i.pk = v.incident_pk "
        "JOIN incident_reports ir ON ir.incident_pk = i.pk "
        "JOIN reports r ON r.pk = ir.report_pk "
        f"WHERE v.active AND i.status = 'active' AND {CURRENT} "
        f"AND v.observed_at >= ? AND v.observed_at < ? AND ({visible})",
        (start, end, *params),
    )
    seen: set[object] = set()
    for pk, rule, zone, certainty in found:
        if pk in seen:
            continue
        seen.add(pk)
        pair = out.setdefault((str(rule), str(zone)), [0, 0])
        pair[0 if certainty == "certain" else 1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def shown_rule_counts(report: ParsedReport) -> dict[tuple[str, str], tuple[int, int]]:
    """``{(rule, zone): (certain, possible)}`` as the rules-and-zones table shows them."""
    shown: dict[tuple[str, str], tuple[int, int]] = {}
    for section_table in report.sections["rules-and-zones"]:
        for line in section_table[1:]:
            if line[0] != "Total":
                shown[(line[0], line[3])] = (
                    int(line[4].replace(",", "")),
                    int(line[5].replace(",", "")),
                )
    return shown


def day_of_report(path: Path) -> date:
    """Reports are written to ``reports/<YYYY-MM-DD>/report.html``."""
    return date.fromisoformat(path.parent.name)


def previous(day: date) -> date:
    return day - timedelta(days=1)


@dataclass(frozen=True)
class Demo:
    """A demo run: its folder, the database's URL, the report paths it printed."""

    directory: Path
    db: str
    reports: tuple[Path, ...]
    stdout: str


def run_demo_cli(directory: Path, *args: str) -> Demo:
    """``ceasefire demo --dir DIRECTORY ARGS`` (its SQLite file in the folder)."""
    result = CliRunner().invoke(app, ["demo", "--dir", str(directory), *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return Demo(
        directory=directory,
        db=f"sqlite:///{directory / 'ceasefire.db'}",
        reports=tuple(Path(line) for line in lines if line.endswith("report.html")),
        stdout=result.stdout,
    )


def build_demo(backend_db: str | None, directory: Path, scenario: str, *, days: int = 30) -> Demo:
    """The demo on SQLite through the command (``backend_db`` None), or in the given new
    database through the same steps (``reporting.demo.run_demo``: the command builds its
    database in its folder only)."""
    if backend_db is None:
        return run_demo_cli(directory, "--scenario", scenario, "--days", str(days))
    built = run_demo(DemoScenario(scenario), directory, days=days, db=backend_db)
    return Demo(directory, backend_db, tuple(p.resolve() for p in built.reports), "")
