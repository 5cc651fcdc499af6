"""The bus's intake messages settled by the ``prepare`` workers (``store/bus_intake.py``).

A ``prepare`` worker writes a batch only once every earlier batch of the stream is written;
this table says which are, in the database that holds them, so that the turn does not depend
on the JetStream server's acknowledgement floor (which a server restart can leave behind).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 22:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bus_intake_done",
        sa.Column(
            "epoch",
            sa.String(length=40),
            nullable=False,
            comment="the stream's creation time, ISO 8601",
        ),
        sa.Column(
            "stream_seq", sa.Integer(), nullable=False, comment="the message's stream sequence"
        ),
        sa.Column(
            "content_id", sa.String(length=64), nullable=False, comment="Nats-Msg-Id (SHA-256, hex)"
        ),
        sa.Column("outcome", sa.String(length=16), nullable=False, comment="written or poison"),
        sa.Column(
            "done_at", sa.String(length=40), nullable=False, comment="when recorded, ISO 8601 UTC"
        ),
        sa.PrimaryKeyConstraint("epoch", "stream_seq", name=op.f("pk_bus_intake_done")),
    )


def downgrade() -> None:
    op.drop_table("bus_intake_done")
