"""The daily report's content, section by section, in the order of the SMM daily report.

Summary → notable incidents per region → fire observed per oblast and category →
incidents, violations and coverage per oblast → change against the previous day →
violations by rule and zone → weapons in violation of withdrawal lines → weapons beyond them
outside storage sites → storage sites → military presence → restrictions of movement and impeded
sensors → civilian casualties and damage → map → 30-day trend → method.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from ceasefire.monitoring.daily import MISSION_TZ, DailySummary
from ceasefire.monitoring.sectors import FEW_INCIDENTS, QUIET_BUT_DEGRADED, SectorRow
from ceasefire.monitoring.sightings import Sighting
from ceasefire.monitoring.tables import CATEGORY_LABELS, FIRE_ORDER, UNLOCATED, CountTable
from ceasefire.reporting.daily_narrative import narrative_blocks, sighting_details
from ceasefire.reporting.document import (
    Block,
    Bullets,
    Document,
    Figure,
    Paragraph,
    Section,
    Table,
    fmt_delta,
    fmt_int,
)
from ceasefire.reporting.places import describe_position
from ceasefire.reports.model import Category

#: Section anchors, in order; tests check that every one is present.
DAILY_SECTIONS: tuple[str, ...] = (
    "summary",
    "notable-by-region",
    "violations-by-oblast",
    "incidents-and-coverage",
    "change",
    "rules-and-zones",
    "weapons-in-violation",
    "weapons-beyond-lines",
    "storage-sites",
    "military-presence",
    "movement-restrictions",
    "civilians",
    "map",
    "trend",
    "method",
)


def _count_table_block(table: CountTable, *, keep_empty_rows: bool = False) -> Table:
    """Rows with any count (all rows when ``keep_empty_rows``), a total column and row."""
    headers = ("Oblast", *(CATEGORY_LABELS[c] for c in table.columns), "Total")
    rows: list[tuple[str, ...]] = []
    totals = table.row_totals()
    for i, name in enumerate(table.rows):
        if totals[i] or keep_empty_rows:
            rows.append(
                (name, *(fmt_int(int(v)) for v in table.values[i]), fmt_int(int(totals[i])))
            )
    rows.append(("Total", *(fmt_int(int(v)) for v in table.column_totals()), fmt_int(table.total)))
    return Table(
        headers=headers, rows=tuple(rows), numeric=(False, *[True] * (len(headers) - 1)), total=True
    )


def _sighting_rows(sightings: Sequence[Sighting], *, with_rule: bool) -> Table:
    headers: tuple[str, ...] = ("Time (Kyiv)", "What", "Count", "Oblast", "Location")
    if with_rule:
        headers = (*headers, "Rule", "Zone", "Certainty")
    headers = (*headers, "Source", "Details")
    rows = []
    for s in sightings:
        what = CATEGORY_LABELS.get(s.category, s.category.value)
        if s.weapon_class:
            what = f"{what}: {s.weapon_class.replace('_', ' ')}"
        where = describe_position(s.lon, s.lat, s.place)
        row: tuple[str, ...] = (
            s.observed_at.astimezone(MISSION_TZ).strftime("%H:%M"),
            what,
            fmt_int(s.count),
            s.oblast,
            where,
        )
        if with_rule:
            row = (*row, s.rule_id or "—", s.zone or "—", "certain" if s.certain else "possible")
        row = (*row, s.source or "—", sighting_details(s))
        rows.append(row)
    numeric = tuple(h == "Count" for h in headers)
    return Table(headers=headers, rows=tuple(rows), numeric=numeric)


def _more(n: int) -> tuple[Block, ...]:
    return (Paragraph(f"… and {fmt_int(n)} more not listed here."),) if n else ()


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def _coverage_cell(row: SectorRow) -> str:
    if row.sector == UNLOCATED:
        return "—"
    if row.observer_hours is None and not row.degraded:
        return "not declared"
    return "degraded" if row.degraded else "normal"


def _sector_cells(row: SectorRow) -> tuple[str, ...]:
    return (
        row.sector,
        fmt_int(row.reports),
        fmt_int(row.fire_observed),
        fmt_int(row.incidents),
        fmt_int(row.fire_incidents),
        fmt_int(row.incidents_in_violation),
        fmt_int(row.violations),
        _hours(row.observer_hours),
        _hours(row.baseline_hours),
        "—" if row.observers is None else fmt_int(row.observers),
        fmt_int(row.impediments),
        _coverage_cell(row),
        QUIET_BUT_DEGRADED if row.quiet_but_degraded else "",
    )


#: Headings of the incidents-and-coverage table, in cell order.
SECTOR_HEADERS: tuple[str, ...] = (
    "Oblast",
    "Reports",
    "Fire observed",
    "Incidents",
    "Fire incidents",
    "Incidents in violation",
    "Violations",
    "Observer-hours",
    "Baseline hours",
    "Observers",
    "Impediments",
    "Coverage",
    "Note",
)


def _quiet_warnings(s: DailySummary) -> tuple[Block, ...]:
    quiet = s.sectors.quiet_but_degraded
    if not quiet:
        return ()
    return (Bullets(tuple(f"{name}: {QUIET_BUT_DEGRADED}." for name in quiet)),)


def _incidents_and_coverage(s: DailySummary) -> tuple[Block, ...]:
    t = s.sectors
    intro = Paragraph(
        "Per oblast: raw observation reports (as the SMM counted them) beside fused incidents "
        "(one per physical event, however many posts reported it), incidents breaking at least "
        "one rule and violation records (incident × rule), each with the oblast's coverage "
        "that day: observer-hours declared there (UAV sorties, cameras, posts, patrols), "
        "against its median of the previous days (baseline), and impediment reports "
        "(restrictions of movement, impeded sensors). Coverage is degraded when an impediment "
        "was reported or observer-hours fell below 75 % of the baseline. An oblast with at most "
        f"{FEW_INCIDENTS} fire incidents and degraded coverage is flagged: {QUIET_BUT_DEGRADED}."
    )
    if not t.rows:
        return (intro, Paragraph("No reports, incidents or coverage were recorded."))
    rows = (*(_sector_cells(r) for r in t.rows), _sector_cells(t.total))
    numeric = (False, *[True] * 10, False, False)
    return (
        intro,
        *_quiet_warnings(s),
        Table(SECTOR_HEADERS, rows, numeric, True),
    )


def _summary(s: DailySummary) -> tuple[Block, ...]:
    """The headline figures, all from ``s.totals`` (the tables below add up to them)."""
    t = s.totals
    explosions = int(s.fire.column_totals()[FIRE_ORDER.index(Category.EXPLOSION)])
    items = [
        f"{fmt_int(t.violations)} violations of the agreement's rules "
        f"({fmt_int(t.certain)} certain, {fmt_int(t.violations - t.certain)} possible) by "
        f"{fmt_int(t.incidents_in_violation)} of the day's {fmt_int(t.incidents)} incidents; "
        "by severity 5 to 1: " + ", ".join(fmt_int(n) for n in reversed(t.by_severity)) + ".",
        f'{fmt_int(t.fire)} instances of fire observed (the SMM\'s "ceasefire violations": '
        "the counts of explosions, projectiles in flight, muzzle flashes, flares, bursts and "
        f"shots), including {fmt_int(explosions)} explosions; previous day "
        f"{fmt_int(t.fire_previous)} ({fmt_delta(t.fire - t.fire_previous)}); "
        f"{fmt_int(t.fire_incidents)} incidents of fire.",
    ]
    degraded = [r.sector for r in s.sectors.rows if r.degraded]
    hours = s.sectors.total.observer_hours
    coverage = (
        f"Coverage: {_hours(hours)} observer-hours declared"
        if hours is not None
        else "Coverage: no observer windows declared for the day"
    )
    items.append(
        f"{coverage}; degraded in {fmt_int(len(degraded))} oblast(s)"
        + (f" ({', '.join(degraded)})." if degraded else ".")
    )
    items.extend(f"{name}: {QUIET_BUT_DEGRADED}." for name in s.sectors.quiet_but_degraded)
    items.append(
        f"Weapons in violation of withdrawal lines: {fmt_int(t.weapons_in_violation)} "
        f"sighting(s); {fmt_int(t.restrictions)} restrictions of movement or impeded sensors; "
        f"{fmt_int(t.civilian)} civilian casualties or damage (sum of counts)."
    )
    items.append(
        f"Based on {fmt_int(t.reports)} observation reports "
        f"(previous day {fmt_int(t.reports_previous)})."
    )
    return (Bullets(tuple(items)),)


def _change(s: DailySummary) -> tuple[Block, ...]:
    today, before = s.fire.row_totals(), s.fire_previous.row_totals()
    rows = [
        (
            name,
            fmt_int(int(today[i])),
            fmt_int(int(before[i])),
            fmt_delta(int(today[i] - before[i])),
        )
        for i, name in enumerate(s.fire.rows)
        if today[i] or before[i]
    ]
    by_cat_today, by_cat_before = s.fire.column_totals(), s.fire_previous.column_totals()
    cat_rows = [
        (
            CATEGORY_LABELS[c],
            fmt_int(int(by_cat_today[j])),
            fmt_int(int(by_cat_before[j])),
            fmt_delta(int(by_cat_today[j] - by_cat_before[j])),
        )
        for j, c in enumerate(s.fire.columns)
    ]
    total_row = (
        "Total",
        fmt_int(s.fire.total),
        fmt_int(s.fire_previous.total),
        fmt_delta(s.fire.total - s.fire_previous.total),
    )
    numeric = (False, True, True, True)
    return (
        Table(("Oblast", "This day", "Previous day", "Change"), (*rows, total_row), numeric, True),
        Table(
            ("Category", "This day", "Previous day", "Change"),
            (*cat_rows, total_row),
            numeric,
            True,
        ),
    )


def _rules(s: DailySummary) -> tuple[Block, ...]:
    if not s.rules:
        return (Paragraph("No violation of the agreement's rules was recorded."),)
    rows = tuple(
        (
            r.rule_id,
            r.article,
            str(r.severity),
            r.zone or "anywhere",
            fmt_int(r.certain),
            fmt_int(r.possible),
            fmt_int(r.certain + r.possible),
        )
        for r in s.rules
    )
    t = s.totals
    total = (
        "Total",
        "",
        "",
        "",
        fmt_int(t.certain),
        fmt_int(t.violations - t.certain),
        fmt_int(t.violations),
    )
    return (
        Paragraph(
            'A violation is one incident breaking one rule (the records "ceasefire violations" '
            "lists); 'possible' means the incident's location uncertainty crosses the zone's "
            "edge."
        ),
        Table(
            ("Rule", "Article", "Severity", "Zone", "Certain", "Possible", "Violations"),
            (*rows, total),
            (False, False, True, False, True, True, True),
            True,
        ),
    )


def _list_or_none(
    sightings: Sequence[Sighting], more: int, none: str, *, with_rule: bool
) -> tuple[Block, ...]:
    if not sightings:
        return (Paragraph(none),)
    return (_sighting_rows(sightings, with_rule=with_rule), *_more(more))


def build_daily_document(
    s: DailySummary,
    *,
    map_png: bytes,
    trend_png: bytes,
    agreement_label: str,
    generated_at: datetime | None = None,
) -> Document:
    """Lay the summary out as the SMM did; ``agreement_label`` names the version judged against."""
    generated = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    scope = ", ".join(s.regions) if s.regions else "all oblasts"
    subtitle = (
        f"{s.day.isoformat()} · observations {s.window_start.astimezone(MISSION_TZ):%d %b %H:%M}"
        f" – {s.window_end.astimezone(MISSION_TZ):%d %b %H:%M} Kyiv time "
        f"({s.window_start:%H:%M} UTC) · {scope} · {agreement_label} · generated {generated}"
    )
    storage = (
        (
            Table(
                ("Weapon class", "Count at storage sites"),
                tuple(
                    (k.replace("_", " "), fmt_int(v))
                    for k, v in sorted(s.weapons_at_storage.items())
                ),
                (False, True),
            ),
        )
        if s.weapons_at_storage
        else (Paragraph("No heavy weapons were reported at designated storage sites."),)
    )
    sections = (
        Section("summary", "Summary", _summary(s)),
        Section("notable-by-region", "Notable incidents by region", narrative_blocks(s)),
        Section(
            "violations-by-oblast",
            "Fire observed by oblast and category",
            (
                Paragraph(
                    'Sum of the counts in each report ("42 explosions" adds 42). The incidents '
                    "behind these reports and each oblast's coverage are in the next section."
                ),
                _count_table_block(s.fire),
            ),
        ),
        Section(
            "incidents-and-coverage",
            "Incidents, violations and coverage by oblast",
            _incidents_and_coverage(s),
        ),
        Section("change", "Change against the previous day", _change(s)),
        Section("rules-and-zones", "Violations by rule and zone", _rules(s)),
        Section(
            "weapons-in-violation",
            "Weapons in violation of withdrawal lines",
            _list_or_none(
                s.weapons_in_violation,
                s.truncated.get("weapons_in_violation", 0),
                "No weapons were reported in violation of withdrawal lines.",
                with_rule=True,
            ),
        ),
        Section(
            "weapons-beyond-lines",
            "Weapons beyond withdrawal lines but outside designated storage sites",
            _list_or_none(
                s.weapons_outside_storage,
                s.truncated.get("weapons_outside_storage", 0),
                "No such weapons were reported.",
                with_rule=False,
            ),
        ),
        Section("storage-sites", "Holding areas and permanent storage sites", storage),
        Section(
            "military-presence",
            "Military presence observed",
            (_count_table_block(s.presence),)
            if s.presence.total
            else (Paragraph("No military presence was reported."),),
        ),
        Section(
            "movement-restrictions",
            "Restrictions of freedom of movement and impeded sensors",
            (
                (
                    _count_table_block(s.access),
                    Paragraph(
                        "A quiet area where monitors were stopped or sensors impeded was not "
                        "observed: read its counts with care."
                    ),
                )
                if s.access.total
                else ()
            )
            + _quiet_warnings(s)
            + _list_or_none(
                s.access_events,
                s.truncated.get("access_events", 0),
                "No restriction of movement and no impeded sensor was reported.",
                with_rule=False,
            ),
        ),
        Section(
            "civilians",
            "Civilian casualties and damage to civilian property",
            ((_count_table_block(s.civilian),) if s.civilian.total else ())
            + _list_or_none(
                s.civilian_events,
                s.truncated.get("civilian_events", 0),
                "No civilian casualties or damage were reported.",
                with_rule=False,
            ),
        ),
        Section(
            "map",
            "Map",
            (
                Figure(
                    "map.png",
                    map_png,
                    f"Map of reports on {s.day}",
                    "Reports located on the day, coloured by the most severe "
                    "rule they break; the contact line and the agreement's zones.",
                ),
            ),
        ),
        Section(
            "trend",
            "30-day trend",
            (
                Figure(
                    "trend.png",
                    trend_png,
                    f"Trend to {s.day}",
                    "Daily totals over the 30 days to the report day.",
                ),
            ),
        ),
        Section(
            "method",
            "Method and sources",
            (
                Bullets(
                    (
                        "Day: a calendar day in Kyiv (00:00-24:00 local time), as the SMM reported "
                        "local days; dated events (UCDP) fall on the day they name.",
                        "Raw counts are of observation reports: two posts hearing the same "
                        "explosions both count, as in the SMM's daily reports. Incidents are the "
                        "fused events (one per physical event, by its own time); a violation is "
                        "one incident breaking one rule.",
                        "Coverage: observer-hours declared per oblast (a window counts where its "
                        "centre lies), impediment reports, and the median of the previous 7 "
                        "monitored days as baseline.",
                        "Withdrawn reports and reports replaced by an amendment are left out.",
                        "Oblast: point-in-polygon of the report's resolved location against "
                        f"geoBoundaries ADM1 (CC BY 4.0); '{UNLOCATED}' has no location or lies "
                        "outside Ukraine.",
                        "Rules and zones as in the agreement version in force when each report "
                        "was observed.",
                    )
                ),
            ),
        ),
    )
    return Document(
        title=f"Daily report — {s.day.isoformat()}", subtitle=subtitle, sections=sections
    )
