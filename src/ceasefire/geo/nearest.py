"""Fast distance from many points to a polyline: a k-d tree over the densified vertices.

GEOS' STRtree nearest query costs ~7 µs a point; this costs well under 1 µs. The line (in
projected metres) is densified so no segment is longer than ``spacing_m``; the k-d tree
(sliding-midpoint, ``eps`` approximate search) finds a vertex at most ``1 + eps`` times as far
as the nearest vertex, and the exact distance to the two segments around it is returned.

Error bound: with d the true distance and s = ``spacing_m``, the answer lies in
``[d, (1 + eps)·sqrt(d² + s²/4)]``, i.e. at most ``eps·d + s²/(8d)`` too long once d > s.
Points closer than ``2·s`` are refined over their 16 nearest vertices, which makes them exact
for a line whose parts are not within ``2·s`` of each other. ``tests/geo`` checks the bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

#: Relative slack of the k-d tree search (0.1 %); part of the 0.5 % budget.
KD_EPS = 0.001
#: Densification step, metres: the near-line refinement covers points closer than 2 steps.
SPACING_M = 250.0
_NEAR_K = 16


@dataclass(frozen=True)
class PolylineIndex:
    """Distances to the lines (or polygon rings) of a projected geometry."""

    vertices: FloatArray
    next_vertex: IntArray
    _tree: cKDTree = field(repr=False, compare=False)
    spacing_m: float = SPACING_M

    @classmethod
    def of(cls, geometry: BaseGeometry, *, spacing_m: float = SPACING_M) -> PolylineIndex:
        """Index the boundary of a polygon, or the line itself, of a projected geometry."""
        if geometry.geom_type in {"Polygon", "MultiPolygon"}:
            geometry = geometry.boundary
        dense = shapely.segmentize(geometry, spacing_m)
        parts: Sequence[BaseGeometry] = shapely.get_parts(dense)
        chunks: list[FloatArray] = []
        nexts: list[IntArray] = []
        offset = 0
        for part in parts:
            xy = np.asarray(shapely.get_coordinates(part), dtype=np.float64)
            if len(xy) == 0:
                continue
            nxt = np.arange(offset + 1, offset + len(xy) + 1, dtype=np.intp)
            nxt[-1] = -1
            chunks.append(xy)
            nexts.append(nxt)
            offset += len(xy)
        return cls.from_arrays(np.concatenate(chunks), np.concatenate(nexts), spacing_m)

    @classmethod
    def from_arrays(
        cls, vertices: FloatArray, next_vertex: IntArray, spacing_m: float = SPACING_M
    ) -> PolylineIndex:
        """The index of ``vertices`` (n x 2, metres) chained by ``next_vertex`` (-1 ends a part).

        Builds the k-d tree (milliseconds); the geography cache stores only the arrays.
        """
        tree = cKDTree(vertices, balanced_tree=False, compact_nodes=False)
        return cls(vertices, next_vertex, tree, spacing_m)

    def distance(
        self, x: FloatArray, y: FloatArray, *, upper_bound_m: float = np.inf
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(distance, nearest x, nearest y) for each point, metres; ``inf`` beyond the bound.

        ``upper_bound_m`` prunes the search: use it when only "within w?" matters.
        """
        n = len(x)
        dist = np.full(n, np.inf)
        near_x = np.full(n, np.nan)
        near_y = np.full(n, np.nan)
        if n == 0:
            return dist, near_x, near_y
        xy = np.column_stack([x, y])
        _, idx = self._tree.query(xy, eps=KD_EPS, distance_upper_bound=upper_bound_m, workers=-1)
        found = idx < len(self.vertices)
        cand = np.stack([idx[found], self._previous(idx[found])], axis=1)
        d, nx, ny = self._segments(xy[found], cand)
        dist[found], near_x[found], near_y[found] = d, nx, ny
        close = np.flatnonzero(dist < 2 * self.spacing_m)
        if len(close):
            k = min(_NEAR_K, len(self.vertices))
            _, kidx = self._tree.query(xy[close], k=k, workers=-1)
            kidx = np.asarray(kidx).reshape(len(close), k)
            both = np.concatenate([kidx, self._previous(kidx)], axis=1)
            dist[close], near_x[close], near_y[close] = self._segments(xy[close], both)
        dist[dist > upper_bound_m] = np.inf
        return dist, near_x, near_y

    def _previous(self, idx: IntArray) -> IntArray:
        """The vertex before each (itself when it starts a part), so segment = (prev, idx)."""
        prev = np.maximum(idx - 1, 0)
        starts = (idx == 0) | (self.next_vertex[prev] != idx)
        return np.where(starts, idx, prev)

    def _segments(
        self, xy: FloatArray, starts: IntArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Exact distance from each point to the segments starting at its candidate vertices.

        ``starts`` is (m, k); works column by column on 1-d arrays (einsum on (m, k, 2)
        stacks is three times slower).
        """
        px, py = xy[:, 0], xy[:, 1]
        vx, vy = self.vertices[:, 0], self.vertices[:, 1]
        best_d2 = np.full(len(xy), np.inf)
        best_x = np.full(len(xy), np.nan)
        best_y = np.full(len(xy), np.nan)
        for col in range(starts.shape[1]):
            a = starts[:, col]
            nxt = self.next_vertex[a]
            b = np.where(nxt < 0, a, nxt)
            ax, ay = vx[a], vy[a]
            abx, aby = vx[b] - ax, vy[b] - ay
            len2 = abx * abx + aby * aby
            t = ((px - ax) * abx + (py - ay) * aby) / np.where(len2 > 0, len2, 1.0)
            np.clip(t, 0.0, 1.0, out=t)
            fx = ax + t * abx
            fy = ay + t * aby
            d2 = (px - fx) ** 2 + (py - fy) ** 2
            better = d2 < best_d2
            best_d2 = np.where(better, d2, best_d2)
            best_x = np.where(better, fx, best_x)
            best_y = np.where(better, fy, best_y)
        return np.sqrt(best_d2), best_x, best_y
