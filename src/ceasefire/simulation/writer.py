"""The thin edge: a :class:`Simulation` to files.

* ``reports.ndjson``: the observation reports, exactly the interchange spec's fields, one per
  line, in arrival order (line number = arrival order; re-deliveries appear twice).
* ``truth.ndjson``: one line per true event (``"kind": "event"``: where, when, what, who fired,
  zones, rules broken, and the ``(source, id, arrival)`` of every report it caused), then one
  line per false report (``"kind": "false_report"``).
* ``coverage.ndjson``: where and when each observer watched (see ``coverage``).
* ``manifest.json``: seed, scenario, parameter hash, start, days and counts.

Observers on the ground write local time with its UTC offset (as a mission's forms would);
sensors and feeds write UTC (``Z``). Output depends only on the simulation: no wall clock.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import orjson
from numpy.typing import NDArray

from ceasefire.reports.model import Category, FireDirection, WeaponClass
from ceasefire.simulation.coverage import coverage_objects
from ceasefire.simulation.events import KINDS
from ceasefire.simulation.observers import OBSERVER_KINDS, SOURCE_TYPE_OF, ObserverKind
from ceasefire.simulation.params import params_hash
from ceasefire.simulation.reports import ATTRIBUTED_UNKNOWN, ROLES, Role
from ceasefire.simulation.run import Simulation

CATEGORY_NAMES = [c.value for c in Category]
WEAPON_NAMES = [w.value for w in WeaponClass]
DIRECTION_NAMES = [d.value for d in FireDirection]
COMPASS = [
    "N",
    "NNE",
    "NE",
    "ENE",
    "E",
    "ESE",
    "SE",
    "SSE",
    "S",
    "SSW",
    "SW",
    "WSW",
    "W",
    "WNW",
    "NW",
    "NNW",
]
LOCAL_KINDS = [OBSERVER_KINDS.index(ObserverKind.POST), OBSERVER_KINDS.index(ObserverKind.PATROL)]


def rfc3339(epoch_s: NDArray[np.float64], offset_s: NDArray[np.int64] | None = None) -> list[str]:
    """Format epoch seconds as RFC 3339: ``Z`` or, with ``offset_s``, local time and offset."""
    if offset_s is None:
        stamps = np.datetime_as_string(epoch_s.astype("datetime64[s]"), unit="s")
        return [f"{s}Z" for s in stamps.tolist()]
    local = (epoch_s.astype(np.int64) + offset_s).astype("datetime64[s]")
    stamps = np.datetime_as_string(local, unit="s").tolist()
    suffix = {
        o: "Z"
        if o == 0
        else f"{'+' if o > 0 else '-'}{abs(o) // 3600:02d}:{abs(o) % 3600 // 60:02d}"
        for o in np.unique(offset_s).tolist()
    }
    return [s + suffix[o] for s, o in zip(stamps, offset_s.tolist(), strict=True)]


def utc_offsets(epoch_s: NDArray[np.float64], timezone: str) -> NDArray[np.int64]:
    """UTC offset (s) of ``timezone`` at each instant, from an hourly table (DST-exact)."""
    if epoch_s.size == 0:
        return np.zeros(0, dtype=np.int64)
    zone = ZoneInfo(timezone)
    h0 = int(np.floor(epoch_s.min() / 3600.0))
    h1 = int(np.floor(epoch_s.max() / 3600.0))
    table = np.asarray(
        [
            int(datetime.fromtimestamp(h * 3600, zone).utcoffset().total_seconds())  # type: ignore[union-attr]
            for h in range(h0, h1 + 1)
        ],
        dtype=np.int64,
    )
    return table[(np.floor(epoch_s / 3600.0).astype(np.int64) - h0)]


def _column(n: int, values: NDArray[Any], present: NDArray[np.bool_]) -> list[Any]:
    """A Python list with ``values`` where ``present`` and ``None`` elsewhere."""
    out = np.full(n, None, dtype=object)
    out[present] = values[present].tolist()
    result: list[Any] = out.tolist()
    return result


def _ints(values: NDArray[np.float64]) -> NDArray[np.int64]:
    """Whole-number floats (NaN allowed) as int64; NaN becomes 0 (masked out by the caller)."""
    return np.nan_to_num(values, nan=0.0).astype(np.int64)


def report_ids(sim: Simulation) -> list[str]:
    """Every report's ``id``: ``<source>-<n>`` numbered per source in arrival order."""
    names = [name for name, _ in sim.network.sources]
    return [
        f"{names[s]}-{q:06d}"
        for s, q in zip(sim.reports.source.tolist(), sim.seq.tolist(), strict=True)
    ]


