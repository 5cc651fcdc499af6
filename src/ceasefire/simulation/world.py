"""The scenario as the simulator sees it: the agreement, its compiled geography, the line.

Geography is never re-implemented here: the side of the line a point lies on, storage sites
and zones all come from the GEO engine (``compile_geography`` / ``place_points``), so that the
ground truth and the monitoring system agree on where everything is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from ceasefire.agreement.loader import load_agreement
from ceasefire.agreement.model import Agreement
from ceasefire.errors import InputError
from ceasefire.geo.placement import Placements, place_points
from ceasefire.geo.zones import Geography, compile_geography
from ceasefire.simulation.lines import FloatArray, LineSampler, LocalMetres

#: Uncertainty given to true positions when they are placed: they are exact by definition.
TRUE_POSITION_UNCERTAINTY_M = 0.0


@dataclass(frozen=True)
class World:
    """Agreement, geography, the sampled line, storage sites and a local metric projection."""

    agreement: Agreement
    geography: Geography
    line: LineSampler
    metres: LocalMetres
    site_lon: FloatArray
    site_lat: FloatArray
    site_party: NDArray[np.int8]

    @property
    def party_ids(self) -> tuple[str, ...]:
        """Party ids in the order ``Placements.party_index`` counts them."""
        return tuple(self.geography.party_ids)

    def place(self, lon: FloatArray, lat: FloatArray) -> Placements:
        """Place exact points with the real zone engine."""
        unc = np.full(lon.shape, TRUE_POSITION_UNCERTAINTY_M)
        return place_points(self.geography, lon, lat, unc)

    def party_of(self, lon: FloatArray, lat: FloatArray) -> NDArray[np.int8]:
        """Index of the party whose area holds each point; -1 outside every party area."""
        if lon.size == 0:
            return np.zeros(0, dtype=np.int8)
        return np.asarray(self.place(lon, lat).party_index, dtype=np.int8)


def _line_parts(line: BaseGeometry) -> list[FloatArray]:
    """Vertex arrays of every LineString in the compiled contact line."""
    parts = [
        np.asarray(shapely.get_coordinates(g), dtype=np.float64) for g in shapely.get_parts(line)
    ]
    parts = [p for p in parts if len(p) >= 2]
    if not parts:
        raise InputError("contact_line", "line-geometry", "the contact line has no LineString")
    return parts


def load_world(scenario_dir: Path) -> World:
    """Load ``agreement.yaml`` of a scenario directory and compile its geography."""
    agreement = load_agreement(scenario_dir / "agreement.yaml")
    geography = compile_geography(agreement)
    parts = _line_parts(geography.contact_line)
    everything = np.concatenate(parts)
    metres = LocalMetres.centred_on(float(everything[:, 0].mean()), float(everything[:, 1].mean()))
    sites = geography.sites
    owner = np.asarray(
        [geography.party_ids.index(p) if p in geography.party_ids else -1 for p in sites.party],
        dtype=np.int8,
    )
    return World(
        agreement=agreement,
        geography=geography,
        line=LineSampler.from_parts(parts),
        metres=metres,
        site_lon=np.asarray(sites.lon, dtype=np.float64),
        site_lat=np.asarray(sites.lat, dtype=np.float64),
        site_party=owner,
    )
