"""The demo, as reusable steps: a fresh database, a scenario's agreement, its reports, reports.

``run_demo`` chains them for ``ceasefire demo``; the HQ (web) will call the first steps and
serve the result instead of writing files, so each step is a function of its own.

Layout of the demo folder::

    demo/ceasefire.db                 the embedded database (deleted and rebuilt every run)
    demo/simulation/reports.ndjson    paris-2026: the simulated reports (and truth.ndjson)
    demo/reports/<YYYY-MM-DD>/        one daily report per day written: report.html, .md, PNGs
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path

from ceasefire.clock import SystemClock
from ceasefire.errors import CeasefireError
from ceasefire.pipeline.agreements import load_agreement_file
from ceasefire.pipeline.ingest import IngestSummary, ingest_files
from ceasefire.reporting.daily import agreement_book, build_daily_report, latest_day
from ceasefire.reports.gazetteer import Gazetteer
from ceasefire.reports.parse import ReportFormat
from ceasefire.scenarios import scenario_dir
from ceasefire.settings import Settings
from ceasefire.store.base import Store, open_store
from ceasefire.store.report_reads import SqlReportReads
from ceasefire.store.stores import stores_for

DB_FILE = "ceasefire.db"
#: Real UCDP GED events bundled with the Minsk scenario (see its PROVENANCE.md).
UCDP_EVENTS = Path("events") / "ucdp_ged_2015-2018.csv"
DEFAULT_SEED = 2026
DEFAULT_DAYS = 30

Log = Callable[[str], None]


class DemoScenario(StrEnum):
    """The bundled scenarios the demo can run."""

    PARIS_2026 = "paris-2026"
    MINSK_2015 = "minsk-2015"


@dataclass(frozen=True, slots=True)
class DemoResult:
    """What the demo built: the database, the ingest summary, and the reports written."""

    db_url: str
    ingest: IngestSummary
    reports: tuple[Path, ...]
    coalition_loaded: bool


def _quiet(_: str) -> None:
    """The default log: say nothing."""


def fresh_store(directory: Path, db: str | None = None) -> tuple[Settings, Store]:
    """Delete the demo database (and its WAL files, reports and simulation) and create it anew.

    Only what the demo itself writes is deleted; other files in ``directory`` are left alone.
    With ``db`` (a URL, e.g. a PostgreSQL database) the demo is built there instead of in
    ``directory/ceasefire.db``: the database must be new (the demo never empties a server's
    database); the reports and the simulation still go to ``directory``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    if db is None:
        for name in (DB_FILE, f"{DB_FILE}-wal", f"{DB_FILE}-shm", f"{DB_FILE}-journal"):
            (directory / name).unlink(missing_ok=True)
    for sub in ("reports", "simulation"):
        shutil.rmtree(directory / sub, ignore_errors=True)
    settings = Settings.from_cli(db or str(directory / DB_FILE))
    store = open_store(settings)
    store.init_schema()
    return settings, store


def load_scenario_agreement(store: Store, scenario: DemoScenario) -> None:
    """Load the scenario's ``agreement.yaml`` (validated, archived as version 1)."""
    load_agreement_file(store, scenario_dir(scenario.value) / "agreement.yaml")


def simulate_reports(scenario: DemoScenario, out_dir: Path, *, days: int, seed: int) -> Path:
    """Simulate ``days`` days of the scenario (deterministic for ``seed``); the NDJSON's path."""
    from ceasefire.simulation.service import simulate_scenario  # noqa: PLC0415 - heavy import

    simulate_scenario(scenario_dir(scenario.value), out_dir, days=days, seed=seed)
    return out_dir / "reports.ndjson"


def ingest(store: Store, paths: list[Path], fmt: ReportFormat | None = None) -> IngestSummary:
    """Ingest files with the bundled gazetteer (same path as ``ceasefire ingest``)."""
    return ingest_files(store, paths, fmt=fmt, gazetteer=Gazetteer.default())


def load_coverage(store: Store, path: Path) -> int:
    """Declare the simulated observers' windows (``coverage.ndjson``), as ``ceasefire
    coverage-load`` does, so the daily report can say how well each oblast was watched.
    Returns the number of windows (0 when the file is absent)."""
    if not path.is_file():
        return 0
    lines = path.read_text(encoding="utf-8").splitlines()
    objects = [json.loads(line) for line in lines if line.strip()]
    return stores_for(store).read_model.add_coverage(objects, datetime.now(UTC).isoformat())


