"""Declared coverage: where and when each observer was watching, as the mission would log it.

One object per station window (post, camera, acoustic array, patrol stop) and per UAV sortie
or satellite pass: the observer, its kind, the window (RFC 3339, UTC) and a circle (centre,
radius = the longest range at which it detects anything) or, for cameras, a sector
(``fov_az_deg`` ± ``fov_deg`` / 2). Gaps are information: a camera's outage splits its
windows, a jammed sortie ends at the jamming, a patrol stopped at a checkpoint has no window
at that stop. Coverage per sector and day (fusion issue, point 6) is built from these.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ceasefire.simulation.detect import range_table
from ceasefire.simulation.observers import OBSERVER_KINDS, SOURCE_TYPE_OF, ObserverKind
from ceasefire.simulation.run import Simulation


def _stamp(epoch_s: np.ndarray[Any, np.dtype[np.float64]]) -> list[str]:
    text = np.datetime_as_string(np.round(epoch_s).astype("datetime64[s]"), unit="s")
    return [f"{t}Z" for t in text.tolist()]


def coverage_objects(sim: Simulation) -> list[dict[str, Any]]:
    """Every observation window of the run, stations first, then sorties and passes."""
    o = sim.params.observers
    audible = {c: k.audible_km for c, k in sim.params.events.fire.kinds.items()}
    reach_m = range_table(o, audible).max(axis=1)
    names = [name for name, _ in sim.network.sources]
    epoch = sim.start_epoch_s
    out: list[dict[str, Any]] = []
    st = sim.network.stations
    camera = OBSERVER_KINDS.index(ObserverKind.CAMERA)
    for src, kind, lon, lat, t0, t1, az, half in zip(
        st.source.tolist(),
        st.kind.tolist(),
        np.round(st.lon, 6).tolist(),
        np.round(st.lat, 6).tolist(),
        _stamp(epoch + st.t0_s),
        _stamp(epoch + st.t1_s),
        np.round(st.fov_az, 1).tolist(),
        st.fov_half_deg.tolist(),
        strict=True,
    ):
        obj: dict[str, Any] = {
            "source": names[src],
            "source_type": SOURCE_TYPE_OF[OBSERVER_KINDS[kind]].value,
            "from": t0,
            "until": t1,
            "lon": lon,
            "lat": lat,
            "radius_m": round(float(reach_m[kind])),
        }
        if kind == camera:
            obj["fov_az_deg"] = az
            obj["fov_deg"] = 2.0 * half
        out.append(obj)
    ar = sim.network.areas
    for src, kind, lon, lat, radius, t0, t1 in zip(
        ar.source.tolist(),
        ar.kind.tolist(),
        np.round(ar.lon, 6).tolist(),
        np.round(ar.lat, 6).tolist(),
        np.round(ar.radius_m).tolist(),
        _stamp(epoch + ar.t0_s),
        _stamp(epoch + ar.t1_s),
        strict=True,
    ):
        out.append(
            {
                "source": names[src],
                "source_type": SOURCE_TYPE_OF[OBSERVER_KINDS[kind]].value,
                "from": t0,
                "until": t1,
                "lon": lon,
                "lat": lat,
                "radius_m": int(radius),
            }
        )
    return out
