"""reports: who sent each report; keys unique per submitting principal; report delegations.

Every report records its submitter (``submitter``: the account's nation or organisation,
``HQ`` for the HQ itself; ``submitter_pk``: the account). The key becomes
``(source, id, submitter)`` (in that order in the unique index: every lookup gives the
``(source, id)``, while a scope alone selects most rows): each nation has its own key space,
so no answer to a submission depends on another nation's reports
(docs/spec/observation-report.md, "Ownership").
Reports stored before this revision were all ingested without an account: they become the
HQ's (``HQ``, no account). ``report_delegations`` lists the accounts a nation delegated to
amend and withdraw any of its reports. Quarantined lines record their sender's principal too.

Written to match store/schema.py and store/ownership.py (tests/store compares them).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "submitter",
                sa.String(length=16),
                server_default="HQ",
                nullable=False,
                comment="nation or organisation of the sending account; HQ: the HQ itself",
            )
        )
        batch_op.add_column(
            sa.Column(
                "submitter_pk",
                sa.Integer(),
                nullable=True,
                comment="users.pk of the sending account; NULL: the HQ",
            )
        )
        batch_op.drop_constraint("uq_reports_source", type_="unique")
        batch_op.create_unique_constraint(op.f("uq_reports_source"), ["source", "id", "submitter"])
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "submitter",
                sa.String(length=16),
                server_default="HQ",
                nullable=False,
                comment="principal that sent it (revision 0012); HQ: the HQ itself",
            )
        )
    op.create_table(
        "report_delegations",
        sa.Column(
            "principal",
            sa.String(length=16),
            nullable=False,
            comment="the delegating nation or org",
        ),
        sa.Column(
            "user_pk", sa.Integer(), nullable=False, comment="users.pk of the delegated account"
        ),
        sa.Column("granted_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("principal", "user_pk", name=op.f("pk_report_delegations")),
    )


def downgrade() -> None:
    op.drop_table("report_delegations")
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_column("submitter")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_constraint("uq_reports_source", type_="unique")
        batch_op.create_unique_constraint(op.f("uq_reports_source"), ["source", "id"])
        batch_op.drop_column("submitter_pk")
        batch_op.drop_column("submitter")
