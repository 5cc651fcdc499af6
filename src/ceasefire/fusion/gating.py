"""The gate: which pairs of reports may describe one event (space, time, category, source).

Space: each report's position error is a 2-D Gaussian in local metres (east, north). A point
report's is a circle of sigma = ``uncertainty_m`` / 2 (stated radii are read as ~95 %). A
bearing report's is elongated: along the bearing the range band (uniform, sigma = width /
sqrt 12) plus a judged-range error; across it the bearing error (stated half-width = 2 sigma)
times the range. Two reports gate when the squared Mahalanobis distance of their positions
under the *sum* of their covariances is below ``FusionParams.gate_chi2`` — no fixed radius:
two UAV fixes 200 m apart are two events, two bearings 3 km apart may be one.

Time: each report spans ``observed_at``..``observed_until`` widened by ``time_sigmas`` times its
source type's time precision, and forwards by its family's persistence; spans must overlap.

Candidates are found without an all-pairs loop: rows are sorted by (family, grid cell, start
time) as one int64 key, and each new row searches its own and the 8 neighbouring cells over
the time range that can overlap (``np.searchsorted``), all rows at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from ceasefire.fusion.model import (
    AFTERMATH,
    AFTERMATH_PERSISTENCE_S,
    CATEGORIES,
    FAMILY_OF,
    FAMILY_PERSISTENCE_S,
    IMAGERY_LOOKBACK_S,
    SOURCE_TYPES,
    STREAM_GAP_S,
    STREAM_SOURCE_TYPES,
    TIME_PRECISION_S,
    WEAPON_GROUPS,
    WEAPONS,
    Family,
    FloatArray,
    FusionBatch,
    FusionParams,
    IntArray,
)
from ceasefire.reports.model import (
    DEFAULT_BEARING_ERROR_DEG,
    FIRE_CATEGORIES,
    Category,
    LocationForm,
)

#: metres per degree of latitude, and of longitude at the equator (spherical, ~0.3 % at 48 N:
#: far below any report's uncertainty over the few km fusion compares).
M_PER_DEG_LAT: Final = 110_574.0
M_PER_DEG_LON: Final = 111_320.0
#: unbanded bearings: heard or seen between 0.5 and 15 km (acoustic arrays reach 15 km)
FUSION_RANGE_MIN_M: Final = 500.0
FUSION_RANGE_MAX_M: Final = 15_000.0
_BEARING: Final = list(LocationForm).index(LocationForm.BEARING)
_FAMILIES: Final = list(Family)
_CELL_X: Final = 1 << 12
_CELL_Y: Final = 1 << 11
_TIME_BITS: Final = 1 << 32  # epoch seconds fit until 2106
#: number of family codes (a cell id's top part): the families, then one per category
N_FAMILY_CODES: Final = len(list(Family)) + len(list(Category))

FAMILY_CODE: Final = np.array(
    [
        _FAMILIES.index(FAMILY_OF[c])
        if FAMILY_OF.get(c) in {Family.INDIRECT_FIRE, Family.SMALL_ARMS_FIRE}
        else len(_FAMILIES) + i  # presence and other categories: each its own
        for i, c in enumerate(CATEGORIES)
    ],
    dtype=np.int64,
)
PERSISTENCE_S: Final = np.array(
    [
        AFTERMATH_PERSISTENCE_S
        if c in AFTERMATH
        else FAMILY_PERSISTENCE_S[FAMILY_OF.get(c, Family.OTHER)]
        for c in CATEGORIES
    ]
)
PRECISION_S: Final = np.array([TIME_PRECISION_S[s] for s in SOURCE_TYPES])
#: per (source type, category): how far an imagery fix of fire reaches back
LOOKBACK_S: Final = np.array(
    [
        [IMAGERY_LOOKBACK_S.get(s, 0.0) if c in FIRE_CATEGORIES else 0.0 for c in CATEGORIES]
        for s in SOURCE_TYPES
    ]
)
STREAM_CODES: Final = np.array([s in STREAM_SOURCE_TYPES for s in SOURCE_TYPES])


def _weapon_groups() -> NDArray[np.int64]:
    """Group code per weapon class index, plus -1 at the end for "not stated" / unknown."""
    codes = np.arange(len(WEAPONS), dtype=np.int64) + len(WEAPON_GROUPS)
    for g, group in enumerate(WEAPON_GROUPS):
        for w in group:
            codes[WEAPONS.index(w)] = g
    codes[WEAPONS.index(WEAPONS[-1])] = -1  # WeaponClass.UNKNOWN is compatible with anything
    return np.append(codes, -1)


WEAPON_GROUP: Final = _weapon_groups()


@dataclass(frozen=True)
class Derived:
    """Per-row values the gate needs, computed once when a row arrives."""

    lon: FloatArray
    lat: FloatArray
    t0: FloatArray
    t1: FloatArray
    cell: IntArray  # family * _CELL_X * _CELL_Y + cx * _CELL_Y + cy; -1: never fuses spatially
    weapon_group: IntArray
    cxx: FloatArray
    cxy: FloatArray
    cyy: FloatArray
    stream: NDArray[np.bool_]  # the source reports as a stream (``STREAM_SOURCE_TYPES``)


def time_spans(batch: FusionBatch, params: FusionParams) -> tuple[FloatArray, FloatArray]:
    """Each row's gate span ``t0``..``t1`` (epoch s): two rows may gate only if theirs overlap
    (closed intervals). The one definition, shared by the gate and by windowed re-fusion.
    An imagery fix of fire reaches back ``IMAGERY_LOOKBACK_S`` further."""
    slack = params.time_sigmas * PRECISION_S[batch.source_type]
    back = LOOKBACK_S[batch.source_type, batch.category]
    return (
        batch.observed_at_s - slack - back,
        batch.until_s + slack + PERSISTENCE_S[batch.category],
    )


def span_reach_s(params: FusionParams) -> tuple[float, float]:
    """``(before_s, after_s)``: the most a span reaches before ``observed_at`` and after
    ``observed_until`` (the largest time slack; the slack plus the longest persistence)."""
    slack = params.time_sigmas * float(PRECISION_S.max())
    return slack + float(LOOKBACK_S.max()), slack + float(PERSISTENCE_S.max())


def derive(batch: FusionBatch, params: FusionParams) -> Derived:
    """Time span, grid cell, weapon group and position covariance (m^2) of every row."""
    t0, t1 = time_spans(batch, params)
    sigma = batch.uncertainty_m / 2.0
    cxx, cxy, cyy = sigma**2, np.zeros(len(batch)), sigma**2
    lon, lat = batch.lon.copy(), batch.lat.copy()
    bearing = batch.location_form == _BEARING
    if bearing.any():
        lo, hi = _band(batch.distance_min_m[bearing], batch.distance_max_m[bearing])
        mid = (lo + hi) / 2.0
        # re-place along the ray at the middle of fusion's (wider) default band
        beta = np.radians(batch.bearing_deg[bearing])
        o_lat = batch.observer_lat[bearing]
        lat[bearing] = o_lat + mid * np.cos(beta) / M_PER_DEG_LAT
        lon[bearing] = batch.observer_lon[bearing] + mid * np.sin(beta) / (
            M_PER_DEG_LON * np.cos(np.radians(o_lat))
        )
        error = batch.bearing_error_deg[bearing]
        sigma_theta = np.radians(np.where(np.isnan(error), DEFAULT_BEARING_ERROR_DEG, error)) / 2
        along = (hi - lo) ** 2 / 12.0 + (params.range_sigma * mid) ** 2
        across = (np.maximum(mid, 1.0) * np.tan(np.maximum(sigma_theta, 1e-3))) ** 2
        ue, un = np.sin(beta), np.cos(beta)
        cxx[bearing] = along * ue * ue + across * un * un
        cxy[bearing] = (along - across) * ue * un
        cyy[bearing] = along * un * un + across * ue * ue
    fusable = np.isfinite(lon) & (batch.uncertainty_m <= params.max_uncertainty_m)
    cx = np.floor(np.nan_to_num(lon) / params.cell_deg).astype(np.int64) + _CELL_X // 2
    cy = np.floor(np.nan_to_num(lat) / params.cell_deg).astype(np.int64) + _CELL_Y // 2
    cell = (FAMILY_CODE[batch.category] * _CELL_X + cx) * _CELL_Y + cy
    return Derived(
        lon=lon,
        lat=lat,
        t0=t0,
        t1=t1,
        cell=np.where(fusable, cell, -1),
        weapon_group=WEAPON_GROUP[batch.weapon_class],
        cxx=cxx,
        cxy=cxy,
        cyy=cyy,
        stream=STREAM_CODES[batch.source_type],
    )


def _band(dmin: FloatArray, dmax: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Range band, with ``FUSION_RANGE_*_M`` for missing ends.

    Wider than placement's default (``locate_by_bearing``: 0.5-8 km, a radius meant to place
    one report in zones): fusion must not refuse a far post's or an acoustic array's unbanded
    bearing to artillery heard 12 km away, and an intersection fixes the range anyway.
    """
    no_min, no_max = np.isnan(dmin), np.isnan(dmax)
    span = FUSION_RANGE_MAX_M - FUSION_RANGE_MIN_M
    lo = np.where(no_min, np.where(no_max, FUSION_RANGE_MIN_M, 0.0), np.maximum(dmin, 0.0))
    hi = np.where(no_max, np.where(no_min, FUSION_RANGE_MAX_M, lo + span), dmax)
    return np.minimum(lo, hi), np.maximum(lo, hi)


