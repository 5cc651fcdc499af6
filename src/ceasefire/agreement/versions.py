"""Which agreement version was in force at a given time.

Reports are judged by the version in force when they were observed, not the latest one: a
disengagement protocol signed in 2016 does not make 2015 movements violations.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from ceasefire.agreement.model import Agreement


def version_in_force(versions: Iterable[Agreement], at: datetime) -> Agreement | None:
    """The version with the latest ``in_force_from`` at or before ``at``; ``None`` when none is.

    Drafts (``in_force_from`` ``None``) are never in force. Two versions starting at the same
    instant are decided by the higher ``version`` number. ``at`` must be timezone-aware.

    >>> version_in_force([], datetime(2015, 2, 15).astimezone()) is None
    True
    """
    if at.tzinfo is None:
        raise ValueError("version_in_force needs a timezone-aware time")
    best: Agreement | None = None
    for candidate in versions:
        start = candidate.in_force_from
        if start is None or start > at:
            continue
        if best is None or (start, candidate.version) > (best.in_force_from, best.version):
            best = candidate
    return best
