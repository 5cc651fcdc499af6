"""The live guarantees evaluator's checkpoint (``store/guarantee_checkpoints.py``).

The evaluator keeps its trigger windows in memory and is fed what changed; its state is saved
here so that a restart (or another process: the ``guarantees`` bus worker) continues from it
instead of reading the whole history back. One row is kept.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 22:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = 40


def upgrade() -> None:
    op.create_table(
        "guarantee_checkpoints",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False, comment="random, per checkpoint"),
        sa.Column(
            "evaluated_until",
            sa.String(length=_TS),
            nullable=False,
            comment="state evaluated up to",
        ),
        sa.Column("file_pk", sa.Integer(), nullable=False, comment="the guarantees file evaluated"),
        sa.Column(
            "ratifications", sa.Integer(), nullable=False, comment="ratification records seen"
        ),
        sa.Column("superseded", sa.Integer(), nullable=False, comment="incidents not active, seen"),
        sa.Column("change_seq", sa.Integer(), nullable=False, comment="the change log's seq seen"),
        sa.Column(
            "state", sa.LargeBinary(), nullable=False, comment="LiveEvaluator.checkpoint() bytes"
        ),
        sa.Column("recorded_at", sa.String(length=_TS), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_guarantee_checkpoints")),
    )


def downgrade() -> None:
    op.drop_table("guarantee_checkpoints")
