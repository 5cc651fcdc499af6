"""ratifications: each party's status for a guarantee instrument, as recorded; and the
marks of live evaluation (how far the record goes, what it had seen), for incremental runs.

Written to match store/guarantees.py (tests/guarantees/test_guarantees_store.py compares the
migrated schema with the metadata), then frozen; later changes go into new revisions.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 15:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = 40


def upgrade() -> None:
    op.create_table(
        "guarantee_ratifications",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.String(length=128), nullable=False),
        sa.Column("party", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "date",
            sa.String(length=_TS),
            nullable=True,
            comment="when the party reached the status; NULL: unknown",
        ),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("by", sa.String(length=128), nullable=False),
        sa.Column("recorded_at", sa.String(length=_TS), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_guarantee_ratifications")),
    )
    op.create_index(
        op.f("ix_guarantee_ratifications_instrument_id"),
        "guarantee_ratifications",
        ["instrument_id"],
    )
    op.create_table(
        "guarantee_evaluations",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column(
            "evaluated_until",
            sa.String(length=_TS),
            nullable=False,
            comment="alerts recorded up to then",
        ),
        sa.Column(
            "monitoring_since",
            sa.String(length=_TS),
            nullable=True,
            comment="the first fact's recording; NULL: none",
        ),
        sa.Column("file_pk", sa.Integer(), nullable=False, comment="the guarantees file evaluated"),
        sa.Column(
            "ratifications", sa.Integer(), nullable=False, comment="ratification records seen"
        ),
        sa.Column(
            "incidents_max", sa.Integer(), nullable=False, comment="highest incident pk seen"
        ),
        sa.Column("superseded", sa.Integer(), nullable=False, comment="incidents not active, seen"),
        sa.Column(
            "states_max", sa.Integer(), nullable=False, comment="highest incident_states pk seen"
        ),
        sa.Column("decisions_max", sa.Integer(), nullable=False),
        sa.Column("remedy_max", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.String(length=_TS), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_guarantee_evaluations")),
    )


def downgrade() -> None:
    op.drop_table("guarantee_evaluations")
    op.drop_index(
        op.f("ix_guarantee_ratifications_instrument_id"), table_name="guarantee_ratifications"
    )
    op.drop_table("guarantee_ratifications")
