"""The incidents' grid: a coarse cell number per position, indexed with the observation time.

Why: the HQ's commonest question is "what happened in this box in these days". A B-tree on
``(observed_at, lon, lat)`` answers it by reading every index entry of the time window
(about 19,000 for 7 days of a 1,000,000-incident year) to test the box. An index on
``(cell, observed_at)`` reads only the entries of the few cells the box touches, in time order:
on that store 0.6 ms instead of 3.0 ms per query (bench/api.py). An R*Tree answered in 2.0 ms
and cost 22 µs per inserted incident, which the ingest cannot afford.

A cell is ``int((lon + 180) * 4) * 1000 + int((lat + 90) * 4)``: a quarter of a degree each
way (about 28 x 18 km in Ukraine). The offsets make both terms non-negative, so SQLite's
``CAST(... AS INTEGER)`` (which truncates) is a floor, with no need for SQLite's optional math
functions (SQLAlchemy also replaces ``floor`` with a Python function that fails on NULL). The
row term stays below 1000, so every (column, row) pair has its own number. The arithmetic is
IEEE double in SQLite and in Python alike, so the index and the cell lists computed here agree
exactly. (PostgreSQL's CAST rounds: there the box is served by the PostGIS point's GiST index.)
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, func, literal_column

from ceasefire.store import schema

#: Cells per degree, each way (the index expression's, ``schema.incident_cell``).
CELLS_PER_DEG = schema.INCIDENT_CELLS_PER_DEG
#: Above this many cells a box is answered by the time index instead (a cell list that long
#: covers most of the mission area anyway; it also keeps the SQL statement short).
MAX_CELLS = 4_096


def cell_of(lon: float, lat: float) -> int:
    """The cell of one position (same formula as the index expression; lon in [-180, 180],
    lat in [-90, 90], as validation guarantees).

    >>> cell_of(37.6, 47.9)
    870551
    """
    return _column(lon) * 1000 + _row(lat)


def _column(lon: float) -> int:
    return int((lon + 180.0) * CELLS_PER_DEG)


def _row(lat: float) -> int:
    return int((lat + 90.0) * CELLS_PER_DEG)


def cells_in_box(
    min_lon: float, min_lat: float, max_lon: float, max_lat: float
) -> list[int] | None:
    """Every cell a box touches (edges included), or None when there are more than
    ``MAX_CELLS`` of them or the box is empty.

    >>> cells_in_box(37.6, 47.9, 37.8, 48.1)
    [870551, 870552, 871551, 871552]
    """
    if not (min_lon <= max_lon and min_lat <= max_lat):
        return None
    # clamp to the globe: positions outside it are refused at ingest, and the formula holds
    # only inside it
    min_lon, max_lon = max(min_lon, -180.0), min(max_lon, 180.0)
    min_lat, max_lat = max(min_lat, -90.0), min(max_lat, 90.0)
    if not (min_lon <= max_lon and min_lat <= max_lat):
        return None
    x0, x1 = _column(min_lon), _column(max_lon)
    y0, y1 = _row(min_lat), _row(max_lat)
    if (x1 - x0 + 1) * (y1 - y0 + 1) > MAX_CELLS:
        return None
    return [x * 1000 + y for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def incidents_in_box(
    min_lon: float,
    min_lat: float,
    max_lon: float,
    max_lat: float,
    *,
    postgresql: bool = False,
) -> ColumnElement[bool]:
    """The SQL condition "incident inside the box, edges included", written so that the
    spatial index serves it: the ``(cell, observed_at)`` index on SQLite, the GiST index of
    the PostGIS point on PostgreSQL (migration 0016; there CAST rounds, so the grid
    expression would not match ``cell_of``)."""
    i = schema.incidents
    exact = and_(i.c.lon.between(min_lon, max_lon), i.c.lat.between(min_lat, max_lat))
    if postgresql:
        envelope = func.ST_MakeEnvelope(min_lon, min_lat, max_lon, max_lat, 4326)
        return and_(literal_column("incidents.geom").op("&&")(envelope), exact)
    cells = cells_in_box(min_lon, min_lat, max_lon, max_lat)
    if cells is None:
        return exact
    return and_(schema.incident_cell.in_(cells), exact)
