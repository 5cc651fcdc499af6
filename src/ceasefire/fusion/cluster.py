"""Association: gated pairs → incidents, independent of the order reports arrived in.

1. Connected components of the gate graph (``scipy.sparse.csgraph``): a set function, so no
   arrival order can change it.
2. A component is accepted as one incident when it is *clean*: every pair of its reports
   gates (a clique) and no source appears twice in it (two reports of one source at one time
   are two events unless one ``amends`` the other, and an amended report is no longer active).
3. Otherwise (a burst of nearby events chained together, or one post reporting two of them)
   it is split greedily: reports in canonical order (observed time, then ``(source, id)``)
   join the existing group with which they gate with *every* member and share no source,
   the one at the smallest mean Mahalanobis distance; else they start a group. Canonical
   order makes the split deterministic; only unclean components pay for this Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ceasefire.fusion.model import FloatArray, IntArray

M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON = 111_320.0


@dataclass(frozen=True)
class Gaussians:
    """Every row's position (degrees) and its covariance in local metres (east, north)."""

    lon: FloatArray
    lat: FloatArray
    cxx: FloatArray
    cxy: FloatArray
    cyy: FloatArray


def components(n: int, a: IntArray, b: IntArray) -> IntArray:
    """Component label of each of ``n`` rows under the undirected edges ``a``-``b``."""
    graph = coo_matrix((np.ones(a.size, dtype=np.int8), (a, b)), shape=(n, n)).tocsr()
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels, dtype=np.int64)


def split_components(
    rows: IntArray,
    labels: IntArray,
    *,
    a: IntArray,
    b: IntArray,
    m: FloatArray,
    source: IntArray,
    rank: IntArray,
    gauss: Gaussians,
    chi2: float,
) -> IntArray:
    """Final group of each of ``rows`` (given as the group's canonically first row).

    ``labels`` are the component labels of ``rows``; ``a``/``b``/``m`` the gated edges among
    them (any superset is fine: edges leaving ``rows`` are ignored); ``rank`` is each row's
    canonical position (smaller = first), indexed by row.
    """
    order = np.lexsort((rank[rows], labels))
    rows, labels = rows[order], labels[order]
    bounds = np.flatnonzero(np.diff(labels)) + 1
    starts = np.concatenate(([0], bounds))
    sizes = np.diff(np.concatenate((starts, [rows.size])))
    group = np.repeat(rows[starts], sizes)  # provisional: whole component, first row anchors
    position = np.full(int(rows.max()) + 1 if rows.size else 0, -1, dtype=np.int64)
    position[rows] = np.arange(rows.size)
    inside = (a < position.size) & (b < position.size)
    a, b, m = a[inside], b[inside], m[inside]
    pa, pb = position[a], position[b]
    keep = (pa >= 0) & (pb >= 0)
    a, b, m, pa = a[keep], b[keep], m[keep], pa[keep]
    comp_of = np.repeat(np.arange(starts.size), sizes)
    edge_comp = comp_of[pa]
    edges = np.bincount(edge_comp, minlength=starts.size)
    clique = edges == sizes * (sizes - 1) // 2
    src_sorted = np.lexsort((source[rows], comp_of))
    same = (comp_of[src_sorted][1:] == comp_of[src_sorted][:-1]) & (
        source[rows][src_sorted][1:] == source[rows][src_sorted][:-1]
    )
    repeated = np.zeros(starts.size, dtype=bool)
    repeated[comp_of[src_sorted][1:][same]] = True
    consistent = clique | _consistent(rows, comp_of, starts.size, gauss, chi2)
    dirty = np.flatnonzero(~consistent | repeated)
    if dirty.size == 0:
        return _unsort(group, order)
    dirty_edges = np.isin(edge_comp, dirty)
    ends = np.concatenate((a[dirty_edges], b[dirty_edges]))
    others = np.concatenate((b[dirty_edges], a[dirty_edges]))
    by_end = np.argsort(position[ends], kind="stable")
    # neighbours of the row at position p: others[ptr[p]:ptr[p + 1]] (lists: sliced per row)
    ptr = np.r_[0, np.cumsum(np.bincount(position[ends], minlength=rows.size))].tolist()
    neighbours = Neighbours(ptr, others[by_end].tolist())
    table = _table(rows, starts, sizes, source, gauss)
    for c in dirty.tolist():
        lo = int(starts[c])
        group[lo : lo + int(sizes[c])] = _greedy(table, lo, lo + int(sizes[c]), neighbours, chi2)
    return _unsort(group, order)