#: Spec field order of the objects written.
REPORT_FIELDS = (
    "id",
    "source",
    "source_type",
    "reliability",
    "credibility",
    "observed_at",
    "observed_until",
    "lat",
    "lon",
    "uncertainty_m",
    "observer_lat",
    "observer_lon",
    "bearing_deg",
    "bearing_error_deg",
    "distance_min_m",
    "distance_max_m",
    "category",
    "weapon_class",
    "count",
    "fire_direction",
    "heading_deg",
    "attributed_to",
    "description",
    "amends",
    "withdrawn",
    "classification",
    "releasable_to",
)


def report_objects(sim: Simulation) -> list[dict[str, Any]]:
    """The reports as spec objects (only present fields), in arrival order.

    Columns are built with numpy (``None`` = absent) and zipped into dicts, one per row.
    """
    r = sim.reports
    n = len(r)
    epoch = sim.start_epoch_s
    names = np.asarray([name for name, _ in sim.network.sources], dtype=object)
    types = np.asarray(
        [SOURCE_TYPE_OF[kind].value for _, kind in sim.network.sources], dtype=object
    )
    ids = report_ids(sim)
    local = np.isin(r.kind, LOCAL_KINDS)
    observed_abs = epoch + r.observed_s
    offsets = np.where(local, utc_offsets(observed_abs, sim.params.timezone), 0)
    observed = rfc3339(observed_abs, offsets)
    until = rfc3339(epoch + np.where(np.isnan(r.until_s), r.observed_s, r.until_s), offsets)
    point = ~np.isnan(r.lon)
    bearing = ~np.isnan(r.bearing_deg)
    banded = bearing & ~np.isnan(r.dmin_m)
    category = np.asarray(CATEGORY_NAMES, dtype=object)[r.category]
    count = r.count.tolist()
    src_names = names[r.source].tolist()
    descriptions: list[str | None] = [None] * n
    compass = np.asarray(COMPASS, dtype=object)[
        (((np.nan_to_num(r.bearing_deg) + 11.25) % 360.0) // 22.5).astype(np.int64)
    ].tolist()
    dmin_km, dmax_km = (r.dmin_m / 1000.0).tolist(), (r.dmax_m / 1000.0).tolist()
    cat_list = category.tolist()
    for i in np.flatnonzero(bearing).tolist():
        band = f" {dmin_km[i]:g}-{dmax_km[i]:g} km" if banded[i] else ""
        descriptions[i] = f"{count[i]} x {cat_list[i]}{band} {compass[i]} of {src_names[i]}"
    party = np.asarray([*sim.world.party_ids, "unknown"], dtype=object)
    attributed = np.where(r.attributed == ATTRIBUTED_UNKNOWN, len(party) - 1, r.attributed)
    amends_ids = np.asarray(ids, dtype=object)[np.maximum(r.amends_row, 0)]
    satellite = r.kind == OBSERVER_KINDS.index(ObserverKind.SATELLITE)
    grade = r.grade.astype(np.int64)
    columns = [
        ids,
        src_names,
        types[r.source].tolist(),
        np.asarray(list("ABCDEF"), dtype=object)[grade // 10].tolist(),
        (grade % 10).tolist(),
        observed,
        _column(n, np.asarray(until, dtype=object), ~np.isnan(r.until_s)),
        _column(n, np.round(r.lat, 6), point),
        _column(n, np.round(r.lon, 6), point),
        _column(n, _ints(r.uncertainty_m), point),
        _column(n, np.round(r.obs_lat, 6), bearing),
        _column(n, np.round(r.obs_lon, 6), bearing),
        _column(n, _ints(r.bearing_deg), bearing),
        _column(n, _ints(r.bearing_error_deg), bearing),
        _column(n, _ints(r.dmin_m), banded),
        _column(n, _ints(r.dmax_m), banded),
        cat_list,
        _column(n, np.asarray(WEAPON_NAMES, dtype=object)[np.maximum(r.weapon, 0)], r.weapon >= 0),
        count,
        _column(
            n,
            np.asarray(DIRECTION_NAMES, dtype=object)[np.maximum(r.direction, 0)],
            r.direction >= 0,
        ),
        _column(n, _ints(r.heading_deg), ~np.isnan(r.heading_deg)),
        _column(n, party[np.maximum(attributed, 0)], attributed >= 0),
        descriptions,
        _column(n, amends_ids, r.amends_row >= 0),
        _column(n, np.ones(n, dtype=bool), r.withdrawn),
        ["RESTRICTED" if s else None for s in satellite.tolist()],
        [["MNF"] if s else None for s in satellite.tolist()],
    ]
    return [
        {k: v for k, v in zip(REPORT_FIELDS, row, strict=True) if v is not None}
        for row in zip(*columns, strict=True)
    ]


def truth_objects(sim: Simulation, ids: list[str]) -> list[dict[str, Any]]:
    """True events (time order) with their reports, then false reports (arrival order)."""
    e, r = sim.events, sim.reports
    names = [name for name, _ in sim.network.sources]
    epoch = sim.start_epoch_s
    times = rfc3339(epoch + e.t_s)
    untils = rfc3339(epoch + e.until_s)
    arrivals = rfc3339(epoch + r.arrival_s)
    role_names = [x.value for x in ROLES]
    roles = [role_names[x] for x in r.role.tolist()]
    linked: list[list[dict[str, Any]]] = [[] for _ in range(len(e))]
    false: list[dict[str, Any]] = []
    redelivery = ROLES.index(Role.REDELIVERY)
    for i, (event, src, role) in enumerate(
        zip(r.event.tolist(), r.source.tolist(), r.role.tolist(), strict=True)
    ):
        if role == redelivery:
            continue
        ref = {
            "source": names[src],
            "id": ids[i],
            "arrival": i,
            "arrived_at": arrivals[i],
            "role": roles[i],
        }
        if event >= 0:
            linked[event].append(ref)
        else:
            false.append({"kind": "false_report", **ref})
    placements = sim.judgement.placements
    zone_ids = list(placements.zone_ids)
    inside = placements.inside
    dist = np.round(np.asarray(placements.distance_to_line_km, dtype=np.float64), 3).tolist()
    party_ids = sim.world.party_ids
    cols = {
        name: getattr(e, name).tolist()
        for name in (
            "category",
            "weapon",
            "count",
            "party",
            "kind",
            "caused_by",
            "cluster",
        )
    }
    for name in ("lon", "lat", "origin_lon", "origin_lat"):
        cols[name] = np.round(getattr(e, name), 6).tolist()
    cols["heading_deg"] = np.round(e.heading_deg, 1).tolist()
    kind_names = [k.value for k in KINDS]
    patterns, pattern_of = np.unique(inside, axis=0, return_inverse=True)
    zone_lists = [
        [z for z, flag in zip(zone_ids, p.tolist(), strict=True) if flag] for p in patterns
    ]
    zones_of = [zone_lists[k] for k in pattern_of.ravel().tolist()]
    out: list[dict[str, Any]] = []
    for i in range(len(e)):
        origin = None
        if cols["origin_lon"][i] == cols["origin_lon"][i]:
            origin = {
                "lon": cols["origin_lon"][i],
                "lat": cols["origin_lat"][i],
                "heading_deg": cols["heading_deg"][i],
            }
        party = cols["party"][i]
        weapon = cols["weapon"][i]
        out.append(
            {
                "kind": "event",
                "id": f"E{i + 1:07d}",
                "time": times[i],
                "until": untils[i],
                "lon": cols["lon"][i],
                "lat": cols["lat"][i],
                "origin": origin,
                "category": CATEGORY_NAMES[cols["category"][i]],
                "weapon_class": WEAPON_NAMES[weapon] if weapon >= 0 else None,
                "count": cols["count"][i],
                "party": party_ids[party] if party >= 0 else None,
                "cause": kind_names[cols["kind"][i]],
                "cluster": cols["cluster"][i] if cols["cluster"][i] >= 0 else None,
                "caused_by": f"E{cols['caused_by'][i] + 1:07d}"
                if cols["caused_by"][i] >= 0
                else None,
                "zones": zones_of[i],
                "distance_to_line_km": dist[i],
                "rules": [
                    {"rule": b.rule_id, "certainty": b.certainty, "zone": b.zone_id}
                    for b in sim.judgement.breaches[i]
                ],
                "reports": linked[i],
            }
        )
    return out + false


def _tally(names: list[str], codes: NDArray[np.integer[Any]]) -> dict[str, int]:
    """How often each code occurs, by name (sorted; codes that never occur left out)."""
    counts = np.bincount(codes.astype(np.int64), minlength=len(names)).tolist()
    return {name: c for name, c in sorted(zip(names, counts, strict=True)) if c}


def _ndjson(objects: list[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(o) + b"\n" for o in objects)


def write_simulation(sim: Simulation, out_dir: Path, *, scenario: str) -> dict[str, Any]:
    """Write the four files into ``out_dir`` (created); return the manifest written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    reports = report_objects(sim)
    ids = [o["id"] for o in reports]
    truth = truth_objects(sim, ids)
    report_bytes = _ndjson(reports)
    truth_bytes = _ndjson(truth)
    (out_dir / "reports.ndjson").write_bytes(report_bytes)
    (out_dir / "truth.ndjson").write_bytes(truth_bytes)
    coverage_bytes = _ndjson(coverage_objects(sim))
    (out_dir / "coverage.ndjson").write_bytes(coverage_bytes)
    r = sim.reports
    roles = _tally([x.value for x in ROLES], r.role)
    categories = _tally(CATEGORY_NAMES, sim.events.category)
    kinds = _tally([SOURCE_TYPE_OF[k].value for k in OBSERVER_KINDS], r.kind)
    manifest: dict[str, Any] = {
        "scenario": scenario,
        "agreement": {"id": sim.world.agreement.id, "version": sim.world.agreement.version},
        "seed": sim.seed,
        "days": sim.days,
        "start": sim.start.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "params_sha256": params_hash(sim.params),
        "counts": {
            "events": len(sim.events),
            "events_by_category": categories,
            "events_breaking_rules": sum(1 for b in sim.judgement.breaches if b),
            "reports": len(r),
            "reports_by_source_type": kinds,
            "reports_by_role": roles,
            "false_reports": int((r.event < 0).sum()),
            "observers": len(sim.network.sources),
        },
        "files": {
            "reports.ndjson": hashlib.sha256(report_bytes).hexdigest(),
            "truth.ndjson": hashlib.sha256(truth_bytes).hexdigest(),
            "coverage.ndjson": hashlib.sha256(coverage_bytes).hexdigest(),
        },
    }
    (out_dir / "manifest.json").write_bytes(
        orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    )
    return manifest