#: Rows whose span is longer than this (a presence sighting, a vague feed) are searched in a
#: lane of their own: a short row's search then looks back only as far as the longest *short*
#: span of its family, not the longest of all (99 % of fire reports span under 40 minutes, a
#: few feeds two hours; measured on paris-2026). Speed only: every overlap is still found.
SHORT_SPAN_S: Final = 2400.0
_LANE: Final = N_FAMILY_CODES * _CELL_X * _CELL_Y  # cell ids of the long lane start here
assert 2 * _LANE * _TIME_BITS < 2**63  # the search key fits in int64


def lane_of(t0: FloatArray, t1: FloatArray) -> IntArray:
    """0 for rows spanning at most ``SHORT_SPAN_S``, 1 for longer ones."""
    return (t1 - t0 > SHORT_SPAN_S).astype(np.int64)


def sort_key(cell: IntArray, t0: FloatArray, t1: FloatArray) -> IntArray:
    """The int64 search key: lane and cell, then start second (rows that never fuse first)."""
    lane_cell = cell + lane_of(t0, t1) * _LANE
    return np.where(cell >= 0, lane_cell * _TIME_BITS + np.floor(t0).astype(np.int64), -1)


_NEIGHBOURS: Final = np.array(
    [dx * _CELL_Y + dy for dx in (-1, 0, 1) for dy in (-1, 0, 1)], dtype=np.int64
)