def _consistent(
    rows: IntArray, comp_of: IntArray, n_comp: int, gauss: Gaussians, chi2: float
) -> NDArray[np.bool_]:
    """Components whose every report lies within ``chi2`` of the component's fused position
    (information-weighted mean), under the report's covariance plus the fused one's: one
    event seen by all, even where two vague reports do not gate with each other."""
    lat0 = np.bincount(comp_of, weights=gauss.lat[rows], minlength=n_comp) / np.maximum(
        np.bincount(comp_of, minlength=n_comp), 1
    )
    scale = np.cos(np.radians(lat0))[comp_of] * M_PER_DEG_LON
    x, y = gauss.lon[rows] * scale, gauss.lat[rows] * M_PER_DEG_LAT
    cxx, cxy, cyy = gauss.cxx[rows], gauss.cxy[rows], gauss.cyy[rows]
    det = np.maximum(cxx * cyy - cxy * cxy, 1e-6)
    ixx, ixy, iyy = cyy / det, -cxy / det, cxx / det

    def total(values: FloatArray) -> FloatArray:
        return np.bincount(comp_of, weights=values, minlength=n_comp).astype(np.float64)

    gxx, gxy, gyy = total(ixx), total(ixy), total(iyy)
    bx, by = total(ixx * x + ixy * y), total(ixy * x + iyy * y)
    gdet = np.maximum(gxx * gyy - gxy * gxy, 1e-30)
    vxx, vxy, vyy = gyy / gdet, -gxy / gdet, gxx / gdet
    mx, my = vxx * bx + vxy * by, vxy * bx + vyy * by
    dx, dy = x - mx[comp_of], y - my[comp_of]
    sxx, sxy, syy = cxx + vxx[comp_of], cxy + vxy[comp_of], cyy + vyy[comp_of]
    m = (syy * dx * dx - 2 * sxy * dx * dy + sxx * dy * dy) / np.maximum(
        sxx * syy - sxy * sxy, 1e-6
    )
    worst = np.zeros(n_comp)
    np.maximum.at(worst, comp_of, m)
    return np.asarray(worst <= chi2)


@dataclass(frozen=True)
class Neighbours:
    """Gate neighbours per row position, as flat lists (CSR): no dict of small arrays."""

    ptr: list[int]
    others: list[int]

    def of(self, p: int) -> list[int]:
        """Rows gated with the row at position ``p``."""
        return self.others[self.ptr[p] : self.ptr[p + 1]]


def _unsort(values: IntArray, order: IntArray) -> IntArray:
    out = np.empty_like(values)
    out[order] = values
    return out


@dataclass(frozen=True)
class _Table:
    """Per row (sorted by component, canonical order inside): what the greedy split reads,
    as plain lists — computed for all rows at once, so no numpy call runs per component.
    Positions in metres east/north at the scale of the component's first row; the
    information matrix (inverse covariance, m^-2)."""

    row: list[int]
    x: list[float]
    y: list[float]
    ixx: list[float]
    ixy: list[float]
    iyy: list[float]
    source: list[int]


def _table(
    rows: IntArray, starts: IntArray, sizes: IntArray, source: IntArray, gauss: Gaussians
) -> _Table:
    scale = np.cos(np.radians(np.repeat(gauss.lat[rows[starts]], sizes))) * M_PER_DEG_LON
    cxx, cxy, cyy = gauss.cxx[rows], gauss.cxy[rows], gauss.cyy[rows]
    det = np.maximum(cxx * cyy - cxy * cxy, 1e-6)
    return _Table(
        row=rows.tolist(),
        x=(gauss.lon[rows] * scale).tolist(),
        y=(gauss.lat[rows] * M_PER_DEG_LAT).tolist(),
        ixx=(cyy / det).tolist(),
        ixy=(-cxy / det).tolist(),
        iyy=(cxx / det).tolist(),
        source=source[rows].tolist(),
    )


def _greedy(table: _Table, lo: int, hi: int, neighbours: Neighbours, chi2: float) -> list[int]:
    """Split one component (rows ``lo:hi`` of ``table``, in canonical order) like a tracker
    associates measurements: each report joins the group, among those holding one of its
    gate neighbours and none of its source, whose fused position it is closest to
    (Mahalanobis under the sum of both covariances), if within ``chi2``; otherwise it starts
    a group. Returns each member's group anchor (the group's first member)."""
    group_of: dict[int, int] = {}
    state: list[list[float]] = []  # per group: Ixx, Ixy, Iyy, bx, by
    sources: list[set[int]] = []
    anchor: list[int] = []
    out = []
    for k in range(lo, hi):
        row, src = table.row[k], table.source[k]
        ixx, ixy, iyy = table.ixx[k], table.ixy[k], table.iyy[k]
        x, y = table.x[k], table.y[k]
        candidates = {group_of[o] for o in neighbours.of(k) if o in group_of}
        best, best_cost = -1, chi2
        det = ixx * iyy - ixy * ixy
        cxx, cxy, cyy = iyy / det, -ixy / det, ixx / det
        for g in candidates:
            if src in sources[g]:
                continue
            gxx, gxy, gyy, bx, by = state[g]
            gdet = gxx * gyy - gxy * gxy
            vxx, vxy, vyy = gyy / gdet, -gxy / gdet, gxx / gdet
            mx, my = vxx * bx + vxy * by, vxy * bx + vyy * by
            sxx, sxy, syy = cxx + vxx, cxy + vxy, cyy + vyy
            dx, dy = x - mx, y - my
            cost = (syy * dx * dx - 2 * sxy * dx * dy + sxx * dy * dy) / (sxx * syy - sxy * sxy)
            if cost < best_cost:
                best, best_cost = g, cost
        if best < 0:
            best = len(state)
            state.append([0.0, 0.0, 0.0, 0.0, 0.0])
            sources.append(set())
            anchor.append(row)
        s = state[best]
        s[0] += ixx
        s[1] += ixy
        s[2] += iyy
        s[3] += ixx * x + ixy * y
        s[4] += ixy * x + iyy * y
        sources[best].add(src)
        group_of[row] = best
        out.append(anchor[best])
    return out
