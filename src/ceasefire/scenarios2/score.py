"""Scoring an association against the truth: pairwise F1, per report-source pair, and counts.

Pairwise scores treat an association as the set of report pairs it puts together: a pair is
a true positive when the truth also puts the two reports together (same event, or the same
false report and its copies). Scores per *pair of source types* (post-post, post-UAV, ...)
show where an association over-merges or splits. Everything is computed from contingency
counts (``np.bincount``), never from the O(n^2) pairs themselves.

>>> s = pair_scores(np.array([0, 0, 1]), np.array([5, 5, 5]), np.zeros(3, np.int64), 1)
>>> (s.overall.tp, s.overall.predicted, s.overall.true)
(1, 1, 3)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

I64 = NDArray[np.int64]


@dataclass(frozen=True)
class PairCounts:
    """True-positive, predicted and true pair counts, with the usual ratios.

    Precision (recall) is 1.0 when nothing was predicted (nothing was true): an empty set
    of pairs makes no mistake.
    """

    tp: int
    predicted: int
    true: int

    @property
    def precision(self) -> float:
        """Share of predicted pairs that are true."""
        return self.tp / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        """Share of true pairs that were predicted."""
        return self.tp / self.true if self.true else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: PairCounts) -> PairCounts:
        return PairCounts(
            self.tp + other.tp, self.predicted + other.predicted, self.true + other.true
        )


@dataclass(frozen=True)
class PairScores:
    """Overall pair counts and counts per unordered pair of groups ``(a, b)``, ``a <= b``."""

    overall: PairCounts
    by_group: dict[tuple[int, int], PairCounts]


def _dense(labels: I64) -> I64:
    _, inverse = np.unique(labels, return_inverse=True)
    return inverse.astype(np.int64)


def _pairs_by_group(labels: I64, group: I64, n_groups: int) -> I64:
    """Upper-triangular ``G x G`` matrix of same-label pairs by the groups of their members."""
    if len(labels) == 0:
        return np.zeros((n_groups, n_groups), dtype=np.int64)
    dense = _dense(labels)
    k = int(dense.max()) + 1
    v = np.bincount(dense * n_groups + group, minlength=k * n_groups).reshape(k, n_groups)
    m = v.T @ v
    out = np.triu(m, 1)
    out[np.diag_indices(n_groups)] = (np.diag(m) - v.sum(axis=0)) // 2
    return out.astype(np.int64)


def pair_scores(predicted: I64, truth: I64, group: I64, n_groups: int) -> PairScores:
    """Pairwise counts of ``predicted`` clusters against ``truth``, overall and per group pair.

    ``group`` is each report's group code in ``[0, n_groups)`` (e.g. its source type).
    """
    predicted = np.asarray(predicted, dtype=np.int64)
    truth = np.asarray(truth, dtype=np.int64)
    cell = _dense(predicted) * (int(_dense(truth).max(initial=0)) + 1) + _dense(truth)
    tp = _pairs_by_group(cell, group, n_groups)
    pred = _pairs_by_group(predicted, group, n_groups)
    true = _pairs_by_group(truth, group, n_groups)
    by_group = {
        (a, b): PairCounts(int(tp[a, b]), int(pred[a, b]), int(true[a, b]))
        for a in range(n_groups)
        for b in range(a, n_groups)
        if pred[a, b] or true[a, b]
    }
    overall = PairCounts(int(tp.sum()), int(pred.sum()), int(true.sum()))
    return PairScores(overall=overall, by_group=by_group)


def majority(predicted: I64, truth: I64) -> tuple[I64, I64]:
    """``(cluster, truth label)``: each predicted cluster with the truth label most of it has.

    Ties go to the smallest label (deterministic).
    """
    predicted = np.asarray(predicted, dtype=np.int64)
    truth = np.asarray(truth, dtype=np.int64)
    pairs, counts = np.unique(np.column_stack([predicted, truth]), axis=0, return_counts=True)
    # sort by cluster, then by count descending; the first row of each cluster wins
    order = np.lexsort((pairs[:, 1], -counts, pairs[:, 0]))
    pairs = pairs[order]
    first = np.ones(len(pairs), dtype=bool)
    first[1:] = pairs[1:, 0] != pairs[:-1, 0]
    return pairs[first, 0], pairs[first, 1]
