"""Markings on states, notes and attribution records; verdicts on a tearline.

``incident_states``, ``attributions``, ``attribution_decisions`` and ``remedies`` get a
``marking`` (the release signature of the reports their author saw, JSON) and
``incident_states`` a ``tearline`` flag (a verdict by an analyst who saw only part of the
incident). Rows written before carry the marking of all their incident's reports, i.e. they
stay visible to readers of the whole incident only, and no row is a tearline verdict.

Written to match store/fusion.py (tests/fusion/test_fusion_store.py compares them), then
frozen: the SQL here does not import the store's code.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 16:00:00
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MARKING = 'JSON [["CLASSIFICATION", "releasable_to or empty"], ...] of what the author saw'

#: table → SQL giving (row pk, incident pk) of each row
_INCIDENT_OF = {
    "incident_states": "SELECT pk, incident_pk FROM incident_states",
    "attributions": (
        "SELECT a.pk, v.incident_pk FROM attributions AS a "
        "JOIN violations AS v ON v.pk = a.violation_pk"
    ),
    "attribution_decisions": (
        "SELECT d.pk, v.incident_pk FROM attribution_decisions AS d "
        "JOIN attributions AS a ON a.pk = d.attribution_pk "
        "JOIN violations AS v ON v.pk = a.violation_pk"
    ),
    "remedies": (
        "SELECT m.pk, v.incident_pk FROM remedies AS m "
        "JOIN attribution_decisions AS d ON d.pk = m.decision_pk "
        "JOIN attributions AS a ON a.pk = d.attribution_pk "
        "JOIN violations AS v ON v.pk = a.violation_pk"
    ),
}


def _signatures(conn: sa.Connection) -> dict[int, str]:
    """Incident pk → the marking of all its reports (the readers of the whole)."""
    kinds: defaultdict[int, set[tuple[str, str]]] = defaultdict(set)
    for incident_pk, classification, label in conn.exec_driver_sql(
        "SELECT ir.incident_pk, r.classification, coalesce(r.releasable_to, '') "
        "FROM incident_reports AS ir JOIN reports AS r ON r.pk = ir.report_pk"
    ):
        kinds[int(incident_pk)].add((str(classification), str(label)))
    return {
        pk: json.dumps([list(p) for p in sorted(pairs)], separators=(",", ":"))
        for pk, pairs in kinds.items()
    }


def upgrade() -> None:
    for table in _INCIDENT_OF:
        # '' until filled below: no reader sees an unreadable marking
        op.add_column(
            table,
            sa.Column("marking", sa.Text(), nullable=False, server_default="", comment=_MARKING),
        )
    op.add_column(
        "incident_states",
        sa.Column(
            "tearline",
            sa.Boolean(),
            nullable=False,
            server_default=sa.false(),
            comment="a verdict on the author's tearline",
        ),
    )
    conn = op.get_bind()
    signature = _signatures(conn)
    for table, sql in _INCIDENT_OF.items():
        rows = [
            (signature[int(incident_pk)], int(pk))
            for pk, incident_pk in conn.exec_driver_sql(sql).all()
            if int(incident_pk) in signature
        ]
        if rows:
            conn.exec_driver_sql(f"UPDATE {table} SET marking = ? WHERE pk = ?", rows)


def downgrade() -> None:
    op.drop_column("incident_states", "tearline")
    for table in reversed(list(_INCIDENT_OF)):
        op.drop_column(table, "marking")
