"""Association: gated pairs → incidents, independent of the order reports arrived in.

1. Connected components of the gate graph (``scipy.sparse.csgraph``): a set function, so no
   arrival order can change it.
2. A component is accepted as one incident when it is *clean*: every pair of its reports
   gates (a clique) and no source appears twice in it (two reports of one source at one time
   are two events unless one ``amends`` the other, and an amended report is no longer active)
   — except a stream's (``model.STREAM_SOURCE_TYPES``): its consecutive ticks are one event,
   and weigh together as one report (``repeat_weight``), not as n independent fixes.
3. Otherwise (a burst of nearby events chained together, or one post reporting two of them)
   it is split greedily: reports in canonical order (observed time, then ``(source, id)``)
   join the existing group, among those holding one of their gate neighbours and none of
   their source (a stream's tick: or the tick before it) and within the gate of its fused
   position, the one closest in space and time (the spatial Mahalanobis distance plus the
   time difference's times ``Timing.weight``, against the mean of the group's span
   centres); else they start a group. Time only ranks the candidates: in a burst, a post's
   report of the second shell gates with both groups, and joins the one it follows, not the
   one with more reports. Canonical
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
    """Every row's position (degrees) and its covariance in local metres (east, north); the
    middle of its gate span (epoch s) and that span's variance (s^2, half-width = 2 sigma)."""

    lon: FloatArray
    lat: FloatArray
    cxx: FloatArray
    cxy: FloatArray
    cyy: FloatArray
    t: FloatArray
    tvar: FloatArray


