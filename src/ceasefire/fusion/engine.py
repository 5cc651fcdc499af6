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

from dataclasses import dataclass, fields, replace

import numpy as np

from ceasefire.fusion.cluster import Gaussians, components, split_components
from ceasefire.fusion.gating import (
    N_FAMILY_CODES,
    Derived,
    candidate_pairs,
    derive,
    family_of_cell,
    gate,
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
        self._edges_a = np.empty(0, dtype=np.int64)
        self._edges_b = np.empty(0, dtype=np.int64)
        self._edges_m = np.empty(0, dtype=np.float64)
        self._max_span = np.zeros(N_FAMILY_CODES)
        self._incidents: dict[int, Incident] = {}

    def __len__(self) -> int:
        return len(self._row_of)

    def add(self, batch: FusionBatch) -> FusionUpdate:
        """Fuse ``batch`` (arrival order) into the current incidents."""
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
        deactivated = self._apply_amendments(batch, n0)
        fused = derived.cell >= 0
        np.maximum.at(
            self._max_span, family_of_cell(derived.cell[fused]), (derived.t1 - derived.t0)[fused]
        )
        self._add_edges(new_rows[~batch.withdrawn])
        return self._refuse(new_rows, deactivated)

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

    def _add_edges(self, left: IntArray) -> None:
        rows, derived = self._rows, self._derived
        assert rows is not None
        assert derived is not None
        keys = sort_key(derived.cell, derived.t0)
        order = np.argsort(keys, kind="stable")
        i, j = candidate_pairs(
            left, derived.cell, derived.t0, derived.t1, order, keys[order], self._max_span
        )
        a, b, m = gate(
            i,
            j,
            lon=derived.lon,
            lat=derived.lat,
            derived=derived,
            source=self._source,
            params=self.params,
        )
        self._edges_a = np.concatenate((self._edges_a, a))
        self._edges_b = np.concatenate((self._edges_b, b))
        self._edges_m = np.concatenate((self._edges_m, m))

    def _refuse(self, new_rows: IntArray, deactivated: IntArray) -> FusionUpdate:
        rows, derived = self._rows, self._derived
        assert rows is not None
        assert derived is not None
        total = len(rows)
        live = self._active[self._edges_a] & self._active[self._edges_b]
        self._edges_a, self._edges_b, self._edges_m = (
            self._edges_a[live],
            self._edges_b[live],
            self._edges_m[live],
        )
        labels = components(total, self._edges_a, self._edges_b)
        old_groups = np.unique(self._group[deactivated]) if deactivated.size else deactivated
        old_groups = old_groups[old_groups >= 0]
        touched = np.concatenate((new_rows, np.flatnonzero(np.isin(self._group, old_groups))))
        touched = touched[self._active[touched]]
        affected = np.isin(labels, np.unique(labels[touched])) & self._active
        members = np.flatnonzero(affected)
        gone = set(np.unique(self._group[members]).tolist()) | set(old_groups.tolist())
        gone.discard(-1)
        self._group[deactivated] = -1
        if members.size == 0:
            return FusionUpdate([], self._forget(gone))
        edge_in = affected[self._edges_a]
        rank = np.zeros(total, dtype=np.int64)
        keystr = np.array([f"{rows.keys[r][0]}\x1f{rows.keys[r][1]}" for r in members.tolist()])
        rank[members] = np.argsort(np.lexsort((keystr, rows.observed_at_s[members])))
        anchors = split_components(
            members,
            labels[members],
            a=self._edges_a[edge_in],
            b=self._edges_b[edge_in],
            m=self._edges_m[edge_in],
            source=self._source,
            rank=rank,
            gauss=Gaussians(derived.lon, derived.lat, derived.cxx, derived.cxy, derived.cyy),
            chi2=self.params.gate_chi2,
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
            members, group, g_n, batch=rows, derived=derived, params=self.params
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
        first = np.minimum.reduceat(
            rows.observed_at_s[members][np.argsort(group)], np.r_[0, np.cumsum(sizes)[:-1]]
        )
        # lead report: best reliability, then credibility, then smallest uncertainty
        quality = np.lexsort(
            (
                np.nan_to_num(rows.uncertainty_m[members], nan=np.inf),
                rows.credibility[members],
                rows.reliability[members],
                group,
            )
        )
        lead_pos = quality[np.r_[0, np.cumsum(sizes)[:-1]]]
        lead = members[lead_pos]
        weapon = rows.weapon_class[members]
        stated = (weapon >= 0) & (weapon != _UNKNOWN_WEAPON)
        w_order = quality[stated[quality]]
        w_first = np.full(g_n, -1, dtype=np.int64)
        w_first[group[w_order][::-1]] = weapon[w_order][::-1]
        counts = rows.count[members]
        by_group = np.lexsort((counts, group))
        sorted_counts = counts[by_group]
        starts = np.r_[0, np.cumsum(sizes)[:-1]]
        low = sorted_counts[starts]
        high = sorted_counts[starts + sizes - 1]
        best = sorted_counts[starts + (sizes - 1) // 2]
        until = np.maximum.reduceat(rows.until_s[members][np.argsort(group, kind="stable")], starts)
        n_sources = np.bincount(
            np.unique(np.stack([group, self._source[members]], 1), axis=0)[:, 0], minlength=g_n
        )
        keys_of: list[list[tuple[str, str]]] = [[] for _ in range(g_n)]
        for r, g in zip(members.tolist(), group.tolist(), strict=True):
            keys_of[g].append(rows.keys[r])
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
