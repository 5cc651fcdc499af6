"""fusion: incident details, verification history, attribution, decisions, remedies, coverage.

Written to match store/fusion.py (tests/fusion/test_fusion_store.py compares the migrated
schema with the metadata), then frozen; later changes go into new revisions.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 13:55:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = 40


def upgrade() -> None:
    op.create_table(
        "incident_fusion",
        sa.Column("incident_pk", sa.Integer(), nullable=False),
        sa.Column(
            "fusion_id", sa.Text(), nullable=False, comment="source/id of the anchoring report"
        ),
        sa.Column("observed_until", sa.Float(), nullable=False, comment="epoch seconds UTC"),
        sa.Column("count_low", sa.Integer(), nullable=False),
        sa.Column("count_best", sa.Integer(), nullable=False),
        sa.Column("count_high", sa.Integer(), nullable=False),
        sa.Column("sources", sa.Integer(), nullable=False),
        sa.Column("independent_sources", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False, comment="see fusion/grading.py"),
        sa.Column("semi_major_m", sa.Float(), nullable=True, comment="2-sigma error ellipse"),
        sa.Column("semi_minor_m", sa.Float(), nullable=True),
        sa.Column(
            "orientation_deg",
            sa.Float(),
            nullable=True,
            comment="major axis, clockwise from north",
        ),
        sa.Column("bearing_observers", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_pk"],
            ["incidents.pk"],
            name=op.f("fk_incident_fusion_incident_pk_incidents"),
        ),
        sa.PrimaryKeyConstraint("incident_pk", name=op.f("pk_incident_fusion")),
    )
    op.create_index("ix_incident_fusion_fusion_id", "incident_fusion", ["fusion_id"])
    op.create_table(
        "incident_states",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("incident_pk", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("previous", sa.String(length=16), nullable=True),
        sa.Column("author", sa.Text(), nullable=False, comment="analyst name, or 'fusion'"),
        sa.Column("at", sa.String(length=_TS), nullable=False, comment="ISO 8601 UTC"),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_pk"],
            ["incidents.pk"],
            name=op.f("fk_incident_states_incident_pk_incidents"),
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_incident_states")),
    )
    op.create_index("ix_incident_states_incident_pk", "incident_states", ["incident_pk"])
    op.create_table(
        "attributions",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("violation_pk", sa.Integer(), nullable=False),
        sa.Column("party", sa.String(length=64), nullable=False),
        sa.Column(
            "basis", sa.Text(), nullable=False, comment="e.g. fire origin on the party's side"
        ),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("proposed_by", sa.Text(), nullable=False),
        sa.Column("proposed_at", sa.String(length=_TS), nullable=False),
        sa.ForeignKeyConstraint(
            ["violation_pk"],
            ["violations.pk"],
            name=op.f("fk_attributions_violation_pk_violations"),
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_attributions")),
    )
    op.create_index("ix_attributions_violation_pk", "attributions", ["violation_pk"])
    op.create_table(
        "attribution_decisions",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("attribution_pk", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False, comment="upheld | rejected"),
        sa.Column("decided_by", sa.Text(), nullable=False, comment="a Special Commission member"),
        sa.Column("decided_at", sa.String(length=_TS), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["attribution_pk"],
            ["attributions.pk"],
            name=op.f("fk_attribution_decisions_attribution_pk_attributions"),
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_attribution_decisions")),
    )
    op.create_index(
        "ix_attribution_decisions_attribution_pk", "attribution_decisions", ["attribution_pk"]
    )
    op.create_table(
        "remedies",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("decision_pk", sa.Integer(), nullable=False),
        sa.Column("remedy", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.String(length=_TS), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_pk"],
            ["attribution_decisions.pk"],
            name=op.f("fk_remedies_decision_pk_attribution_decisions"),
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_remedies")),
    )
    op.create_index("ix_remedies_decision_pk", "remedies", ["decision_pk"])
    op.create_table(
        "coverage_declarations",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_type", sa.String(length=32), nullable=False),
        sa.Column("start_s", sa.Float(), nullable=False, comment="epoch seconds UTC"),
        sa.Column("end_s", sa.Float(), nullable=False, comment="epoch seconds UTC"),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("radius_m", sa.Float(), nullable=False),
        sa.Column(
            "fov_az_deg", sa.Float(), nullable=True, comment="cameras: centre of the field of view"
        ),
        sa.Column(
            "fov_deg", sa.Float(), nullable=True, comment="cameras: width of the field of view"
        ),
        sa.Column("declared_at", sa.String(length=_TS), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_coverage_declarations")),
    )
    op.create_index("ix_coverage_declarations_start_s", "coverage_declarations", ["start_s"])


def downgrade() -> None:
    op.drop_index("ix_coverage_declarations_start_s", table_name="coverage_declarations")
    op.drop_table("coverage_declarations")
    op.drop_index("ix_remedies_decision_pk", table_name="remedies")
    op.drop_table("remedies")
    op.drop_index("ix_attribution_decisions_attribution_pk", table_name="attribution_decisions")
    op.drop_table("attribution_decisions")
    op.drop_index("ix_attributions_violation_pk", table_name="attributions")
    op.drop_table("attributions")
    op.drop_index("ix_incident_states_incident_pk", table_name="incident_states")
    op.drop_table("incident_states")
    op.drop_index("ix_incident_fusion_fusion_id", table_name="incident_fusion")
    op.drop_table("incident_fusion")
