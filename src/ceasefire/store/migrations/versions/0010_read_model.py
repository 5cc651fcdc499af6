"""The HQ's read model: release signatures, incident items and tearlines, written ahead.

Written to match store/read_model.py (tests/store/test_read_model.py compares the migrated
schema with the metadata), then frozen. The tables start empty with format 0: the store's
``ensure_read_model`` (run by ``init_schema`` after the migrations) fills them from the
incidents already stored, with the code of the day, and records the format.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RULES = "';R1;R2;', '' for none"


def upgrade() -> None:
    op.create_table(
        "release_signatures",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column(
            "pairs",
            sa.Text(),
            nullable=False,
            comment='JSON [["CLASSIFICATION", "releasable_to or empty"], ...], sorted',
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_release_signatures")),
        sa.UniqueConstraint("pairs", name=op.f("uq_release_signatures_pairs")),
    )
    op.create_table(
        "incident_items",
        sa.Column(
            "cell", sa.Integer(), nullable=False, comment="store/grid.py cell; -1: unlocated"
        ),
        sa.Column("observed_at", sa.Float(), nullable=False, comment="epoch seconds UTC"),
        sa.Column("incident_pk", sa.Integer(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("signature_pk", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False, comment=_RULES),
        sa.Column(
            "tearlines_ready", sa.Boolean(), nullable=False, comment="every possible mask stored"
        ),
        sa.Column("item", sa.LargeBinary(), nullable=False, comment="the whole item, JSON"),
        sa.ForeignKeyConstraint(
            ["incident_pk"],
            ["incidents.pk"],
            name=op.f("fk_incident_items_incident_pk_incidents"),
        ),
        sa.ForeignKeyConstraint(
            ["signature_pk"],
            ["release_signatures.pk"],
            name=op.f("fk_incident_items_signature_pk_release_signatures"),
        ),
        sa.PrimaryKeyConstraint(
            "cell", "observed_at", "incident_pk", name=op.f("pk_incident_items")
        ),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_incident_items_incident_pk", "incident_items", ["incident_pk"], unique=True)
    op.create_index(
        "ix_incident_items_observed_at",
        "incident_items",
        ["observed_at", "lon", "lat", "signature_pk"],
    )
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
    op.create_table(
        "read_model_meta",
        sa.Column(
            "format", sa.Integer(), nullable=False, comment="READ_MODEL_FORMAT the rows follow"
        ),
    )
    op.execute("INSERT INTO read_model_meta (format) VALUES (0)")


def downgrade() -> None:
    op.drop_table("read_model_meta")
    op.drop_table("incident_tearlines")
    op.drop_index("ix_incident_items_observed_at", table_name="incident_items")
    op.drop_index("ix_incident_items_incident_pk", table_name="incident_items")
    op.drop_table("incident_items")
    op.drop_table("release_signatures")
