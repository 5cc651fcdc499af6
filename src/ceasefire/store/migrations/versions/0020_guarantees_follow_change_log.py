"""The guarantees refresh follows the change log: its evaluations keep a ``change_seq``.

A live evaluation recorded the highest incident, state, decision and remedy pks it had seen,
and the next one took "what changed since" as the rows above them. With several writers a
row with a lower pk can commit after one with a higher pk and was never evaluated. Fusion,
analysts and the attribution workflow now log those rows on the change log
(``store/changes.py``); an evaluation keeps the log's ``seq`` it read before the facts.

Existing evaluations get no ``change_seq`` (NULL): the next refresh replays the whole history
once and records a mark to go on from (``store.guarantee_facts.last_evaluation``).

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-07 22:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_HIGH_WATER = ("incidents_max", "states_max", "decisions_max", "remedy_max")
_COMMENT = "change log seq read before the facts; NULL: recorded before the change log"


def upgrade() -> None:
    with op.batch_alter_table("guarantee_evaluations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("change_seq", sa.Integer(), nullable=True, comment=_COMMENT))
        for name in _HIGH_WATER:
            batch_op.drop_column(name)


def downgrade() -> None:
    """Restores the pk marks as 0 and drops the evaluations' cursor: a downgraded store's next
    incremental refresh would start from nothing, so the evaluations are emptied (the next
    refresh replays the whole history)."""
    op.execute("DELETE FROM guarantee_evaluations")
    with op.batch_alter_table("guarantee_evaluations", schema=None) as batch_op:
        for name in _HIGH_WATER:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
        batch_op.drop_column("change_seq")
