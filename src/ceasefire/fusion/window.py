"""Windowed re-fusion: which reports must be fused again when a few reports change.

Fusion is a function of the set of active reports, computed component by component of the
gate graph (``cluster``). Two reports can only gate when their time spans overlap
(``gating.time_spans``), so a change at time ``t`` can only reach the components whose spans
come near ``t``. Re-fusing a *closed* set of components — every member's span lies inside the
window that was loaded, so every gate neighbour of a member was loaded too — gives exactly the
incidents a full re-fusion gives for them; everything else is left as it was.

A :class:`TimeWindow` is that window: a union of disjoint closed intervals of epoch seconds,
so a late report about last week and one about now load two short windows, not a week.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ceasefire.fusion.model import FloatArray, IntArray


@dataclass(frozen=True)
class TimeWindow:
    """Disjoint closed intervals ``[starts[k], ends[k]]`` (epoch s), sorted, not touching."""

    starts: FloatArray
    ends: FloatArray

    @classmethod
    def of_spans(cls, t0: FloatArray, t1: FloatArray) -> TimeWindow:
        """The union of the spans ``t0[i]..t1[i]`` (overlapping or touching ones merge).

        >>> w = TimeWindow.of_spans(np.array([0.0, 5.0, 20.0]), np.array([10.0, 12.0, 30.0]))
        >>> w.starts.tolist(), w.ends.tolist()
        ([0.0, 20.0], [12.0, 30.0])
        """
        if t0.size == 0:
            return cls(np.empty(0), np.empty(0))
        order = np.argsort(t0, kind="stable")
        lo, hi = t0[order], t1[order]
        reach = np.maximum.accumulate(hi)
        head = np.r_[True, lo[1:] > reach[:-1]]
        starts = lo[head]
        ends = reach[np.r_[np.flatnonzero(head)[1:] - 1, lo.size - 1]]
        return cls(starts.astype(np.float64), ends.astype(np.float64))

    def __len__(self) -> int:
        return int(self.starts.size)

    def union(self, t0: FloatArray, t1: FloatArray) -> TimeWindow:
        """This window grown by the spans ``t0``..``t1``."""
        return TimeWindow.of_spans(np.r_[self.starts, t0], np.r_[self.ends, t1])

    def overlaps(self, t0: FloatArray, t1: FloatArray) -> NDArray[np.bool_]:
        """Whether each span meets the window (shares at least one instant with it)."""
        if not len(self):
            return np.zeros(t0.shape, dtype=bool)
        k = np.searchsorted(self.starts, t1, side="right") - 1
        return (k >= 0) & (self.ends[np.maximum(k, 0)] >= t0)

    def covers(self, t0: FloatArray, t1: FloatArray) -> NDArray[np.bool_]:
        """Whether each span lies inside one interval of the window."""
        if not len(self):
            return np.zeros(t0.shape, dtype=bool)
        k = np.searchsorted(self.starts, t0, side="right") - 1
        return (k >= 0) & (self.ends[np.maximum(k, 0)] >= t1)

    def same_as(self, other: TimeWindow) -> bool:
        """Whether both windows are the same set of instants."""
        return bool(
            np.array_equal(self.starts, other.starts) and np.array_equal(self.ends, other.ends)
        )

    def observed_ranges(
        self, *, before_s: float, after_s: float, longest_s: float
    ) -> list[tuple[float, float]]:
        """Ranges of ``observed_at`` that hold every report whose span may meet the window.

        A span starts at most ``before_s`` before ``observed_at`` and ends at most
        ``longest_s + after_s`` after it (``longest_s``: the longest ``observed_until -
        observed_at`` of any report), so a report meeting ``[a, b]`` has ``observed_at`` in
        ``[a - longest_s - after_s, b + before_s]``; one second of margin against rounding.
        """
        grown = TimeWindow.of_spans(
            self.starts - longest_s - after_s - 1.0, self.ends + before_s + 1.0
        )
        return list(zip(grown.starts.tolist(), grown.ends.tolist(), strict=True))


def whole_components(labels: IntArray, chosen: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Rows whose component label is that of any ``chosen`` row (whole components)."""
    if labels.size == 0:
        return np.zeros(0, dtype=bool)
    picked = np.zeros(int(labels.max()) + 1, dtype=bool)
    picked[labels[chosen]] = True
    return picked[labels]
