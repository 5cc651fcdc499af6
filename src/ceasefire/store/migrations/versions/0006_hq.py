"""hq: users, credentials, login throttling, release groups and labels.

Written to match store/access.py (tests/api/test_access_store.py compares the migrated schema
with the metadata), then frozen; later changes go into new revisions. Fills
``release_labels`` from the reports already stored.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 15:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = 40


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column(
            "nation",
            sa.String(length=16),
            nullable=True,
            comment="ISO 3166-1 alpha-3; NULL for an organisation's user",
        ),
        sa.Column(
            "organisation",
            sa.String(length=16),
            nullable=True,
            comment="e.g. EU, OSCE; NULL for a nation's user",
        ),
        sa.Column("clearance", sa.String(length=16), nullable=False),
        sa.Column("roles", sa.Text(), nullable=False, comment="';'-joined"),
        sa.Column(
            "password_hash", sa.Text(), nullable=True, comment="scrypt$salt$hash; NULL: token only"
        ),
        sa.Column("created_at", sa.String(length=_TS), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
    )
    op.create_table(
        "credentials",
        sa.Column(
            "digest", sa.String(length=64), nullable=False, comment="SHA-256 hex of the token"
        ),
        sa.Column("user_pk", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False, comment="token | session"),
        sa.Column(
            "csrf",
            sa.String(length=64),
            nullable=True,
            comment="sessions: the CSRF token the page echoes",
        ),
        sa.Column("created_at", sa.String(length=_TS), nullable=False),
        sa.Column(
            "expires_s",
            sa.Float(),
            nullable=True,
            comment="epoch seconds UTC; NULL: until revoked",
        ),
        sa.ForeignKeyConstraint(
            ["user_pk"], ["users.pk"], name=op.f("fk_credentials_user_pk_users")
        ),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_credentials")),
    )
    op.create_index("ix_credentials_user_pk", "credentials", ["user_pk"])
    op.create_table(
        "login_failures",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_s", sa.Float(), nullable=False, comment="epoch seconds UTC"),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_login_failures")),
    )
    op.create_table(
        "release_groups",
        sa.Column("group_name", sa.String(length=32), nullable=False),
        sa.Column("member", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("group_name", "member", name=op.f("pk_release_groups")),
    )
    op.create_table(
        "release_labels",
        sa.Column(
            "label",
            sa.Text(),
            nullable=False,
            comment="a reports.releasable_to value; '' = default",
        ),
        sa.PrimaryKeyConstraint("label", name=op.f("pk_release_labels")),
    )
    op.execute(
        "INSERT INTO release_labels (label) "
        "SELECT DISTINCT COALESCE(releasable_to, '') FROM reports"
    )


def downgrade() -> None:
    op.drop_table("release_labels")
    op.drop_table("release_groups")
    op.drop_table("login_failures")
    op.drop_index("ix_credentials_user_pk", table_name="credentials")
    op.drop_table("credentials")
    op.drop_table("users")
