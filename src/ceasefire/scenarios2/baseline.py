"""The baseline a user would try instead of fusion: DBSCAN over space and time.

scikit-learn is not in the project's environment, so DBSCAN is written here on scipy's
``cKDTree`` (Ester et al. 1996): points within ``eps_m`` of each other are neighbours; a point
with at least ``min_samples - 1`` neighbours is a core point; cores connected through
neighbours form a cluster; a non-core point joins the cluster of one of its cores; the rest
are noise, each kept as a cluster of its own (every report is an incident of something).

Distance mixes space and time: a report is the point ``(x_m, y_m, t_s * metres_per_s)``, and
reports of different categories never meet (they are put far apart on a fourth axis).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from ceasefire.scenarios2.geometry import EARTH_RADIUS_M, F64

I64 = NDArray[np.int64]


def local_metres(lon: F64, lat: F64) -> tuple[F64, F64]:
    """A sinusoidal projection about the mean meridian, m: true distances within ~1 % locally."""
    lon0 = float(np.mean(lon)) if len(lon) else 0.0
    x = EARTH_RADIUS_M * np.cos(np.radians(lat)) * np.radians(lon - lon0)
    y = EARTH_RADIUS_M * np.radians(lat)
    return x, y


def dbscan(
    x_m: F64,
    y_m: F64,
    t_s: F64,
    category: I64,
    *,
    eps_m: float,
    metres_per_s: float,
    min_samples: int,
) -> I64:
    """Cluster labels (0..k-1) of DBSCAN over ``(x, y, t * metres_per_s)`` per category.

    >>> z = np.zeros(3)
    >>> dbscan(np.array([0.0, 100.0, 5000.0]), z, z, np.zeros(3, np.int64), eps_m=200.0,
    ...        metres_per_s=1.0, min_samples=1).tolist()
    [0, 0, 1]
    """
    n = len(x_m)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    apart = 1e9 * np.asarray(category, dtype=np.float64)
    points = np.column_stack([x_m, y_m, np.asarray(t_s) * metres_per_s, apart])
    pairs = cKDTree(points).query_pairs(eps_m, output_type="ndarray")
    a, b = pairs[:, 0], pairs[:, 1]
    degree = np.bincount(a, minlength=n) + np.bincount(b, minlength=n)
    core = degree + 1 >= min_samples
    both = core[a] & core[b]
    graph = coo_matrix((np.ones(int(both.sum())), (a[both], b[both])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    labels = labels.astype(np.int64)
    # border points take the cluster of a core neighbour; noise stays a cluster of its own
    border_a = ~core[a] & core[b]
    border_b = core[a] & ~core[b]
    joined = np.full(n, -1, dtype=np.int64)
    joined[a[border_a]] = labels[b[border_a]]
    joined[b[border_b]] = labels[a[border_b]]
    out = np.where(core, labels, np.where(joined >= 0, joined, labels))
    return np.unique(out, return_inverse=True)[1].astype(np.int64)
