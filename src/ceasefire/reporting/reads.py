"""The daily report's read port: what it reads from the store, and nothing about how.

The report is built from plain columns (``monitoring.columns``); where they come from is the
store's business (``store.report_reads.SqlReportReads``, SQLAlchemy Core on both backends).
Keeping SQL and engines out of ``reporting`` lets the CLI, the demo and the HQ hand the same
service a reader of their own: the system's whole view, or one reader's releasable view.

Every violation figure on the page (summary, incidents table, rules table, trend) comes from
one ``ShownSource``: the incidents whose (shown) time lies in the day, each with its rule
judgments. For the system view that is the active violations whose time lies in the day, the
set ``ceasefire violations --since START --until END`` lists.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from ceasefire.monitoring.columns import DailySeries, RawWindow
from ceasefire.monitoring.flash import FlashIncident, FlashReportLine, FlashViolation
from ceasefire.monitoring.shown import ShownIncidents

#: Columns of coverage rows: ``windows`` (source, start, end, x, y), ``impediments`` (t, x, y).
FloatColumns = tuple[NDArray[np.float64], ...]


class ShownSource(Protocol):
    """One reader's incidents as shown to them (``api.shown.ReaderView``), or the system's
    own whole incidents (``store.report_reads``)."""

    def incidents(
        self, start_s: float, end_s: float, *, detail: bool = True, first_reports: bool = False
    ) -> ShownIncidents:
        """Those shown in ``[start_s, end_s)`` (epoch s), with their categories and rule
        judgments unless ``detail`` is false; ``first_reports``: with each one's earliest
        visible report (the map ties the day's violations to it)."""
        ...

    def violations_by_severity(self, edges_s: NDArray[np.float64]) -> NDArray[np.int64]:
        """Shown violations per day (``[edges_s[k], edges_s[k + 1])``) and severity 1..5."""
        ...


class ReportReads(Protocol):
    """The store reads of a daily report, already limited to what its reader may see."""

    def latest_day(self) -> date | None:
        """The (Kyiv) day of the latest visible observation; ``None`` when there is none."""
        ...

    def window(self, start: datetime, end: datetime, *, with_notes: bool = True) -> RawWindow:
        """Current visible reports observed in ``[start, end)``, ordered by pk (``oblast``
        -1 and ``at_storage_site`` false: geometry is the caller's); ``with_notes``: the
        source, place and text of the reports a report lists one by one. No violations:
        those come from ``system_view`` or the reader's ``ShownSource``."""
        ...

    def daily_series(self, last_day: date, days: int) -> DailySeries:
        """Reports and fire counts of the ``days`` local days ending with ``last_day``
        (violations zero: they are counted from a ``ShownSource``)."""
        ...

    def coverage(self, start_s: float, end_s: float) -> dict[str, FloatColumns]:
        """Declared coverage windows and visible impediment reports of ``[start_s, end_s)``
        (``windows``, ``impediments``; incidents come from a ``ShownSource``)."""
        ...

    def incident_links(self, report_pks: NDArray[np.int64]) -> NDArray[np.int64]:
        """``(incident pk, report pk)`` pairs of these reports (sorted pks), shape ``(k, 2)``:
        which incidents each report was fused into (superseded ones too)."""
        ...

    def incident(
        self, incident_id: int
    ) -> tuple[FlashIncident, tuple[FlashReportLine, ...], tuple[FlashViolation, ...]]:
        """One incident, its reports and its violations (the flash report); ``NotFoundError``
        when there is no such incident."""
        ...

    def system_view(self) -> ShownSource:
        """The incidents as the store holds them, whole: every active incident with a
        visible report, at its own time and position, with its active violations."""
        ...
