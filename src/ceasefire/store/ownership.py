"""Who may change a report: the submitter recorded on it, and the accounts a nation delegated.

A report's key ``(source, id)`` lives in the scope of the principal (nation or organisation)
whose account sent it; only that account, or an account of the same principal that the
principal has delegated, may amend or withdraw it (docs/spec/observation-report.md,
"Ownership"). This module keeps the delegations (``report_delegations``) and turns an
account into the ``Submitter`` the ingest carries.

A delegation is given to an account of the delegating principal only: keys are looked up in
the submitter's own scope, so an account of another nation could never reach the reports a
delegation would hand it. Granting and revoking are chained on the ledger
(``report.delegation``) when the ledger tables exist.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    delete,
    insert,
    inspect,
    select,
)

from ceasefire.access.model import SYSTEM_PRINCIPAL, User, check_code
from ceasefire.errors import InputError, StoreError
from ceasefire.ledger.canonical import JsonValue
from ceasefire.ledger.model import LedgerEvent
from ceasefire.store.access import users
from ceasefire.store.access_sql import user_by_name
from ceasefire.store.base import SYSTEM_SUBMITTER, Submitter
from ceasefire.store.isotime import iso
from ceasefire.store.ledger import record_in
from ceasefire.store.metadata import metadata

#: Ledger event type of a delegation granted or revoked (any dotted name verifies).
DELEGATION_EVENT = "report.delegation"

report_delegations = Table(
    "report_delegations",
    metadata,
    Column("principal", String(16), nullable=False, comment="the delegating nation or org"),
    Column("user_pk", Integer, nullable=False, comment="users.pk of the delegated account"),
    Column("granted_at", String(40), nullable=False),
    PrimaryKeyConstraint("principal", "user_pk"),
)


def submitter_of(conn: Connection, user: User) -> Submitter:
    """The ``Submitter`` for ``user``: their principal, their pk and whether it delegated them."""
    delegated = conn.execute(
        select(report_delegations.c.user_pk).where(
            report_delegations.c.principal == user.principal,
            report_delegations.c.user_pk == user.pk,
        )
    ).first()
    return Submitter(user.principal, user.pk, delegate=delegated is not None)


def submitter_named(engine: Engine, name: str | None) -> Submitter:
    """The submitter for ``ceasefire ingest --as NAME``; the HQ itself without a name.

    Raises ``InputError`` (field ``as``) when no enabled account has that name.
    """
    if name is None:
        return SYSTEM_SUBMITTER
    if not inspect(engine).has_table(report_delegations.name):
        raise StoreError(f"database {engine.url} is not initialised: run `ceasefire init`")
    found = user_by_name(engine, name)
    if found is None:
        raise InputError("as", "unknown_user", f"no enabled account named {name!r}")
    with engine.connect() as conn:
        return submitter_of(conn, found[0])


def submitter_of_account(engine: Engine, principal: str, user_pk: int | None) -> Submitter:
    """The ``Submitter`` of a batch that names its scope and account (a bus message, whose
    publisher authenticated the account): the HQ itself without an account; otherwise the
    account, delegated or not as ``report_delegations`` says now."""
    if user_pk is None:
        return Submitter(principal)
    with engine.connect() as conn:
        delegated = conn.execute(
            select(report_delegations.c.user_pk).where(
                report_delegations.c.principal == principal,
                report_delegations.c.user_pk == user_pk,
            )
        ).first()
    return Submitter(principal, user_pk, delegate=delegated is not None)


def set_delegation(
    engine: Engine, *, principal: str, name: str, granted: bool, now: datetime
) -> bool:
    """Grant (``granted``) or revoke the delegation of account ``name`` by ``principal``.

    Returns whether anything changed (granting twice or revoking nothing changes nothing and
    chains nothing). ``InputError`` for an unknown account, a code that is not one, the HQ's
    own principal, or an account of another principal.
    """
    check_code(principal, field="nation")
    if principal == SYSTEM_PRINCIPAL:
        raise InputError("nation", "reserved", f"{SYSTEM_PRINCIPAL!r} is the HQ's own principal")
    found = user_by_name(engine, name)
    if found is None:
        raise InputError("to", "unknown_user", f"no enabled account named {name!r}")
    user = found[0]
    if user.principal != principal:
        raise InputError(
            "to",
            "other_principal",
            f"{name} belongs to {user.principal}, not {principal}: a nation delegates only its "
            "own accounts (keys are scoped per nation)",
        )
    table = report_delegations
    with engine.begin() as conn:
        where = (table.c.principal == principal, table.c.user_pk == user.pk)
        present = conn.execute(select(table.c.user_pk).where(*where)).first() is not None
        if present == granted:
            return False
        if granted:
            row = {"principal": principal, "user_pk": user.pk, "granted_at": iso(now)}
            conn.execute(insert(table).values(row))
        else:
            conn.execute(delete(table).where(*where))
        payload: dict[str, JsonValue] = {"principal": principal, "user": name, "granted": granted}
        record_in(conn, [LedgerEvent(DELEGATION_EVENT, principal, payload)], at=now)
    return True


def delegations(engine: Engine) -> list[tuple[str, str, str]]:
    """Every delegation as ``(principal, account name, granted_at)``, by principal and name."""
    table = report_delegations
    with engine.connect() as conn:
        rows = conn.execute(
            select(table.c.principal, users.c.name, table.c.granted_at)
            .join(users, users.c.pk == table.c.user_pk)
            .order_by(table.c.principal, users.c.name)
        ).all()
    return [(str(p), str(n), str(g)) for p, n, g in rows]
