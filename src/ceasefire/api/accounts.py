"""Creating users and their first token: shared by ``ceasefire users add`` and the demo."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ceasefire.access.model import SYSTEM_PRINCIPAL, Role, User, check_code
from ceasefire.access.secrets import hash_password, new_token, token_digest
from ceasefire.errors import InputError
from ceasefire.reports.model import Classification
from ceasefire.store.ports import AccessPort


@dataclass(frozen=True, slots=True)
class NewAccount:
    """A created user with the secrets shown once (only their hashes are stored)."""

    user: User
    token: str
    password: str | None


def create_account(
    access: AccessPort,
    *,
    name: str,
    nation: str | None,
    organisation: str | None,
    clearance: Classification,
    roles: Iterable[Role],
    password: str | None,
    now: datetime,
) -> NewAccount:
    """Store a user (nation XOR organisation, at least one role) with one API token."""
    if not name.strip():
        raise InputError("name", "required", "a user needs a name")
    if (nation is None) == (organisation is None):
        raise InputError("nation", "one_of", "give exactly one of --nation and --organisation")
    if nation is not None:
        check_code(nation, field="nation")
    if organisation is not None:
        check_code(organisation, field="organisation")
    if SYSTEM_PRINCIPAL in (nation, organisation):
        field = "nation" if nation == SYSTEM_PRINCIPAL else "organisation"
        raise InputError(field, "reserved", f"{SYSTEM_PRINCIPAL!r} is the HQ's own principal")
    role_set = frozenset(roles)
    if not role_set:
        raise InputError("role", "required", "give at least one --role")
    user = access.add_user(
        name=name,
        nation=nation,
        organisation=organisation,
        clearance=clearance,
        roles=role_set,
        password_hash=hash_password(password) if password else None,
        now=now,
    )
    token = new_token()
    access.add_credential(user_pk=user.pk, digest=token_digest(token), kind="token", now=now)
    return NewAccount(user, token, password)
