"""An incident's count of violations from its reports' counts (low, best, high)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ceasefire.fusion.grading import SECOND_HAND
from ceasefire.fusion.model import SOURCE_TYPES, IntArray

#: per source type code: True for second-hand sources (open sources, intelligence, parties)
_SECOND_HAND_CODES = np.array([s in SECOND_HAND for s in SOURCE_TYPES])


def count_estimates(
    count: IntArray, source_type: NDArray[np.int8], group: IntArray, g_n: int
) -> tuple[IntArray, IntArray, IntArray]:
    """(low, best, high) count of each of ``g_n`` groups (each with one row or more) from
    its reports' counts.

    ``best`` is the count of the most complete first-hand observer: the largest count any
    post, patrol, camera, sensor or UAV of the incident gave. Observers lose rounds (a far
    post hears half of them, a patrol arrives late) far more often than they invent them, and
    counts are never summed across sources (one event heard by four posts is one event). The
    median of the reports, used before, also dropped violations whenever fusion merged
    reports of two separate events: the smaller counts pulled it down (issue 18: 609
    violations lost on the February 2022 surge). Second-hand reports (open sources,
    intelligence, party notifications) copy, round or inflate figures, so they set ``best``
    only for an incident that has nothing else (then their median). ``low``/``high``: the
    smallest and largest count of any report.
    """
    by_group = np.lexsort((count, group))
    sorted_counts = count[by_group]
    sizes = np.bincount(group, minlength=g_n)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    low = sorted_counts[starts]
    high = sorted_counts[starts + sizes - 1]
    median = sorted_counts[starts + (sizes - 1) // 2]
    # the last first-hand row of each group in (group, count) order holds its largest count
    first_hand = ~_SECOND_HAND_CODES[source_type[by_group]]
    position = np.where(first_hand, np.arange(count.size), -1)
    last = np.maximum.reduceat(position, starts) if count.size else position
    best = np.where(last >= starts, sorted_counts[np.maximum(last, 0)], median)
    return low, best, high
