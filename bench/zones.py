"""Zone placement of 1,000,000 points: ``place_points`` versus GeoPandas ``sjoin``.

Both answer the same question on the same data: for each point (uncertainty 0) and each
paris-2026 zone, is the point inside the zone polygon? GeoPandas gets the compiled WGS 84
zone polygons and ``sjoin(predicate="within")``; its time includes building the point
GeoDataFrame (it needs one) and the spatial index. ``place_points`` starts from the same
numpy arrays and computes more (party side, geodesic distance to the line, storage sites).
The answers must be identical. A second run with random uncertainties (the real workload:
inside / possibly inside) is timed too. Each timing is the best of ``REPEATS`` runs because
the machine is shared.

    .venv/bin/python bench/zones.py [n_points]
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import TypeVar

import geopandas as gpd
import numpy as np

from ceasefire.agreement import load_agreement
from ceasefire.geo import compile_geography, place_points
from ceasefire.scenarios import scenario_dir

REPEATS = 3
SEED = 2026
T = TypeVar("T")


def main(n: int) -> dict[str, object]:
    started = time.perf_counter()
    geo = compile_geography(load_agreement(scenario_dir("paris-2026") / "agreement.yaml"))
    compile_s = time.perf_counter() - started
    minx, miny, maxx, maxy = geo.party_areas[geo.party_ids.index("UKR")].bounds
    rng = np.random.default_rng(SEED)
    lon = rng.uniform(minx, maxx, n)
    lat = rng.uniform(miny, maxy, n)
    # uncertainties: a third exact, the rest log-normal around 500 m (tail to tens of km)
    u = np.where(rng.random(n) < 1 / 3, 0.0, rng.lognormal(np.log(500.0), 1.0, n))
    zero = np.zeros(n)
    print(
        f"theatre lon {minx:.2f}..{maxx:.2f} lat {miny:.2f}..{maxy:.2f}; {n:,} points; "
        f"{len(geo.zone_ids)} zones; compile {compile_s:.2f} s"
    )

    ours_s, ours = _best(lambda: place_points(geo, lon, lat, zero))
    fuzzy_s, fuzzy = _best(lambda: place_points(geo, lon, lat, u))
    zones = gpd.GeoDataFrame(
        {"zone": list(geo.zone_ids)}, geometry=[z.polygon for z in geo.zones], crs="EPSG:4326"
    )

    def geopandas_run() -> np.ndarray:
        points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
        joined = gpd.sjoin(points, zones, predicate="within", how="inner")
        inside = np.zeros((n, len(geo.zone_ids)), dtype=bool)
        inside[joined.index.to_numpy(), joined["index_right"].to_numpy()] = True
        return inside

    gpd_s, gpd_inside = _best(geopandas_run)
    mismatches = int((gpd_inside != ours.inside).sum())
    same = mismatches == 0 and not ours.possibly_inside.any()
    for j, zid in enumerate(geo.zone_ids):
        print(
            f"  {zid:28s} inside {int(ours.inside[:, j].sum()):7d} (geopandas "
            f"{int(gpd_inside[:, j].sum()):7d}); with uncertainty: inside "
            f"{int(fuzzy.inside[:, j].sum()):7d}, "
            f"possibly {int(fuzzy.possibly_inside[:, j].sum()):6d}"
        )
    figures: dict[str, object] = {
        "points_per_s": round(n / ours_s),
        "geopandas_points_per_s": round(n / gpd_s),
        "speedup": round(gpd_s / ours_s, 2),
        "same_answers": same,
        "points_per_s_with_uncertainty": round(n / fuzzy_s),
        "mismatches": mismatches,
        "n_points": n,
        "n_zones": len(geo.zone_ids),
    }
    print(f"place_points (uncertainty 0): {ours_s:.3f} s = {n / ours_s:,.0f} points/s")
    print(f"place_points (random uncertainty): {fuzzy_s:.3f} s = {n / fuzzy_s:,.0f} points/s")
    print(f"geopandas sjoin within:       {gpd_s:.3f} s = {n / gpd_s:,.0f} points/s")
    print(f"speedup {gpd_s / ours_s:.1f}x; same answers: {same} ({mismatches} mismatches)")
    return figures


def _best(run: Callable[[], T]) -> tuple[float, T]:
    best = float("inf")
    result: T | None = None
    for _ in range(REPEATS):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    assert result is not None
    return best, result


if __name__ == "__main__":
    figures = main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
    print(json.dumps(figures))