def candidate_pairs(  # noqa: PLR0917 - one array per column of the search
    left: IntArray,
    cell: IntArray,
    t0: FloatArray,
    t1: FloatArray,
    order: IntArray,
    sorted_keys: IntArray,
    max_span_s: FloatArray,
) -> tuple[IntArray, IntArray]:
    """Pairs ``(i, j)``, ``i`` in ``left``, ``j`` any row whose span overlaps and whose cell
    neighbours ``i``'s, each pair once; ``order``/``sorted_keys`` index all rows by
    ``sort_key``.

    ``max_span_s[f, lane]`` bounds ``t1 - t0`` of every row of family code ``f`` in that
    lane (``lane_of``), so the search starts early enough without scanning a presence
    sighting's 12 hours, or a feed's two, for every shot.
    """
    left = left[cell[left] >= 0]
    if left.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    family = family_of_cell(cell[left])
    near = cell[left][:, None] + _NEIGHBOURS[None, :]
    base = np.concatenate((near, near + _LANE), axis=1)  # 9 cells x 2 lanes
    span = np.repeat(max_span_s[family], len(_NEIGHBOURS), axis=1)
    lo_t = np.floor(t0[left][:, None] - span).astype(np.int64) - 1
    hi_t = np.ceil(t1[left]).astype(np.int64) + 1
    start = np.searchsorted(sorted_keys, base * _TIME_BITS + lo_t, side="left")
    stop = np.searchsorted(sorted_keys, base * _TIME_BITS + hi_t[:, None], side="right")
    counts = (stop - start).ravel()
    total = int(counts.sum())
    i = np.repeat(np.repeat(left, base.shape[1]), counts)
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    j = order[np.repeat(start.ravel(), counts) + offsets]
    is_left = np.zeros(cell.size, dtype=bool)
    is_left[left] = True
    # a pair of two left rows is found from both ends: keep it once
    keep = (~is_left[j] | (j < i)) & (t0[j] <= t1[i]) & (t1[j] >= t0[i])
    return i[keep], j[keep]


def family_of_cell(cell: IntArray) -> IntArray:
    """The family code inside a cell id (see ``Derived.cell``)."""
    return cell // (_CELL_X * _CELL_Y)


def gate(
    i: IntArray,
    j: IntArray,
    *,
    lon: FloatArray,
    lat: FloatArray,
    derived: Derived,
    source: IntArray,
    observed: tuple[FloatArray, FloatArray],
    params: FusionParams,
) -> tuple[IntArray, IntArray, FloatArray]:
    """The pairs that pass the gate, each with ``a < b``, and their squared Mahalanobis
    distance (compatible weapon groups, positions consistent; different sources, or
    consecutive ticks of one stream: two instants, at most ``STREAM_GAP_S`` apart).
    ``observed``: every row's ``(observed_at, until)``."""
    a, b = np.minimum(i, j), np.maximum(i, j)
    wa, wb = derived.weapon_group[a], derived.weapon_group[b]
    start, until = observed
    instants = (until[a] <= start[a]) & (until[b] <= start[b])
    ticks = derived.stream[a] & instants & (np.abs(start[a] - start[b]) <= STREAM_GAP_S)
    ok = ((source[a] != source[b]) | ticks) & ((wa < 0) | (wb < 0) | (wa == wb))
    a, b = a[ok], b[ok]
    m = mahalanobis2(a, b, lon=lon, lat=lat, derived=derived)
    ok = m <= params.gate_chi2
    return a[ok], b[ok], m[ok]


def mahalanobis2(
    a: IntArray, b: IntArray, *, lon: FloatArray, lat: FloatArray, derived: Derived
) -> FloatArray:
    """Squared Mahalanobis distance between rows ``a`` and ``b`` under their summed covariance."""
    mean_lat = np.radians((lat[a] + lat[b]) / 2.0)
    dx = (lon[b] - lon[a]) * M_PER_DEG_LON * np.cos(mean_lat)
    dy = (lat[b] - lat[a]) * M_PER_DEG_LAT
    sxx = derived.cxx[a] + derived.cxx[b]
    sxy = derived.cxy[a] + derived.cxy[b]
    syy = derived.cyy[a] + derived.cyy[b]
    det = np.maximum(sxx * syy - sxy * sxy, 1e-6)
    return (syy * dx * dx - 2.0 * sxy * dx * dy + sxx * dy * dy) / det
