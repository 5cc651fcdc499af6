"""A reader's incidents as shown to them, for a time window: what every HQ aggregate counts.

Issue 13's rule: whatever a reader gets is computed from the reports that reader may see. The
incident list already shows each incident whole or through a tearline (``api.views``); the
aggregates (``/api/counts/daily``, ``/api/coverage``, the daily report served to a reader)
count the same shown incidents, from here:

* seen whole (every report visible, by the incident's release signature): the stored
  incident, its time, position and active violations, read and grouped in SQL
  (``store.shown_sql``), as fast as counting whole incidents was;
* seen through a tearline: found by the read model's own pages (their time filter is the
  tearline's time), then computed by ``api.views.torn_lines`` (the function the stored
  tearline items come from: they are few, and the report needs each rule's article,
  certainty and zone); each counts at its tearline's time and position, with the rules
  judged again there;
* not seen at all: not counted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray

from ceasefire.access.model import User
from ceasefire.api.state import HQState
from ceasefire.api.views import torn_lines
from ceasefire.monitoring.columns import CATEGORIES
from ceasefire.monitoring.shown import ShownIncidents, shown_incidents
from ceasefire.store.hq_queries import PageQuery
from ceasefire.store.shown_sql import (
    Judgment,
    ShownRow,
)

_CATEGORY_CODE = {c.value: k for k, c in enumerate(CATEGORIES)}
#: Tearlines computed per call to ``torn_lines`` (its members are read with one ``IN``).
_TORN_BATCH = 500
#: Stored tearlines read per page of the candidate search.
_PAGE = 5_000


def _split(state: HQState, user: User) -> tuple[tuple[int, ...], dict[int, int]]:
    """Signatures ``user`` sees whole, and the mask of each seen through a tearline (read
    afresh, so an incident written a moment ago is judged by its own signature)."""
    masks = state.masks(user, fresh=True)
    return masks.whole, masks.partial


def _torn_candidates(
    state: HQState, partial: dict[int, int], start_s: float, end_s: float
) -> set[int]:
    """Incidents seen through a tearline whose stored tearline lies in ``[start_s, end_s]``,
    and those whose tearline is not stored (computed by the caller): the read model's own
    pages (``store.read_model_read.item_page``, filters on the shown time), resumed after
    the last row until a page is not full."""
    found: set[int] = set()
    after: tuple[float, int] | None = None
    while True:
        query = PageQuery(since_s=start_s, until_s=end_s, after=after, limit=_PAGE)
        page = state.stores.read_model.item_page(
            query, whole_signatures=(), partial_masks=partial, known_count=None
        )
        found.update(int(row[0]) for row in page.torn)
        found.update(int(row[0]) for row in page.unready)
        if len(page.torn) < _PAGE:
            return found
        after = (float(page.torn[-1][1]), int(page.torn[-1][0]))


def _torn(
    state: HQState, user: User, partial: dict[int, int], start_s: float, end_s: float
) -> tuple[list[ShownRow], list[Judgment]]:
    """Tearlines shown in ``[start_s, end_s)`` and the rules they break."""
    if not partial:
        return [], []
    candidates = _torn_candidates(state, partial, start_s, end_s)
    rows: list[ShownRow] = []
    judged: list[Judgment] = []
    pks = sorted(candidates)
    for start in range(0, len(pks), _TORN_BATCH):
        batch = pks[start : start + _TORN_BATCH]
        for pk, (line, members, rules) in torn_lines(state, user, batch).items():
            if not start_s <= line.observed_at_s < end_s:
                continue
            rows.append(
                (
                    pk,
                    line.observed_at_s,
                    line.lon,
                    line.lat,
                    _CATEGORY_CODE.get(line.category, -1),
                    int(members[0]["pk"]),  # ordered by time, then pk
                    True,
                )
            )
            judged += [(pk, r, a, sev, c == "certain", z) for r, a, sev, c, z in rules]
    return rows, judged


def reader_incidents(
    state: HQState,
    user: User,
    start_s: float,
    end_s: float,
    *,
    detail: bool = True,
    first_reports: bool = False,
) -> ShownIncidents:
    """The incidents ``user`` is shown with a shown time in ``[start_s, end_s)`` (epoch s),
    with ``detail`` each with its category and the rule judgments shown (else only time and
    position); ``first_reports`` fills each one's earliest visible report (whole incidents
    need one more query for it)."""
    whole_sigs, partial_sigs = _split(state, user)
    rows, judged = state.stores.read_model.whole_shown(
        whole_sigs,
        start_s,
        end_s,
        detail=detail,
        first_reports=first_reports,
    )
    torn_rows, torn_judged = _torn(state, user, partial_sigs, start_s, end_s)
    return shown_incidents(rows + torn_rows, judged + torn_judged if detail else [])


@dataclass(frozen=True)
class ReaderView:
    """One reader's shown incidents, as the daily report reads them
    (``reporting.daily.ShownSource``)."""

    state: HQState
    user: User

    def incidents(
        self, start_s: float, end_s: float, *, detail: bool = True, first_reports: bool = False
    ) -> ShownIncidents:
        """``reader_incidents`` of this reader."""
        return reader_incidents(
            self.state, self.user, start_s, end_s, detail=detail, first_reports=first_reports
        )

    def violations_by_severity(self, edges_s: NDArray[np.float64]) -> NDArray[np.int64]:
        """Shown violations per day and severity, shape ``(days, 5)``: day ``k`` is
        ``[edges_s[k], edges_s[k + 1])`` of the shown time, the edges on whole hours (local
        midnights in a zone with whole-hour offsets). Whole incidents are grouped by hour in
        SQL, tearlines binned one by one."""
        days = len(edges_s) - 1
        whole_sigs, partial_sigs = _split(self.state, self.user)
        start_s, end_s = float(edges_s[0]), float(edges_s[-1])
        rows, judged = _torn(self.state, self.user, partial_sigs, start_s, end_s)
        out = shown_incidents(rows, judged).violations_by_severity(edges_s)
        grouped = self.state.stores.read_model.whole_violations_by_hour(whole_sigs, start_s, end_s)
        if grouped:
            hour, sev, n = (np.asarray(col, dtype=np.float64) for col in zip(*grouped, strict=True))
            k = np.searchsorted(edges_s, hour * 3600.0, side="right") - 1
            inside = (k >= 0) & (k < days)
            level = np.clip(sev.astype(np.int64), 1, 5) - 1
            np.add.at(out, (k[inside], level[inside]), n[inside].astype(np.int64))
        return out


def reader_daily_counts(
    state: HQState, user: User, since_s: float, until_s: float
) -> dict[str, tuple[int, int]]:
    """Per UTC day (``YYYY-MM-DD``): incidents ``user`` is shown with a shown time in
    ``[since_s, until_s]``, and the violations shown with them. Whole incidents are grouped
    in SQL; tearlines are added one by one."""
    whole_sigs, partial_sigs = _split(state, user)
    whole = state.stores.read_model.whole_daily_counts(whole_sigs, since_s, until_s)
    out = {d: list(n) for d, n in whole.items()}
    end_s = math.nextafter(until_s, math.inf)  # inclusive of ``until_s``
    rows, judged = _torn(state, user, partial_sigs, since_s, end_s)
    day_of = {pk: datetime.fromtimestamp(t, UTC).date().isoformat() for pk, t, *_ in rows}
    for day in day_of.values():
        out.setdefault(day, [0, 0])[0] += 1
    for pk, *_ in judged:
        out.setdefault(day_of[pk], [0, 0])[1] += 1
    return {d: (n[0], n[1]) for d, n in sorted(out.items())}
