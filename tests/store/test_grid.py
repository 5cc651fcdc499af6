"""The incidents' grid: the cells of a box cover every point in it, and the index answers
box queries exactly as a plain scan does, on both backends."""

from __future__ import annotations

import doctest

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, text
from store_builders import T0, fuse_one_each, make_chunk, make_row, make_version

from ceasefire.store import grid, schema
from ceasefire.store.core_store import CoreStore
from ceasefire.store.grid import MAX_CELLS, cell_of, cells_in_box, incidents_in_box

lons = st.floats(-180.0, 180.0, allow_nan=False)
lats = st.floats(-90.0, 90.0, allow_nan=False)
fractions = st.floats(0.0, 1.0)


sizes = st.tuples(st.floats(0.0, 3.0), st.floats(0.0, 3.0))


@given(lons, lats, sizes, st.tuples(fractions, fractions))
def test_every_point_of_a_box_lies_in_one_of_its_cells(
    lon: float, lat: float, size: tuple[float, float], where: tuple[float, float]
) -> None:
    (width, height), (fx, fy) = size, where
    box = (lon, lat, min(lon + width, 180.0), min(lat + height, 90.0))
    cells = cells_in_box(*box)
    assert cells is not None  # 3 x 3 degrees is at most 13 x 13 cells
    x = box[0] + fx * (box[2] - box[0])
    y = box[1] + fy * (box[3] - box[1])
    x, y = min(max(x, box[0]), box[2]), min(max(y, box[1]), box[3])  # rounding stays inside
    assert cell_of(x, y) in cells
    assert len(set(cells)) == len(cells)  # distinct (column, row) pairs, distinct numbers


def test_the_documented_examples_hold() -> None:
    result = doctest.testmod(grid)
    assert result.attempted >= 2
    assert result.failed == 0


def test_boxes_too_large_or_empty_have_no_cell_list() -> None:
    assert cells_in_box(-180.0, -90.0, 180.0, 90.0) is None
    assert len(cells_in_box(30.0, 45.0, 30.0 + MAX_CELLS / 4 / 2 - 0.3, 45.1) or []) > 0
    assert cells_in_box(37.0, 48.0, 36.0, 49.0) is None  # min above max: nothing inside


def test_box_queries_use_the_spatial_index_and_match_a_plain_scan(store: CoreStore) -> None:
    version_pk, _ = store.add_agreement_version(make_version())
    run = store.start_ingest_run(["a.ndjson"], T0)
    rng = np.random.default_rng(7)
    points = np.column_stack([rng.uniform(35.0, 39.0, 500), rng.uniform(46.0, 50.0, 500)])
    points[:4] = [(37.0, 48.0), (37.25, 48.25), (36.999999, 47.999999), (-0.1, -0.1)]
    rows = [
        make_row(version_pk, id=f"r{k}", located_lon=float(x), located_lat=float(y))
        for k, (x, y) in enumerate(points)
    ]
    store.write_chunk(make_chunk(run, rows))
    fuse_one_each(store)
    corner = rng.uniform([35.0, 46.0], [39.0, 50.0], (30, 2))
    size = rng.uniform(0.0, 1.0, (30, 2))
    boxes = [(37.0, 48.0, 37.25, 48.25), (-1.0, -1.0, 0.0, 0.0), (35.0, 46.0, 39.0, 50.0)]
    boxes += [(x, y, x + w, y + h) for (x, y), (w, h) in zip(corner, size, strict=True)]
    with store.engine.connect() as conn:
        stored = conn.execute(text("SELECT pk, lon, lat FROM incidents ORDER BY pk")).all()
    for x0, y0, x1, y1 in boxes:
        scan = [pk for pk, lon, lat in stored if x0 <= lon <= x1 and y0 <= lat <= y1]
        assert store.incidents_in_bbox(x0, y0, x1, y1) == scan
    first = {id_: pk for pk, (id_, *_rest) in zip((r[0] for r in stored), rows, strict=True)}
    on_edges = store.incidents_in_bbox(37.0, 48.0, 37.25, 48.25)
    assert {first["r0"], first["r1"]} <= set(on_edges)  # both corners of the box are inside
    assert first["r2"] not in on_edges  # a hair outside is outside
    assert _box_index(store) in _plan(store)


def _box_index(store: CoreStore) -> str:
    return "ix_incidents_geom" if store.dialect == "postgresql" else "ix_incidents_cell_observed_at"


def _plan(store: CoreStore) -> str:
    """The plan of a box query, on a table too small for the planner to choose an index
    unaided on PostgreSQL (sequential scans are priced out for the question)."""
    condition = incidents_in_box(37.0, 48.0, 37.25, 48.25, postgresql=store.dialect == "postgresql")
    query = select(schema.incidents.c.pk).where(condition, schema.incidents.c.observed_at > 0)
    with store.engine.connect() as conn:
        compiled = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
        if store.dialect == "postgresql":
            conn.execute(text("SET enable_seqscan = off"))
            return str(conn.execute(text("EXPLAIN " + compiled)).all())
        return str(conn.execute(text("EXPLAIN QUERY PLAN " + compiled)).all())