def repeat_weight(group: IntArray, source: IntArray, stream: NDArray[np.bool_]) -> FloatArray:
    """Weight of each row in its group's position: ``1 / n`` for the ``n`` ticks of one
    stream in one group, 1 for every other row. A stream's ticks share one observer and one
    assumed range band: counted as n independent reports they would shrink the group's
    along-ray variance n-fold on a range nobody measured.

    >>> repeat_weight(np.array([0, 0, 0, 1]), np.array([7, 7, 8, 7]), np.array([1, 1, 0, 1], bool))
    array([0.5, 0.5, 1. , 1. ])
    """
    if group.size == 0:
        return np.ones(0)
    _, key, n = np.unique(
        np.stack((group, source)), axis=1, return_inverse=True, return_counts=True
    )
    return np.where(stream, 1.0 / n[key.ravel()], 1.0)


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
    stream: NDArray[np.bool_],
    rank: IntArray,
    gauss: Gaussians,
    chi2: float,
    refine_passes: int = 0,
    timing: Timing | None = None,
) -> IntArray:
    """Final group of each of ``rows`` (given as the group's canonically first row).

    ``labels`` are the component labels of ``rows``; ``a``/``b``/``m`` the gated edges among
    them (any superset is fine: edges leaving ``rows`` are ignored); ``rank`` is each row's
    canonical position (smaller = first), indexed by row; ``stream`` marks rows whose source
    reports as a stream, indexed by row; ``refine_passes`` bounds the passes of ``_refine``
    over each split component (0: the greedy split alone); ``timing`` how the split weighs
    time (``Timing``; default: as much as space, no swaps).
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
    same &= ~stream[rows][src_sorted][1:]
    repeated = np.zeros(starts.size, dtype=bool)
    repeated[comp_of[src_sorted][1:][same]] = True
    weight = repeat_weight(comp_of, source[rows], stream[rows])
    consistent = clique | _consistent(rows, comp_of, starts.size, gauss, chi2, weight)
    timing = timing or Timing()
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
    table = _table(rows, starts, sizes, source, gauss, stream)
    for c in dirty.tolist():
        lo = int(starts[c])
        hi = lo + int(sizes[c])
        group[lo:hi] = _greedy(table, lo, hi, neighbours, (chi2, timing), refine_passes)
    return _unsort(group, order)


def _consistent(  # noqa: PLR0917 - the component's rows and how to weigh them
    rows: IntArray,
    comp_of: IntArray,
    n_comp: int,
    gauss: Gaussians,
    chi2: float,
    weight: FloatArray,
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

    wxx, wxy, wyy = ixx * weight, ixy * weight, iyy * weight
    gxx, gxy, gyy = total(wxx), total(wxy), total(wyy)
    bx, by = total(wxx * x + wxy * y), total(wxy * x + wyy * y)
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
class Timing:
    """How the split weighs time: ``weight`` multiplies the time term of a report's cost
    against a group (1: a time difference of one sigma costs as much as one unit of the
    spatial Mahalanobis distance); ``swaps``: the refinement also exchanges two reports of
    one source between groups (``_refine``)."""

    weight: float = 1.0
    swaps: bool = False


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
    stream: list[bool]
    t: list[float]
    tvar: list[float]


def _table(  # noqa: PLR0917 - one column of the table each
    rows: IntArray,
    starts: IntArray,
    sizes: IntArray,
    source: IntArray,
    gauss: Gaussians,
    stream: NDArray[np.bool_],
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
        stream=stream[rows].tolist(),
        t=gauss.t[rows].tolist(),
        tvar=gauss.tvar[rows].tolist(),
    )


def _greedy(  # noqa: PLR0917 - the component, its neighbours and the gate
    table: _Table,
    lo: int,
    hi: int,
    neighbours: Neighbours,
    gate: tuple[float, Timing],
    refine_passes: int,
) -> list[int]:
    """Split one component (rows ``lo:hi`` of ``table``, in canonical order) like a tracker
    associates measurements: each report joins the group, among those holding one of its
    gate neighbours and none of its source, whose fused position it is closest to
    (Mahalanobis under the sum of both covariances), if within ``chi2``; otherwise it starts
    a group. A stream's tick may also join a group holding its source when it gates with one
    of that source's ticks there (the stream goes on); it then adds no information, as
    ``repeat_weight`` would have it. Returns each member's group anchor (the group's first
    member)."""
    chi2, timing = gate
    group_of: dict[int, int] = {}
    state: list[list[float]] = []  # per group: Ixx, Ixy, Iyy, bx, by, 1/var t, t/var t
    sources: list[set[int]] = []
    anchor: list[int] = []
    out = []
    source_of = dict(zip(table.row[lo:hi], table.source[lo:hi], strict=True))
    for k in range(lo, hi):
        row, src = table.row[k], table.source[k]
        ixx, ixy, iyy = table.ixx[k], table.ixy[k], table.iyy[k]
        x, y = table.x[k], table.y[k]
        t, tvar = table.t[k], table.tvar[k]
        near = [o for o in neighbours.of(k) if o in group_of]
        candidates = {group_of[o] for o in near}
        # groups where this stream goes on: they hold a gate neighbour of its own source
        going_on = {group_of[o] for o in near if source_of[o] == src} if table.stream[k] else set()
        best, best_cost = -1, np.inf
        det = ixx * iyy - ixy * ixy
        cxx, cxy, cyy = iyy / det, -ixy / det, ixx / det
        for g in candidates:
            if src in sources[g] and g not in going_on:
                continue
            gxx, gxy, gyy, bx, by, it, bt = state[g]
            gdet = gxx * gyy - gxy * gxy
            vxx, vxy, vyy = gyy / gdet, -gxy / gdet, gxx / gdet
            mx, my = vxx * bx + vxy * by, vxy * bx + vyy * by
            sxx, sxy, syy = cxx + vxx, cxy + vxy, cyy + vyy
            dx, dy = x - mx, y - my
            cost = (syy * dx * dx - 2 * sxy * dx * dy + sxx * dy * dy) / (sxx * syy - sxy * sxy)
            if cost > chi2:
                continue
            if g not in going_on:  # a stream goes on in time: rank others by time too
                cost += timing.weight * (t - bt / it) ** 2 / (tvar + 1.0 / it)
            if cost < best_cost:
                best, best_cost = g, cost
        if best < 0:
            best = len(state)
            state.append([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
            sources.append(set())
            anchor.append(row)
        s = state[best]
        if src in sources[best]:  # a stream's next tick: no new information
            group_of[row] = best
            out.append(anchor[best])
            continue
        s[0] += ixx
        s[1] += ixy
        s[2] += iyy
        s[3] += ixx * x + ixy * y
        s[4] += ixy * x + iyy * y
        s[5] += 1.0 / tvar
        s[6] += t / tvar
        sources[best].add(src)
        group_of[row] = best
        out.append(anchor[best])
    if refine_passes and len(state) > 1:
        gidx = [group_of[table.row[k]] for k in range(lo, hi)]
        span = _Span(table, lo, hi, neighbours)
        gidx = _refine(span, gate, (gidx, state, sources), refine_passes, timing.swaps)
        first: dict[int, int] = {}
        for k, g in enumerate(gidx):
            first.setdefault(g, table.row[lo + k])
        out = [first[g] for g in gidx]
    return out


@dataclass(frozen=True)
class _Span:
    """One component's rows ``lo:hi`` of ``table`` and their gate neighbours."""

    table: _Table
    lo: int
    hi: int
    neighbours: Neighbours


