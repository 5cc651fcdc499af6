"""Coverage rows read from the store → the sector-assigned input of ``coverage_on``.

Shared by ``ceasefire coverage`` and the HQ's ``/api/coverage`` so both compute the same
figures from the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ceasefire.assessment.coverage import CoverageInput
from ceasefire.monitoring.oblasts import Oblasts


def coverage_input(rows: Mapping[str, Any], sectors: Oblasts) -> CoverageInput:
    """Windows, impediments and incidents (columns as the store returns them) per sector."""
    src, w0, w1, wx, wy = rows["windows"]
    it, ix, iy = rows["impediments"]
    ct, cx, cy = rows["incidents"]

    def sector(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.int64]:
        if lon.size == 0:
            return np.empty(0, dtype=np.int64)
        return sectors.assign(lon, lat).astype(np.int64)

    return CoverageInput(
        sectors=sectors.iso,
        window_sector=sector(wx, wy),
        window_source=src.astype(np.int64),
        window_start_s=w0,
        window_end_s=w1,
        impediment_sector=sector(ix, iy),
        impediment_s=it,
        incident_sector=sector(cx, cy),
        incident_s=ct,
    )
