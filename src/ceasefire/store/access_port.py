"""``AccessPort`` in SQLAlchemy Core: accounts, credentials, throttling, release groups and
submitters over one engine, on either backend (``store/access_sql.py``, ``ownership.py``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Engine

from ceasefire.access.model import Role, User
from ceasefire.reports.model import Classification
from ceasefire.store import access_sql, ownership
from ceasefire.store.base import Submitter
from ceasefire.store.dialect import statement_reads


class SqlAccess:
    """The access subject of one database (``store.ports.AccessPort``)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # the token lookup runs on every request: no transaction around it on PostgreSQL
        self._reads = statement_reads(engine)

    def release_groups(self) -> dict[str, frozenset[str]]:
        """Stored release groups (the shipped table stored on first use)."""
        return access_sql.load_release_groups(self._engine)

    def labels(self) -> list[str]:
        """Releasability labels stored on reports."""
        return access_sql.stored_labels(self._engine)

    def add_user(
        self,
        *,
        name: str,
        nation: str | None,
        organisation: str | None,
        clearance: Classification,
        roles: Iterable[Role],
        password_hash: str | None,
        now: datetime,
    ) -> User:
        """Store a user; ``InputError`` on a taken name."""
        return access_sql.add_user(
            self._engine,
            name=name,
            nation=nation,
            organisation=organisation,
            clearance=clearance,
            roles=roles,
            password_hash=password_hash,
            now=now,
        )

    def users(self) -> list[User]:
        """Every user (never their secrets)."""
        return access_sql.list_users(self._engine)

    def user_by_name(self, name: str) -> tuple[User, str | None] | None:
        """A user and their password hash, or None."""
        return access_sql.user_by_name(self._engine, name)

    def add_credential(
        self,
        *,
        user_pk: int,
        digest: str,
        kind: str,
        now: datetime,
        csrf: str | None = None,
        expires_s: float | None = None,
    ) -> None:
        """Store a token's or session's digest (never the secret)."""
        access_sql.add_credential(
            self._engine,
            user_pk=user_pk,
            digest=digest,
            kind=kind,
            now=now,
            csrf=csrf,
            expires_s=expires_s,
        )

    def user_for_credential(
        self, digest: str, *, now_s: float
    ) -> tuple[User, str, str | None] | None:
        """The user of an unexpired credential, its kind and CSRF token, or None."""
        return access_sql.user_for_credential(self._reads, digest, now_s=now_s)

    def delete_credential(self, digest: str) -> None:
        """Forget a credential (logout)."""
        access_sql.delete_credential(self._engine, digest)

    def reserve_login_attempt(
        self, keys: Sequence[tuple[str, int]], *, now_s: float, max_wait_s: float
    ) -> tuple[str, float] | None:
        """Count a login attempt on every key, or the key and seconds to wait."""
        return access_sql.reserve_login_attempt(
            self._engine, keys, now_s=now_s, max_wait_s=max_wait_s
        )

    def forgive_login_attempt(self, *, clear: str, give_back: Sequence[str]) -> None:
        """After a good login: clear one key's failures, give back others' attempt."""
        access_sql.forgive_login_attempt(self._engine, clear=clear, give_back=give_back)

    def submitter_of(self, user: User) -> Submitter:
        """Who ``user`` sends reports as (their account and principal)."""
        with self._engine.connect() as conn:
            return ownership.submitter_of(conn, user)

    def submitter_named(self, name: str | None) -> Submitter:
        """The submitter of account ``name`` (the HQ system for None)."""
        return ownership.submitter_named(self._engine, name)

    def set_delegation(self, *, principal: str, name: str, granted: bool, now: datetime) -> bool:
        """Grant or revoke a nation's delegation to an account; whether anything changed."""
        return ownership.set_delegation(
            self._engine, principal=principal, name=name, granted=granted, now=now
        )