def _refine(
    span: _Span,
    gate: tuple[float, Timing],
    split: tuple[list[int], list[list[float]], list[set[int]]],
    passes: int,
    swaps: bool = False,
) -> list[int]:
    """Improve the greedy split by moving single reports between its groups while that
    lowers their cost. ``split`` is the greedy's: the group of each row of ``span``, each
    group's information sums and its sources (updated in place).

    The greedy decides each report once, in time order, against groups that later reports
    have not yet shaped: in a burst, the first report of the second event may join the
    first event's group because that group is all there is, and everything after follows
    the wrong start (issue 18: on the minsk-2015 surge most merged events came out of split
    components). Here each report in turn is taken out of its group and put back where its
    cost is lowest — the spatial Mahalanobis distance to the group's fused position without
    it (under both covariances, within ``chi2``) plus the time term, as in the greedy —
    among its own group and the groups holding one of its gate neighbours and not its
    source; in canonical order, for at most ``passes`` passes or until nothing moves. A
    report alone in its group stays (no merge the greedy refused), a stream's tick stays
    with its stream. Deterministic given the canonical order, so still a function of the
    set of reports. A move lowers the mover's cost but shifts both groups' positions, so
    the passes are bounded rather than run to a fixed point.
    """
    table, lo, hi, neighbours = span.table, span.lo, span.hi, span.neighbours
    chi2, timing = gate
    gidx, st, srcs = split
    members = [0] * len(st)
    for g in gidx:
        members[g] += 1
    local = {table.row[k]: k - lo for k in range(lo, hi)}
    near = [[local[o] for o in neighbours.of(k) if o in local] for k in range(lo, hi)]

    def shift(g: int, k: int, sign: float) -> None:
        ixx, ixy, iyy, x, y = table.ixx[k], table.ixy[k], table.iyy[k], table.x[k], table.y[k]
        s = st[g]
        s[0] += sign * ixx
        s[1] += sign * ixy
        s[2] += sign * iyy
        s[3] += sign * (ixx * x + ixy * y)
        s[4] += sign * (ixy * x + iyy * y)
        s[5] += sign / table.tvar[k]
        s[6] += sign * table.t[k] / table.tvar[k]
        members[g] += int(sign)

    def cost(g: int, k: int) -> float:
        gxx, gxy, gyy, bx, by, it, bt = st[g]
        gdet = gxx * gyy - gxy * gxy
        if gdet <= 0 or it <= 0:
            return np.inf
        vxx, vxy, vyy = gyy / gdet, -gxy / gdet, gxx / gdet
        mx, my = vxx * bx + vxy * by, vxy * bx + vyy * by
        det = table.ixx[k] * table.iyy[k] - table.ixy[k] ** 2
        cxx, cxy, cyy = table.iyy[k] / det, -table.ixy[k] / det, table.ixx[k] / det
        sxx, sxy, syy = cxx + vxx, cxy + vxy, cyy + vyy
        dx, dy = table.x[k] - mx, table.y[k] - my
        m = (syy * dx * dx - 2 * sxy * dx * dy + sxx * dy * dy) / (sxx * syy - sxy * sxy)
        if m > chi2:
            return np.inf
        return float(m + timing.weight * (table.t[k] - bt / it) ** 2 / (table.tvar[k] + 1.0 / it))

    def swap(i: int) -> bool:
        """Exchange report ``i`` with a report of its source in another group when that
        lowers their summed cost: one post reporting two shells of a burst, each report in
        the other's group, is a mistake no single move can undo (a group holds a source
        once)."""
        k, g = lo + i, gidx[i]
        for j in twins[i]:
            h, kj = gidx[j], lo + j
            if h == g or members[g] < 2 or members[h] < 2:
                continue
            shift(g, k, -1.0)
            shift(h, kj, -1.0)
            if cost(g, kj) + cost(h, k) < cost(g, k) + cost(h, kj) - 1e-9:
                shift(g, kj, 1.0)
                shift(h, k, 1.0)
                gidx[i], gidx[j] = h, g
                return True
            shift(g, k, 1.0)
            shift(h, kj, 1.0)
        return False

    by_source: dict[int, list[int]] = {}
    for i in range(hi - lo):
        if swaps and not table.stream[lo + i]:
            by_source.setdefault(table.source[lo + i], []).append(i)
    twins = [[j for j in by_source.get(table.source[lo + i], []) if j != i] for i in range(hi - lo)]
    for _ in range(passes):
        moved = False
        for i in range(hi - lo):
            k = lo + i
            g = gidx[i]
            if members[g] < 2 or table.stream[k]:
                continue
            src = table.source[k]
            others = {gidx[j] for j in near[i]}
            others.discard(g)
            others = {h for h in others if src not in srcs[h]}
            best = g
            if others:
                shift(g, k, -1.0)
                best_cost = cost(g, k)
                for h in sorted(others):
                    c = cost(h, k)
                    if c < best_cost - 1e-9:
                        best, best_cost = h, c
                shift(best, k, 1.0)
            if best != g:
                srcs[g].discard(src)
                srcs[best].add(src)
                gidx[i] = best
                moved = True
            elif twins[i] and swap(i):
                moved = True
        if not moved:
            break
    return gidx
