"""Scoring and the DBSCAN baseline agree with brute force on small inputs."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ceasefire.scenarios2.baseline import dbscan
from ceasefire.scenarios2.score import majority, pair_scores

LABELS = st.lists(st.integers(0, 4), min_size=0, max_size=25)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), n_groups=st.integers(1, 3))
def test_pair_scores_equal_counting_pairs(data: st.DataObject, n_groups: int) -> None:
    """Contingency counts give what enumerating every pair gives, overall and per group pair."""
    n = data.draw(st.integers(0, 25))
    pred = np.array(data.draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)), np.int64)
    truth = np.array(data.draw(st.lists(st.integers(-3, 4), min_size=n, max_size=n)), np.int64)
    group = np.array(
        data.draw(st.lists(st.integers(0, n_groups - 1), min_size=n, max_size=n)), np.int64
    )
    got = pair_scores(pred, truth, group, n_groups)
    want: dict[tuple[int, int], list[int]] = {}
    for i, j in itertools.combinations(range(n), 2):
        key = (int(min(group[i], group[j])), int(max(group[i], group[j])))
        slot = want.setdefault(key, [0, 0, 0])
        same_p, same_t = pred[i] == pred[j], truth[i] == truth[j]
        slot[0] += int(same_p and same_t)
        slot[1] += int(same_p)
        slot[2] += int(same_t)
    for key, (tp, p, t) in want.items():
        counts = got.by_group.get(key)
        if p or t:
            assert counts is not None
            assert (counts.tp, counts.predicted, counts.true) == (tp, p, t)
    total = np.array(list(want.values()) or [[0, 0, 0]]).sum(axis=0)
    assert (got.overall.tp, got.overall.predicted, got.overall.true) == tuple(total)


def test_perfect_and_empty_associations() -> None:
    """The truth scores F1 1; all singletons have recall 0 when pairs exist."""
    truth = np.array([0, 0, 1, 1, 1, -1])
    group = np.zeros(6, np.int64)
    assert pair_scores(truth, truth, group, 1).overall.f1 == 1.0
    singletons = pair_scores(np.arange(6), truth, group, 1).overall
    assert singletons.recall == 0.0
    assert singletons.precision == 1.0


def test_majority_picks_the_commonest_label() -> None:
    """Each cluster gets the truth label most of its reports carry, the smallest on a tie."""
    cl, label = majority(np.array([0, 0, 0, 1, 1, 2]), np.array([5, 5, 6, 7, 3, 9]))
    assert cl.tolist() == [0, 1, 2]
    assert label.tolist() == [5, 3, 9]


@settings(max_examples=100, deadline=None)
@given(
    xs=st.lists(
        st.tuples(st.floats(0, 3000), st.floats(0, 3000), st.floats(0, 600)),
        min_size=1,
        max_size=30,
    ),
    eps=st.floats(50, 1500),
)
def test_dbscan_min_samples_one_is_connected_components(
    xs: list[tuple[float, float, float]], eps: float
) -> None:
    """With min_samples 1, DBSCAN's clusters are the components of the eps-neighbour graph."""
    pts = np.array(xs)
    labels = dbscan(
        pts[:, 0], pts[:, 1], pts[:, 2], np.zeros(len(pts), np.int64),
        eps_m=eps, metres_per_s=2.0, min_samples=1,
    )  # fmt: skip
    scaled = pts * np.array([1.0, 1.0, 2.0])
    parent = list(range(len(pts)))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i, j in itertools.combinations(range(len(pts)), 2):
        if np.linalg.norm(scaled[i] - scaled[j]) <= eps:
            parent[find(i)] = find(j)
    roots = [find(i) for i in range(len(pts))]
    for i, j in itertools.combinations(range(len(pts)), 2):
        assert (labels[i] == labels[j]) == (roots[i] == roots[j])


def test_dbscan_noise_and_border_points() -> None:
    """A border point joins its core's cluster; an isolated point stays alone; categories split."""
    x = np.array([0.0, 10.0, 20.0, 35.0, 500.0, 5.0])
    z = np.zeros(6)
    cat = np.array([0, 0, 0, 0, 0, 1])
    labels = dbscan(x, z, z, cat, eps_m=16.0, metres_per_s=1.0, min_samples=3)
    assert labels[0] == labels[1] == labels[2] == labels[3]
    assert len({labels[0], labels[4], labels[5]}) == 3
