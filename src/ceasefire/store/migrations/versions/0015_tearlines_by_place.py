"""Tearlines found by what they show: cell, time and position on each stored tearline.

Issue 13: the incident list matched a reader's box and time window on the whole incident,
so a reader who sees only an open report of an incident found it by boxing a hidden fix.
The read model is a cache (``store.read_model``): the table is dropped and created again
with the new columns, and the format is reset so that ``ensure_read_model`` rebuilds the
rows (and ``complete_tearlines`` the tearlines) with the code of the day.

Written to match store/read_model.py (tests/api/test_read_model.py compares the migrated
schema with the metadata), then frozen.

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-07 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RULES = "';R1;R2;', '' for none"


def upgrade() -> None:
    op.drop_table("incident_tearlines")
    op.create_table(
        "incident_tearlines",
        sa.Column(
            "cell", sa.Integer(), nullable=False, comment="cell of the tearline; -1: unlocated"
        ),
        sa.Column(
            "observed_at", sa.Float(), nullable=False, comment="the tearline's time, epoch s"
        ),
        sa.Column("incident_pk", sa.Integer(), nullable=False),
        sa.Column("mask", sa.Integer(), nullable=False, comment="visible bits of the signature"),
        sa.Column("signature_pk", sa.Integer(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False, comment=_RULES),
        sa.Column("item", sa.LargeBinary(), nullable=False, comment="the tearline item, JSON"),
        sa.ForeignKeyConstraint(
            ["incident_pk"],
            ["incidents.pk"],
            name=op.f("fk_incident_tearlines_incident_pk_incidents"),
        ),
        sa.ForeignKeyConstraint(
            ["signature_pk"],
            ["release_signatures.pk"],
            name=op.f("fk_incident_tearlines_signature_pk_release_signatures"),
        ),
        sa.PrimaryKeyConstraint(
            "cell", "observed_at", "incident_pk", "mask", name=op.f("pk_incident_tearlines")
        ),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_incident_tearlines_incident_mask",
        "incident_tearlines",
        ["incident_pk", "mask"],
        unique=True,
    )
    op.create_index(
        "ix_incident_tearlines_observed_at",
        "incident_tearlines",
        ["observed_at", "signature_pk", "mask"],
    )
    op.create_index(
        "ix_incident_items_unready",
        "incident_items",
        ["incident_pk"],
        sqlite_where=sa.text("NOT tearlines_ready"),
        postgresql_where=sa.text("NOT tearlines_ready"),
    )
    op.execute("UPDATE read_model_meta SET format = 0")


def downgrade() -> None:
    op.drop_index("ix_incident_items_unready", table_name="incident_items")
    op.drop_table("incident_tearlines")
    op.create_table(
        "incident_tearlines",
        sa.Column("incident_pk", sa.Integer(), nullable=False),
        sa.Column("mask", sa.Integer(), nullable=False, comment="visible bits of the signature"),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False, comment=_RULES),
        sa.Column("item", sa.LargeBinary(), nullable=False, comment="the tearline item, JSON"),
        sa.ForeignKeyConstraint(
            ["incident_pk"],
            ["incidents.pk"],
            name=op.f("fk_incident_tearlines_incident_pk_incidents"),
        ),
        sa.PrimaryKeyConstraint("incident_pk", "mask", name=op.f("pk_incident_tearlines")),
        sqlite_with_rowid=False,
    )
    op.execute("UPDATE read_model_meta SET format = 0")