def load_guarantees(store: Store, scenario: DemoScenario) -> int:
    """Load the scenario's ``guarantees.yaml`` (as ``ceasefire guarantees load``), so that the
    ingest that follows evaluates the triggers (``guarantees.live_service``) and the HQ's
    alerts panel has alerts. paris-2026 only (the Minsk scenario's real 2015-2018 events are
    a backtest's material: ``guarantees backtest``). Returns the instruments loaded."""
    from ceasefire.guarantees.loader import load_instruments  # noqa: PLC0415
    from ceasefire.store.guarantees_sql import SqlGuarantees  # noqa: PLC0415

    path = scenario_dir(scenario.value) / "guarantees.yaml"
    if scenario is not DemoScenario.PARIS_2026 or not path.is_file():
        return 0
    instruments = load_instruments(path)
    text = path.read_text(encoding="utf-8")
    SqlGuarantees.of(store).save_file(text, str(path), instruments, clock=SystemClock())
    return len(instruments.instruments)


def load_coalition(store: Store, scenario: DemoScenario) -> bool:
    """Load the scenario's coalition registry, pledges and requirements, when it has them.

    Uses ``coalition.service.load_coalition_scenario`` (the ``coalition load`` command's
    loader); returns False when the scenario has no ``coalition.yaml``.
    """
    from ceasefire.coalition.service import load_coalition_scenario  # noqa: PLC0415

    directory = scenario_dir(scenario.value)
    if not (directory / "coalition.yaml").is_file():
        return False
    load_coalition_scenario(stores_for(store).coalition, directory)
    return True


def write_day_reports(store: Store, directory: Path, days: list[date]) -> tuple[Path, ...]:
    """One daily report per day (duplicates skipped), each in ``reports/<day>/``."""
    book = agreement_book(store)
    reads = SqlReportReads.of(store)
    paths = []
    for day in dict.fromkeys(days):
        files = build_daily_report(reads, day, directory / "reports" / day.isoformat(), book=book)
        paths.append(files.html)
    return tuple(paths)


def run_demo(
    scenario: DemoScenario,
    directory: Path,
    *,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    log: Log = _quiet,
    db: str | None = None,
) -> DemoResult:
    """Build the demo from nothing: database, agreement, reports (simulated or real), reports.

    paris-2026: ``days`` simulated days, then the latest day's report. minsk-2015: the real
    UCDP events of 2015-2018, then the reports of the latest day and of the busiest day under
    the ceasefire (most fire observed after the agreement's entry into force). ``db``: a
    new database to build it in instead of ``directory/ceasefire.db`` (``fresh_store``).
    """
    settings, store = fresh_store(directory, db)
    try:
        log(f"database {settings.db} created")
        load_scenario_agreement(store, scenario)
        log(f"agreement of {scenario.value} loaded")
        coalition = load_coalition(store, scenario)
        instruments = load_guarantees(store, scenario)
        if instruments:
            log(f"{instruments} guarantee instruments loaded (evaluated as reports are ingested)")
        windows = 0
        if coalition:
            log("coalition registry and pledges loaded")
        if scenario is DemoScenario.PARIS_2026:
            path = simulate_reports(scenario, directory / "simulation", days=days, seed=seed)
            log(f"{days} days simulated (seed {seed}) -> {path}")
            summary = ingest(store, [path], ReportFormat.NDJSON)
            windows = load_coverage(store, path.parent / "coverage.ndjson")
        else:
            path = scenario_dir(scenario.value) / UCDP_EVENTS
            if not path.is_file():
                raise CeasefireError(f"the real UCDP events are missing: {path}")
            summary = ingest(store, [path], ReportFormat.UCDP)
        log(
            f"ingested {summary.accepted:,} reports ({summary.duplicates:,} duplicates, "
            f"{summary.quarantined:,} quarantined); {summary.alerts:,} guarantee alerts"
        )
        if windows:
            log(f"{windows:,} coverage windows declared (who watched where and when)")
        wanted = [latest_day(SqlReportReads.of(store))]
        if scenario is DemoScenario.MINSK_2015:
            starts = [v.in_force_from for v in store.agreement_versions() if v.in_force_from]
            since = min(starts) if starts else None
            busiest = stores_for(store).read_model.busiest_day(since=since)
            if busiest is not None:
                wanted.append(busiest)
        reports = write_day_reports(store, directory, wanted)
    finally:
        store.close()
    return DemoResult(
        db_url=settings.db, ingest=summary, reports=reports, coalition_loaded=coalition
    )
