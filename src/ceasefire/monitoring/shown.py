"""A reader's incidents as they are shown to that reader: what every count of theirs reads.

The HQ shows an incident whole to a reader who may see all its reports, and through a
tearline (``fusion.tearline``) to one who may see only some: then its time is the earliest
visible report's, its position the visible reports' and its rules those broken at that
position. Every figure served to a reader — incidents and violations per day, incidents per
sector, the daily report's totals, tables and trend — counts these *shown* incidents and
nothing else: an incident counts on the day of its shown time, in the sector of its shown
position, with the rule judgments shown (``judged``); one the reader sees no report of does
not count at all. ``api.shown`` builds them; this module only holds and slices them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ceasefire.monitoring.columns import ViolationColumns
from ceasefire.monitoring.sectors import IncidentColumns


@dataclass(frozen=True, eq=False)
class ShownIncidents:
    """Incidents as one reader is shown them, one entry per incident, and their judgments.

    ``incidents`` holds the shown time, position and category (``oblast`` -1 until the
    caller places them; ``violations``/``certain`` count ``judged`` per incident).
    ``first_report`` is the pk of the earliest visible report (the one whose time is the
    shown time; ``-1`` where not asked for). ``partial`` is true for a tearline. ``judged``
    holds one rule judgment per (incident, rule); its ``report_row`` indexes *these
    incidents* (``for_window_reports`` ties them to a report window's rows instead).
    """

    incidents: IncidentColumns
    first_report: NDArray[np.int64]
    partial: NDArray[np.bool_]
    judged: ViolationColumns

    def __len__(self) -> int:
        return len(self.incidents)

    @classmethod
    def empty(cls) -> ShownIncidents:
        """No incidents."""
        return cls(
            IncidentColumns.empty(),
            np.empty(0, np.int64),
            np.empty(0, np.bool_),
            ViolationColumns.empty(),
        )

    def take(self, mask: NDArray[np.bool_]) -> ShownIncidents:
        """The incidents where ``mask`` is true, with their judgments."""
        return ShownIncidents(
            incidents=self.incidents.take(mask),
            first_report=self.first_report[mask],
            partial=self.partial[mask],
            judged=self.judged.for_reports(mask),
        )

    def shown_in(self, start_s: float, end_s: float) -> ShownIncidents:
        """The incidents whose shown time lies in ``[start_s, end_s)``."""
        t = self.incidents.observed_at_s
        return self.take((t >= start_s) & (t < end_s))

    def violations_by_severity(self, edges_s: NDArray[np.float64]) -> NDArray[np.int64]:
        """Judgments per day and severity, shape ``(days, 5)``: day ``k`` is
        ``[edges_s[k], edges_s[k + 1])`` of the shown time (the trend's rows; severities
        outside 1..5 are clipped into them, as ``monitoring.daily.series_from_window`` does).
        """
        days = len(edges_s) - 1
        out = np.zeros((max(days, 0), 5), dtype=np.int64)
        if not len(self.judged) or days < 1:
            return out
        t = self.incidents.observed_at_s[self.judged.report_row]
        k = np.searchsorted(edges_s, t, side="right") - 1
        inside = (k >= 0) & (k < days)
        sev = np.clip(self.judged.severity.astype(np.int64), 1, 5) - 1
        np.add.at(out, (k[inside], sev[inside]), 1)
        return out

    def for_window_reports(self, row_id: NDArray[np.int64]) -> ViolationColumns:
        """The judgments tied to the rows of a report window (``WindowReports.row_id``,
        sorted by pk, as ``store.queries.fetch_window`` returns them): each to its incident's
        earliest visible report. An incident whose earliest visible report is not among the
        rows (shown on another day) brings none; every judgment of an incident shown in the
        window's time span does come, since its earliest visible report lies in it.
        """
        judged = self.judged
        if not len(judged) or not row_id.size:
            return ViolationColumns.empty(judged.rule_ids, judged.rule_articles, judged.zone_ids)
        first = self.first_report[judged.report_row]
        pos = np.minimum(np.searchsorted(row_id, first), row_id.size - 1)
        keep = row_id[pos] == first
        return ViolationColumns(
            report_row=pos[keep].astype(np.int64),
            rule=judged.rule[keep],
            zone=judged.zone[keep],
            severity=judged.severity[keep],
            certain=judged.certain[keep],
            rule_ids=judged.rule_ids,
            rule_articles=judged.rule_articles,
            zone_ids=judged.zone_ids,
        )


def tie_to_reports(
    shown: ShownIncidents, row_id: NDArray[np.int64], links: NDArray[np.int64]
) -> ViolationColumns:
    """The judgments tied to *every* row of a report window that belongs to the judged
    incident (``links``: ``(incident pk, report pk)`` pairs, any order; ``row_id`` sorted):
    a tank seen by three posts is "in violation" in each of their lines, not only in the
    first. For the map and the weapons lists; totals count ``shown.judged`` once each.
    """
    judged = shown.judged
    empty = ViolationColumns.empty(judged.rule_ids, judged.rule_articles, judged.zone_ids)
    if not len(judged) or not row_id.size or not links.size:
        return empty
    pos = np.minimum(np.searchsorted(row_id, links[:, 1]), row_id.size - 1)
    inside = row_id[pos] == links[:, 1]
    link_incident, link_row = links[inside, 0], pos[inside]
    incident_of = shown.incidents.incident_id[judged.report_row]
    order = np.argsort(incident_of, kind="stable")
    sorted_incident = incident_of[order]
    lo = np.searchsorted(sorted_incident, link_incident, side="left")
    hi = np.searchsorted(sorted_incident, link_incident, side="right")
    n = hi - lo
    if not n.sum():
        return empty
    rows = np.repeat(link_row, n)
    starts = np.repeat(lo - np.cumsum(n) + n, n)
    which = order[starts + np.arange(int(n.sum()))]
    return ViolationColumns(
        report_row=rows.astype(np.int64),
        rule=judged.rule[which],
        zone=judged.zone[which],
        severity=judged.severity[which],
        certain=judged.certain[which],
        rule_ids=judged.rule_ids,
        rule_articles=judged.rule_articles,
        zone_ids=judged.zone_ids,
    )


def shown_incidents(
    rows: Sequence[tuple[int, float, float | None, float | None, int, int, bool]],
    judgments: Sequence[tuple[int, str, str, int, bool, str | None]],
) -> ShownIncidents:
    """Columns from plain rows: ``(incident pk, shown time s, lon, lat, category code, first
    report pk or -1, partial)`` per incident and ``(incident pk, rule id, article, severity,
    certain, zone id or None)`` per judgment (judgments of pks not in ``rows`` are dropped).

    >>> shown = shown_incidents([(7, 10.0, 37.4, 48.0, 0, 3, True)], [(7, "R1", "Art. 1", 2,
    ...     True, None)])
    >>> len(shown), shown.incidents.violations.tolist(), shown.judged.rule_ids
    (1, [1], ('R1',))
    """
    ordered = sorted(rows)
    n = len(ordered)
    if not n:
        return ShownIncidents.empty()
    cols = list(zip(*ordered, strict=True))
    pks = np.asarray(cols[0], dtype=np.int64)
    index = {int(pk): k for k, pk in enumerate(pks.tolist())}
    mine = [j for j in judgments if j[0] in index]
    rule_of = {r: k for k, r in enumerate(dict.fromkeys(j[1] for j in mine))}
    article_of = {j[1]: j[2] for j in mine}
    zone_of = {z: k for k, z in enumerate(dict.fromkeys(j[5] for j in mine if j[5] is not None))}
    row = np.asarray([index[j[0]] for j in mine], dtype=np.int64)
    certain = np.asarray([j[4] for j in mine], dtype=np.bool_)
    judged = ViolationColumns(
        report_row=row,
        rule=np.asarray([rule_of[j[1]] for j in mine], dtype=np.int16),
        zone=np.asarray([-1 if j[5] is None else zone_of[j[5]] for j in mine], dtype=np.int16),
        severity=np.asarray([j[3] for j in mine], dtype=np.int8),
        certain=certain,
        rule_ids=tuple(rule_of),
        rule_articles=tuple(article_of[r] for r in rule_of),
        zone_ids=tuple(zone_of),
    )
    incidents = IncidentColumns(
        incident_id=pks,
        observed_at_s=np.asarray(cols[1], dtype=np.float64),
        category=np.asarray(cols[4], dtype=np.int16),
        lon=np.asarray([np.nan if x is None else x for x in cols[2]], dtype=np.float64),
        lat=np.asarray([np.nan if y is None else y for y in cols[3]], dtype=np.float64),
        oblast=np.full(n, -1, dtype=np.int16),
        violations=np.bincount(row, minlength=n).astype(np.int64),
        certain=np.bincount(row[certain], minlength=n).astype(np.int64),
    )
    return ShownIncidents(
        incidents=incidents,
        first_report=np.asarray(cols[5], dtype=np.int64),
        partial=np.asarray(cols[6], dtype=np.bool_),
        judged=judged,
    )
