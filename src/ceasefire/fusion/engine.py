"""The incremental fusion engine: reports in (any order, in chunks), incidents out.

The fused result is a function of the *set* of active reports (see ``cluster``): a new or
late report adds its gated edges and re-fuses only the components it touches; an amendment
deactivates the report it amends (and joins in its place); a withdrawal deactivates its target
and is itself no observation. Every affected incident is recomputed from its reports, so
re-adding a report already known (same ``(source, id)``) changes nothing: idempotent.

``add`` returns the incidents that changed and the ids of incidents that no longer exist, so a
store can persist only the difference.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace

import numpy as np

from ceasefire.fusion.cluster import (
    Gaussians,
    Timing,
    components,
    repeat_weight,
    split_components,
)
from ceasefire.fusion.counts import count_estimates, stream_totals
from ceasefire.fusion.gating import (
    N_FAMILY_CODES,
    Derived,
    candidate_pairs,
    derive,
    family_of_cell,
    gate,
    lane_of,
    sort_key,
)
from ceasefire.fusion.grading import grade_groups
from ceasefire.fusion.locate import locate_groups
from ceasefire.fusion.model import (
    CATEGORIES,
    WEAPONS,
    Ellipse,
    FusionBatch,
    FusionParams,
    Incident,
    IntArray,
)
from ceasefire.reports.model import WeaponClass

_UNKNOWN_WEAPON = WEAPONS.index(WeaponClass.UNKNOWN)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic collector while a chunk fuses.

    A chunk builds tens of thousands of key tuples, lists and ``Incident`` objects, none in a
    reference cycle (reference counting frees them); with a million reports held, each full
    collection the allocations trigger re-walks them all (measured: ~10 % of fusion time at
    300,000 reports, more beyond). The ingest pauses it for the same reason.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


@dataclass(frozen=True)
class FusionUpdate:
    """What one ``add`` changed: incidents (re)built, and ids of incidents that are gone."""

    changed: list[Incident]
    removed: list[str]


def _concat_batch(old: FusionBatch | None, new: FusionBatch) -> FusionBatch:
    if old is None:
        return new
    values: dict[str, object] = {}
    for f in fields(FusionBatch):
        a, b = getattr(old, f.name), getattr(new, f.name)
        values[f.name] = a + b if isinstance(a, list) else np.concatenate((a, b))
    return FusionBatch(**values)  # type: ignore[arg-type]


def _concat_derived(old: Derived | None, new: Derived) -> Derived:
    if old is None:
        return new
    return Derived(
        **{
            f.name: np.concatenate((getattr(old, f.name), getattr(new, f.name)))
            for f in fields(Derived)
        }
    )


class FusionEngine:
    """Holds every report seen and the current incidents; one writer, not thread-safe."""

    def __init__(self, params: FusionParams | None = None) -> None:
        self.params = params or FusionParams()
        self._rows: FusionBatch | None = None
        self._derived: Derived | None = None
        self._row_of: dict[tuple[str, str], int] = {}
        self._source_code: dict[str, int] = {}
        self._source = np.empty(0, dtype=np.int64)
        self._active = np.empty(0, dtype=bool)
        self._group = np.empty(0, dtype=np.int64)  # anchor row of each row's incident; -1 none
        self._comp = np.empty(0, dtype=np.int64)  # gate-graph component label of each row
        self._labels_used = 0
        self._edges_a = np.empty(0, dtype=np.int64)
        self._edges_b = np.empty(0, dtype=np.int64)
        self._edges_m = np.empty(0, dtype=np.float64)
        self._max_span = np.zeros((N_FAMILY_CODES, 2))  # per family code and lane
        self._incidents: dict[int, Incident] = {}

    def __len__(self) -> int:
        return len(self._row_of)

    def add(self, batch: FusionBatch) -> FusionUpdate:
        """Fuse ``batch`` (arrival order) into the current incidents."""
        with _cyclic_gc_paused():
            return self._add(batch)

    def _add(self, batch: FusionBatch) -> FusionUpdate:
        fresh = self._first_sightings(batch)
        if fresh.size == 0:
            return FusionUpdate([], [])
        batch = take(batch, fresh)
        n0 = len(self._row_of)
        n = len(batch)
        new_rows = np.arange(n0, n0 + n, dtype=np.int64)
        for k, key in enumerate(batch.keys):
            self._row_of[key] = n0 + k
        source = np.array(
            [self._source_code.setdefault(s, len(self._source_code)) for s, _ in batch.keys],
            dtype=np.int64,
        ).reshape(n)
        derived = derive(batch, self.params)
        self._rows = _concat_batch(self._rows, batch)
        self._derived = _concat_derived(self._derived, derived)
        self._source = np.concatenate((self._source, source))
        self._active = np.concatenate((self._active, ~batch.withdrawn))
        self._group = np.concatenate((self._group, np.full(n, -1, dtype=np.int64)))
        fresh_labels = np.arange(self._labels_used, self._labels_used + n, dtype=np.int64)
        self._comp = np.concatenate((self._comp, fresh_labels))
        self._labels_used += n
        deactivated = self._apply_amendments(batch, n0)
        fused = derived.cell >= 0
        np.maximum.at(
            self._max_span,
            (family_of_cell(derived.cell[fused]), lane_of(derived.t0[fused], derived.t1[fused])),
            (derived.t1 - derived.t0)[fused],
        )
        a, b = self._add_edges(new_rows[~batch.withdrawn])
        return self._refuse(np.concatenate((new_rows, a, b, deactivated)), deactivated)

    def _first_sightings(self, batch: FusionBatch) -> IntArray:
        """Indices of ``batch`` rows whose key is new (re-deliveries and repeats drop out)."""
        seen: set[tuple[str, str]] = set()
        keep = []
        for k, key in enumerate(batch.keys):
            if key not in self._row_of and key not in seen:
                seen.add(key)
                keep.append(k)
        return np.asarray(keep, dtype=np.int64)

    def _apply_amendments(self, batch: FusionBatch, n0: int) -> IntArray:
        """Deactivate the targets of amendments and withdrawals; returns those rows."""
        targets = []
        for k, amends in enumerate(batch.amends):
            if amends is None:
                continue
            row = self._row_of.get((batch.keys[k][0], amends))
            if row is not None and row != n0 + k and self._active[row]:
                self._active[row] = False
                targets.append(row)
        return np.asarray(targets, dtype=np.int64)

    def _add_edges(self, left: IntArray) -> tuple[IntArray, IntArray]:
        """Gate ``left`` against every row; keep the edges between active rows. Returns the
        new edges' ends."""
        rows, derived = self._rows, self._derived
        assert rows is not None
        assert derived is not None
        # only rows whose span ends after the earliest new start can overlap a new row
        reach = np.flatnonzero(derived.t1 >= derived.t0[left].min()) if left.size else left
        keys = sort_key(derived.cell[reach], derived.t0[reach], derived.t1[reach])
        by_key = np.argsort(keys, kind="stable")
        i, j = candidate_pairs(
            left, derived.cell, derived.t0, derived.t1, reach[by_key], keys[by_key], self._max_span
        )
        a, b, m = gate(
            i,
            j,
            lon=derived.lon,
            lat=derived.lat,
            derived=derived,
            source=self._source,
            observed=(rows.observed_at_s, rows.until_s),
            params=self.params,
        )
        live = self._active[a] & self._active[b]
        a, b, m = a[live], b[live], m[live]
        self._edges_a = np.concatenate((self._edges_a, a))
        self._edges_b = np.concatenate((self._edges_b, b))
        self._edges_m = np.concatenate((self._edges_m, m))
        return a, b

    def _refuse(self, touched: IntArray, deactivated: IntArray) -> FusionUpdate:
        """Re-split the components that ``touched`` rows (new rows, the ends of new edges,
        rows just deactivated) belonged to or now belong to.

        Components are kept per row and recomputed only over that region — whole old
        components plus the new rows, closed under the old edges — so a chunk costs what it
        touches, not the size of the history. Every piece of a component that lost a row is
        re-split, not only the incidents that held it: without that row the rest may gate
        cleanly into one incident where the split made several.
        """
        rows, derived = self._rows, self._derived
        assert rows is not None
        assert derived is not None
        total = len(rows)
        if deactivated.size:
            live = self._active[self._edges_a] & self._active[self._edges_b]
            self._edges_a, self._edges_b, self._edges_m = (
                self._edges_a[live],
                self._edges_b[live],
                self._edges_m[live],
            )
        pick = np.zeros(self._labels_used, dtype=bool)
        pick[self._comp[touched]] = True
        in_region = pick[self._comp]
        region = np.flatnonzero(in_region)
        edge_in = in_region[self._edges_a]
        a, b, m = self._edges_a[edge_in], self._edges_b[edge_in], self._edges_m[edge_in]
        local = components(region.size, np.searchsorted(region, a), np.searchsorted(region, b))
        self._comp[region] = self._labels_used + local
        self._labels_used += int(local.max()) + 1 if local.size else 0
        old_groups = np.unique(self._group[deactivated]) if deactivated.size else deactivated
        old_groups = old_groups[old_groups >= 0]
        members = region[self._active[region]]
        gone = set(np.unique(self._group[members]).tolist()) | set(old_groups.tolist())
        gone.discard(-1)
        self._group[deactivated] = -1
        if members.size == 0:
            return FusionUpdate([], self._forget(gone))
        rank = np.zeros(total, dtype=np.int64)
        keystr = np.array([f"{rows.keys[r][0]}\x1f{rows.keys[r][1]}" for r in members.tolist()])
        rank[members] = np.argsort(np.lexsort((keystr, rows.observed_at_s[members])))
        anchors = split_components(
            members,
            self._comp[members],
            a=a,
            b=b,
            m=m,
            source=self._source,
            stream=derived.stream,
            rank=rank,
            gauss=Gaussians(
                derived.lon,
                derived.lat,
                derived.cxx,
                derived.cxy,
                derived.cyy,
                t=(derived.t0 + derived.t1) / 2.0,
                tvar=np.maximum((derived.t1 - derived.t0) / 4.0, 1.0) ** 2,
            ),
            chi2=self.params.gate_chi2,
            refine_passes=self.params.refine_passes,
            timing=Timing(self.params.time_weight, self.params.refine_swaps),
        )
        self._group[members] = anchors
        changed = self._build(members, anchors)
        removed = self._forget(gone - set(np.unique(anchors).tolist()))
        return FusionUpdate(changed, removed)

    def _forget(self, anchors: set[int]) -> list[str]:
        removed = []
        for anchor in sorted(anchors):
            incident = self._incidents.pop(anchor, None)
            if incident is not None:
                removed.append(incident.id)
        return removed

    def _build(self, members: IntArray, anchors: IntArray) -> list[Incident]:
        """Summaries of the groups ``anchors`` (one per member row), vectorised, then objects."""
        rows, derived = self._rows, self._derived
        assert rows is not None
        assert derived is not None
        uniq, group = np.unique(anchors, return_inverse=True)
        g_n = uniq.size
        located = locate_groups(
            members,
            group,
            g_n,
            batch=rows,
            derived=derived,
            params=self.params,
            weight=repeat_weight(group, self._source[members], derived.stream[members]),
        )
        confidence, witnesses = grade_groups(
            group,
            g_n,
            source=self._source[members],
            source_type=rows.source_type[members],
            reliability=rows.reliability[members],
            credibility=rows.credibility[members],
        )
        sizes = np.bincount(group, minlength=g_n)
        starts = np.r_[0, np.cumsum(sizes)[:-1]]
        in_group = members[np.argsort(group, kind="stable")]
        first = np.minimum.reduceat(rows.observed_at_s[in_group], starts)
        until = np.maximum.reduceat(rows.until_s[in_group], starts)
        # lead report: best reliability, then credibility, then smallest uncertainty
        quality = np.lexsort(
            (
                np.nan_to_num(rows.uncertainty_m[members], nan=np.inf),
                rows.credibility[members],
                rows.reliability[members],
                group,
            )
        )
        lead_pos = quality[starts]
        lead = members[lead_pos]
        weapon = rows.weapon_class[members]
        stated = (weapon >= 0) & (weapon != _UNKNOWN_WEAPON)
        w_order = quality[stated[quality]]
        w_first = np.full(g_n, -1, dtype=np.int64)
        w_first[group[w_order][::-1]] = weapon[w_order][::-1]
        kept, totals = stream_totals(
            rows.count[members], self._source[members], derived.stream[members], group
        )
        low, best, high = count_estimates(totals, rows.source_type[members][kept], group[kept], g_n)
        n_codes = len(self._source_code) + 1
        pairs = np.unique(group * n_codes + self._source[members])  # distinct (group, source)
        n_sources = np.bincount(pairs // n_codes, minlength=g_n)
        keys = rows.keys
        in_order = [keys[r] for r in in_group.tolist()]
        bounds = np.r_[starts, in_group.size].tolist()
        keys_of = [in_order[bounds[g] : bounds[g + 1]] for g in range(g_n)]
        out = []
        single = sizes == 1
        lon = np.where(single, rows.lon[uniq], located.lon)
        lat = np.where(single, rows.lat[uniq], located.lat)
        major = np.where(single, rows.uncertainty_m[uniq], located.semi_major_m)
        minor = np.where(single, rows.uncertainty_m[uniq], located.semi_minor_m)
        orientation = np.where(single, 0.0, located.orientation_deg)
        weapon_of = [WEAPONS[w] if w >= 0 else None for w in w_first.tolist()]
        columns = zip(
            uniq.tolist(),
            rows.category[lead].tolist(),
            weapon_of,
            first.tolist(),
            until.tolist(),
            lon.tolist(),
            lat.tolist(),
            major.tolist(),
            minor.tolist(),
            orientation.tolist(),
            low.tolist(),
            best.tolist(),
            high.tolist(),
            n_sources.tolist(),
            witnesses.tolist(),
            located.bearing_observers.tolist(),
            confidence.tolist(),
            keys_of,
            strict=True,
        )
        for (
            anchor,
            cat,
            weapon_class,
            t0,
            t1,
            x,
            y,
            a,
            b,
            phi,
            lo,
            mid,
            hi,
            ns,
            ni,
            nb,
            p,
            ks,
        ) in columns:
            key = rows.keys[anchor]
            incident = Incident(
                id=f"{key[0]}/{key[1]}",
                report_keys=tuple(sorted(ks)),
                observed_at_s=t0,
                observed_until_s=t1,
                category=CATEGORIES[cat],
                weapon_class=weapon_class,
                lon=x,
                lat=y,
                uncertainty_m=a,
                ellipse=Ellipse(a, b, phi),
                count_low=lo,
                count_best=mid,
                count_high=hi,
                sources=ns,
                independent_sources=ni,
                bearing_observers=nb,
                confidence=p,
            )
            self._incidents[anchor] = incident
            out.append(incident)
        return out

    def incidents(self) -> list[Incident]:
        """Every current incident, ordered by time then id."""
        return sorted(self._incidents.values(), key=lambda i: (i.observed_at_s, i.id))

    def component_labels(self) -> IntArray:
        """Gate-graph component of every row, in arrival order (a row amended or withdrawn
        since is a component of its own): windowed re-fusion checks that the components it
        re-fused are whole (``ceasefire.fusion.window``)."""
        return self._comp.copy()

    def assignment(self) -> dict[tuple[str, str], str]:
        """Incident id of every active observation report, by ``(source, id)``."""
        return {key: inc.id for inc in self._incidents.values() for key in inc.report_keys}


def take(batch: FusionBatch, index: IntArray) -> FusionBatch:
    """The rows ``index`` of ``batch`` (e.g. one arrival chunk), as a batch."""
    if index.size == len(batch):
        return batch
    values: dict[str, object] = {}
    for f in fields(FusionBatch):
        v = getattr(batch, f.name)
        values[f.name] = [v[i] for i in index.tolist()] if isinstance(v, list) else v[index]
    return replace(batch, **values)  # type: ignore[arg-type]
