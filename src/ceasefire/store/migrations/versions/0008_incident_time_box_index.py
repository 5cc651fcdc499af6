"""incidents: one (observed_at, lon, lat) index instead of (observed_at) for bbox + time queries.

The HQ's most frequent query is "incidents in this box in this time window". With the old
single-column index SQLite read every incident of the window from the table to test the box;
with this one the box is tested on the index. The old index is dropped: with both present,
SQLite's planner kept choosing the narrower one (bench/api.py measured it).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_incidents_observed_at_lon_lat", "incidents", ["observed_at", "lon", "lat"])
    op.drop_index("ix_incidents_observed_at", table_name="incidents")


def downgrade() -> None:
    op.create_index("ix_incidents_observed_at", "incidents", ["observed_at"])
    op.drop_index("ix_incidents_observed_at_lon_lat", table_name="incidents")
