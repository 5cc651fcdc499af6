"""incidents: a (grid cell, observed_at) index replaces the (lon, lat) index.

A box + time query now reads only the index entries of the cells the box touches, in the time
window, instead of every entry of the window (store/grid.py has the figures). The (lon, lat)
index goes: box queries without a time use the cells too, and one index fewer keeps the
ingest's cost per incident where it was.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 17:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The expression of ``store.schema.incident_cell`` (a migration is frozen: written out here).
_CELL = "(CAST((lon + 180.0) * 4 AS INTEGER) * 1000 + CAST((lat + 90.0) * 4 AS INTEGER))"


def upgrade() -> None:
    op.execute(f"CREATE INDEX ix_incidents_cell_observed_at ON incidents ({_CELL}, observed_at)")
    op.drop_index("ix_incidents_lon_lat", table_name="incidents")


def downgrade() -> None:
    op.create_index("ix_incidents_lon_lat", "incidents", ["lon", "lat"])
    op.drop_index("ix_incidents_cell_observed_at", table_name="incidents")
