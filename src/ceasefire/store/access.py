"""HQ access tables: users, their credentials, login throttling, release groups and labels.

* Credentials are hashes only (``ceasefire.access.secrets``): an API token and a browser
  session are both a credential row; a session also carries its CSRF token and an expiry.
* ``login_failures`` counts failed logins in a row per throttle key: ``name:<account name>``
  or ``addr:<client address>`` (``ceasefire.api.auth``).
* ``release_labels`` holds every distinct ``reports.releasable_to`` value ever stored ('' for
  the default). The store adds new ones in the same transaction as the reports, so a reader's
  filter is ``releasable_to IN (labels that reach them)`` without scanning the reports table.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from ceasefire.store.metadata import metadata

users = Table(
    "users",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("nation", String(16), comment="ISO 3166-1 alpha-3; NULL for an organisation's user"),
    Column("organisation", String(16), comment="e.g. EU, OSCE; NULL for a nation's user"),
    Column("clearance", String(16), nullable=False),
    Column("roles", Text, nullable=False, comment="';'-joined"),
    Column("password_hash", Text, comment="scrypt$salt$hash; NULL: token only"),
    Column("created_at", String(40), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
)

credentials = Table(
    "credentials",
    metadata,
    Column("digest", String(64), primary_key=True, comment="SHA-256 hex of the token"),
    Column("user_pk", Integer, ForeignKey("users.pk"), nullable=False),
    Column("kind", String(8), nullable=False, comment="token | session"),
    Column("csrf", String(64), comment="sessions: the CSRF token the page echoes"),
    Column("created_at", String(40), nullable=False),
    Column("expires_s", Float, comment="epoch seconds UTC; NULL: until revoked"),
    Index("ix_credentials_user_pk", "user_pk"),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_s", Float, nullable=False, comment="epoch seconds UTC"),
)

release_groups = Table(
    "release_groups",
    metadata,
    Column("group_name", String(32), nullable=False),
    Column("member", String(32), nullable=False),
    PrimaryKeyConstraint("group_name", "member"),
)

release_labels = Table(
    "release_labels",
    metadata,
    Column("label", Text, primary_key=True, comment="a reports.releasable_to value; '' = default"),
)

ACCESS_TABLES: tuple[Table, ...] = (
    users,
    credentials,
    login_failures,
    release_groups,
    release_labels,
)
