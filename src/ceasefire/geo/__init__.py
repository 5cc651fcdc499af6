"""Projections, buffers, vectorised zone classification, bearing localisation."""

from ceasefire.geo.bearing import locate_by_bearing
from ceasefire.geo.placement import Placements, place_points
from ceasefire.geo.zones import Geography, compile_geography

__all__ = ["Geography", "Placements", "compile_geography", "locate_by_bearing", "place_points"]
