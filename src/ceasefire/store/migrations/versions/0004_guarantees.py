"""guarantees: stored instrument files, alerts, obligations and their events, commission cases.

Written to match store/guarantees.py (tests/guarantees/test_guarantees_store.py compares the
migrated schema with the metadata), then frozen; later changes go into new revisions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 13:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = 40


def upgrade() -> None:
    op.create_table(
        "guarantee_files",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=False, comment="the YAML exactly as loaded"),
        sa.Column("source_path", sa.Text(), nullable=False),
        sa.Column(
            "ceasefire_in_force_from",
            sa.String(length=_TS),
            nullable=True,
            comment="resolved at load; NULL: not in force",
        ),
        sa.Column("loaded_at", sa.String(length=_TS), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_guarantee_files")),
    )
    op.create_table(
        "guarantee_alerts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("instrument_id", sa.String(length=128), nullable=False),
        sa.Column("trigger_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("fired_at", sa.String(length=_TS), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("sector", sa.String(length=64), nullable=True),
        sa.Column("clause", sa.Text(), nullable=False, comment="JSON: the trigger's parameters"),
        sa.Column("measures", sa.Text(), nullable=False, comment="JSON: the values compared"),
        sa.Column("fact_ids", sa.Text(), nullable=False, comment="JSON list: incidents/violations"),
        sa.Column("report_ids", sa.Text(), nullable=False, comment="JSON list"),
        sa.Column("child_alert_ids", sa.Text(), nullable=False, comment="JSON list"),
        sa.Column("recorded_at", sa.String(length=_TS), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guarantee_alerts")),
    )
    op.create_index(
        op.f("ix_guarantee_alerts_fired_at"), "guarantee_alerts", ["fired_at"], unique=False
    )
    op.create_table(
        "guarantee_obligations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("alert_id", sa.String(length=32), nullable=False),
        sa.Column("instrument_id", sa.String(length=128), nullable=False),
        sa.Column("template_id", sa.String(length=128), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=_TS), nullable=False),
        sa.Column("deadline", sa.String(length=_TS), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["guarantee_alerts.id"],
            name=op.f("fk_guarantee_obligations_alert_id_guarantee_alerts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guarantee_obligations")),
    )
    op.create_index(
        op.f("ix_guarantee_obligations_alert_id"), "guarantee_obligations", ["alert_id"]
    )
    op.create_index(
        op.f("ix_guarantee_obligations_deadline"), "guarantee_obligations", ["deadline"]
    )
    op.create_table(
        "guarantee_obligation_events",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("obligation_id", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("at", sa.String(length=_TS), nullable=False),
        sa.Column("by", sa.String(length=128), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["obligation_id"],
            ["guarantee_obligations.id"],
            name=op.f("fk_guarantee_obligation_events_obligation_id_guarantee_obligations"),
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_guarantee_obligation_events")),
    )
    op.create_index(
        op.f("ix_guarantee_obligation_events_obligation_id"),
        "guarantee_obligation_events",
        ["obligation_id"],
    )
    op.create_table(
        "guarantee_cases",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("instrument_id", sa.String(length=128), nullable=False),
        sa.Column("fact_id", sa.String(length=128), nullable=False),
        sa.Column("alert_id", sa.String(length=32), nullable=False),
        sa.Column("opened_at", sa.String(length=_TS), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["guarantee_alerts.id"],
            name=op.f("fk_guarantee_cases_alert_id_guarantee_alerts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guarantee_cases")),
    )
    op.create_table(
        "guarantee_case_events",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("at", sa.String(length=_TS), nullable=False),
        sa.Column("by", sa.String(length=128), nullable=False),
        sa.Column("party", sa.String(length=64), nullable=True),
        sa.Column(
            "attribution_id",
            sa.String(length=128),
            nullable=True,
            comment="fusion's attribution record",
        ),
        sa.Column("remedy", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["guarantee_cases.id"],
            name=op.f("fk_guarantee_case_events_case_id_guarantee_cases"),
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_guarantee_case_events")),
    )
    op.create_index(op.f("ix_guarantee_case_events_case_id"), "guarantee_case_events", ["case_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_guarantee_case_events_case_id"), table_name="guarantee_case_events")
    op.drop_table("guarantee_case_events")
    op.drop_table("guarantee_cases")
    op.drop_index(
        op.f("ix_guarantee_obligation_events_obligation_id"),
        table_name="guarantee_obligation_events",
    )
    op.drop_table("guarantee_obligation_events")
    op.drop_index(op.f("ix_guarantee_obligations_deadline"), table_name="guarantee_obligations")
    op.drop_index(op.f("ix_guarantee_obligations_alert_id"), table_name="guarantee_obligations")
    op.drop_table("guarantee_obligations")
    op.drop_index(op.f("ix_guarantee_alerts_fired_at"), table_name="guarantee_alerts")
    op.drop_table("guarantee_alerts")
    op.drop_table("guarantee_files")
