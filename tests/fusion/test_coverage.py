"""Coverage per sector and day: a quiet sector is flagged when nobody could see it."""

from __future__ import annotations

from datetime import date

import numpy as np

from ceasefire.assessment.coverage import DAY_S, CoverageInput, coverage_on

DAY0 = date(1970, 1, 8)  # epoch-based days keep the arithmetic readable
D0 = 7 * DAY_S


def _data(hours_on_day: float, impeded: bool, incident: bool) -> CoverageInput:
    """Sector 0 watched 10 h a day for a week by observer 1, then ``hours_on_day`` on DAY0;
    sector 1 watched 10 h every day including DAY0."""
    starts = [d * DAY_S for d in range(7)] + [D0]
    ends = [d * DAY_S + 36_000 for d in range(7)] + [D0 + hours_on_day * 3600]
    n = len(starts)
    return CoverageInput(
        sectors=("UA-14", "UA-09"),
        window_sector=np.array([0] * n + [1] * n),
        window_source=np.array([1] * n + [2] * n),
        window_start_s=np.array(starts + starts[:7] + [D0]),
        window_end_s=np.array(ends + ends[:7] + [D0 + 36_000]),
        impediment_sector=np.array([0] if impeded else [], dtype=np.int64),
        impediment_s=np.array([D0 + 100.0] if impeded else []),
        incident_sector=np.array([1, 0] if incident else [1], dtype=np.int64),
        incident_s=np.array([D0 + 50.0, D0 + 60.0] if incident else [D0 + 50.0]),
    )


def test_a_quiet_sector_with_half_the_usual_watch_is_flagged() -> None:
    quiet, busy = coverage_on(_data(4.0, impeded=False, incident=False), DAY0)
    assert (quiet.sector, quiet.observer_hours, quiet.baseline_hours) == ("UA-14", 4.0, 10.0)
    assert quiet.degraded
    assert quiet.quiet_but_degraded
    assert (busy.observer_hours, busy.incidents, busy.degraded) == (10.0, 1, False)


def test_usual_watch_is_not_degraded_but_an_impediment_is() -> None:
    (normal, _) = coverage_on(_data(10.0, impeded=False, incident=False), DAY0)
    assert not normal.degraded
    (impeded, _) = coverage_on(_data(10.0, impeded=True, incident=True), DAY0)
    assert impeded.impediments == 1
    assert impeded.degraded
    assert not impeded.quiet_but_degraded  # something was seen there that day
