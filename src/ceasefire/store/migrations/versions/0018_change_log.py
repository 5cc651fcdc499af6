"""The change log: consumers follow a commit-ordered sequence instead of the highest pk seen.

Fusion found the reports stored since its last run as those above the highest report pk it
had fused. With several writers (PostgreSQL) a report with a lower pk can commit after one
with a higher pk and would never be fused. ``changes`` numbers what was written in commit
order (``store/changes.py``); ``change_cursors`` keeps where each consumer stands.

Existing stores: the reports above the old high-water mark (which was exact with SQLite's
single writer) are logged, and fusion's cursor starts before them, so nothing stored before
the upgrade is left unfused; a store never fused gets no cursor and is fused whole next time.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 19:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "changes",
        sa.Column("seq", sa.Integer(), sa.Identity(), nullable=False, comment="commit order"),
        sa.Column("kind", sa.String(length=16), nullable=False, comment="what changed: report"),
        sa.Column("subject_pk", sa.Integer(), nullable=False, comment="pk of the row of that kind"),
        sa.Column("at", sa.String(length=32), nullable=False, comment="when written, ISO 8601 UTC"),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_changes")),
    )
    op.create_table(
        "change_cursors",
        sa.Column("consumer", sa.String(length=32), nullable=False, comment="e.g. fusion"),
        sa.Column(
            "seq", sa.Integer(), nullable=False, comment="changes up to this seq are consumed"
        ),
        sa.PrimaryKeyConstraint("consumer", name=op.f("pk_change_cursors")),
    )
    bind = op.get_bind()
    fused_up_to = bind.exec_driver_sql(
        "SELECT max(ir.report_pk) FROM incident_reports AS ir "
        "JOIN incident_fusion AS f ON f.incident_pk = ir.incident_pk"
    ).scalar()
    if fused_up_to:
        bind.exec_driver_sql(
            "INSERT INTO changes (kind, subject_pk, at) SELECT 'report', pk, received_at "
            f"FROM reports WHERE pk > {int(fused_up_to)} ORDER BY pk"
        )
        bind.exec_driver_sql("INSERT INTO change_cursors (consumer, seq) VALUES ('fusion', 0)")


def downgrade() -> None:
    op.drop_table("change_cursors")
    op.drop_table("changes")
