"""Users, credentials, login throttling and the releasability filter, in SQL.

``visible_reports`` is the one place the rule "a user sees a report only if it is releasable
to their nation and their clearance covers it" becomes SQL; every HQ query over reports,
incidents, violations, counts and the daily report is built on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from importlib import resources

import yaml
from sqlalchemy import (
    ColumnElement,
    Engine,
    RowMapping,
    and_,
    delete,
    false,
    insert,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError

from ceasefire.access.model import Role, User, Viewer
from ceasefire.access.releasability import releasable_labels, resolve_groups
from ceasefire.errors import InputError, StoreError
from ceasefire.reports.model import Classification
from ceasefire.store import schema
from ceasefire.store.access import (
    credentials,
    login_failures,
    release_groups,
    release_labels,
    users,
)
from ceasefire.store.dialect import is_postgresql, raw_cursor
from ceasefire.store.isotime import iso


def shipped_release_groups() -> dict[str, frozenset[str]]:
    """The groups in ``ceasefire/data/release_groups.yaml`` (a source and date per group),
    flat: each group's literal members plus those of the groups it ``includes``."""
    text = resources.files("ceasefire").joinpath("data/release_groups.yaml").read_text("utf-8")
    data = yaml.safe_load(text)["groups"]
    return resolve_groups(
        {
            str(name): (
                [str(m) for m in entry.get("members") or ()],
                [str(g) for g in entry.get("includes") or ()],
            )
            for name, entry in data.items()
        }
    )


def _stored_groups(engine: Engine) -> dict[str, frozenset[str]]:
    groups: dict[str, set[str]] = {}
    with engine.connect() as conn:
        for name, member in conn.execute(select(release_groups)).all():
            groups.setdefault(name, set()).add(member)
    return {name: frozenset(members) for name, members in groups.items()}


def load_release_groups(engine: Engine) -> dict[str, frozenset[str]]:
    """The stored groups, after storing the shipped ones where they differ.

    The shipped file owns the groups it names: a store seeded with an older list (say a
    ``COALITION`` that named ``EU`` and ``NATO`` as groups to expand) gets the corrected one
    on its next start. Groups only the store has (``set_release_group``) are kept.

    Several processes may start at once (server workers, a CLI): each rewrite deletes the
    group's rows before inserting them, in one transaction, so a second writer waits for the
    first one's lock (the busy timeout) and then writes the same rows again.
    """
    stored = _stored_groups(engine)
    shipped = shipped_release_groups()
    stale = {name: ms for name, ms in shipped.items() if stored.get(name) != ms}
    if not stale:
        return stored
    try:
        with engine.begin() as conn:
            conn.execute(delete(release_groups).where(release_groups.c.group_name.in_(stale)))
            conn.execute(
                insert(release_groups),
                [{"group_name": g, "member": m} for g, ms in stale.items() for m in sorted(ms)],
            )
    except IntegrityError:
        pass  # another process wrote the same rows between our delete and insert
    return _stored_groups(engine)


def set_release_group(engine: Engine, name: str, members: Iterable[str]) -> None:
    """Replace one group's members (creating the group); the shipped groups are refused
    (edit ``data/release_groups.yaml`` with its source: a start would undo the change)."""
    if name in shipped_release_groups():
        raise InputError("group", "shipped", f"{name!r} is defined by release_groups.yaml")
    load_release_groups(engine)
    with engine.begin() as conn:
        conn.execute(delete(release_groups).where(release_groups.c.group_name == name))
        rows = [{"group_name": name, "member": m} for m in sorted(set(members))]
        if rows:
            conn.execute(insert(release_groups), rows)
        from ceasefire.store.read_model_write import mark_tearlines_stale  # noqa: PLC0415 - cycle

        mark_tearlines_stale(conn)


def stored_labels(engine: Engine) -> list[str]:
    """Every distinct ``releasable_to`` value stored so far ('' = default)."""
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(select(release_labels.c.label))]


def visible_reports(viewer: Viewer | None, labels: Iterable[str]) -> ColumnElement[bool]:
    """The reports ``viewer`` may see, as a condition on ``schema.reports``.

    ``None`` (the system itself) sees everything. ``labels`` are the stored releasability
    labels (``stored_labels``); those that reach the viewer become an ``IN`` list, so the test
    per row is an indexed-free string comparison, not a split of the label.
    """
    if viewer is None:
        return true()
    r = schema.reports
    classes = [c.value for c in Classification if viewer.sees_classification(c.value)]
    reach = releasable_labels(labels, viewer)
    audience: list[ColumnElement[bool]] = []
    if reach:
        audience.append(r.c.releasable_to.in_(reach))
    if viewer.default_audience:
        audience.append(or_(r.c.releasable_to.is_(None), r.c.releasable_to == ""))
    if not audience or not classes:
        return false()
    return and_(r.c.classification.in_(classes), or_(*audience))


def _user(row: RowMapping) -> User:
    return User(
        pk=int(str(row["pk"])),
        name=str(row["name"]),
        nation=None if row["nation"] is None else str(row["nation"]),
        organisation=None if row["organisation"] is None else str(row["organisation"]),
        clearance=Classification(str(row["clearance"])),
        roles=frozenset(Role(x) for x in str(row["roles"]).split(";") if x),
    )


def add_user(
    engine: Engine,
    *,
    name: str,
    nation: str | None,
    organisation: str | None,
    clearance: Classification,
    roles: Iterable[Role],
    password_hash: str | None,
    now: datetime,
) -> User:
    """Store a new user; ``StoreError`` if the name is taken."""
    with engine.begin() as conn:
        taken = conn.execute(select(users.c.pk).where(users.c.name == name)).first()
        if taken is not None:
            raise StoreError(f"name: a user {name!r} exists already [unique]")
        pk = conn.execute(
            insert(users).values(
                name=name,
                nation=nation,
                organisation=organisation,
                clearance=clearance.value,
                roles=";".join(sorted(r.value for r in roles)),
                password_hash=password_hash,
                created_at=iso(now),
                disabled=False,
            )
        ).inserted_primary_key
        assert pk is not None
        row = conn.execute(select(users).where(users.c.pk == pk[0])).mappings().one()
    return _user(row)


def list_users(engine: Engine) -> list[User]:
    """Every enabled user, by name."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(users).where(users.c.disabled.is_(False)).order_by(users.c.name)
        ).mappings()
        return [_user(row) for row in rows]


def user_by_name(engine: Engine, name: str) -> tuple[User, str | None] | None:
    """An enabled user and their password hash, or None."""
    with engine.connect() as conn:
        row = (
            conn.execute(select(users).where(users.c.name == name, users.c.disabled.is_(False)))
            .mappings()
            .first()
        )
    if row is None:
        return None
    return _user(row), row["password_hash"]


def add_credential(
    engine: Engine,
    *,
    user_pk: int,
    digest: str,
    kind: str,
    now: datetime,
    csrf: str | None = None,
    expires_s: float | None = None,
) -> None:
    """Store a token's or session's digest for a user."""
    with engine.begin() as conn:
        conn.execute(
            insert(credentials).values(
                digest=digest,
                user_pk=user_pk,
                kind=kind,
                csrf=csrf,
                created_at=iso(now),
                expires_s=expires_s,
            )
        )


#: The user and kind of a live credential, as one indexed lookup on the DB-API cursor: this
#: runs on every request, and SQLAlchemy's statement building and row mapping cost several
#: times the lookup itself (bench/api.py).
_CREDENTIAL_SQL = (
    "SELECT u.pk, u.name, u.nation, u.organisation, u.clearance, u.roles, c.kind, c.csrf "
    "FROM credentials AS c JOIN users AS u ON u.pk = c.user_pk "
    "WHERE c.digest = ? AND NOT u.disabled AND (c.expires_s IS NULL OR c.expires_s > ?)"
)


def user_for_credential(
    engine: Engine, digest: str, *, now_s: float
) -> tuple[User, str, str | None] | None:
    """The enabled user a live credential belongs to, with its kind and CSRF token."""
    with engine.connect() as conn:
        cur = raw_cursor(conn)
        try:
            cur.execute(_CREDENTIAL_SQL, (digest, now_s))
            row = cur.fetchone()
        finally:
            cur.close()
    if row is None:
        return None
    pk, name, nation, organisation, clearance, roles, kind, csrf = row
    user = User(
        pk=int(pk),
        name=str(name),
        nation=None if nation is None else str(nation),
        organisation=None if organisation is None else str(organisation),
        clearance=Classification(str(clearance)),
        roles=frozenset(Role(x) for x in str(roles).split(";") if x),
    )
    return user, str(kind), None if csrf is None else str(csrf)


def delete_credential(engine: Engine, digest: str) -> None:
    """Revoke a token or end a session."""
    with engine.begin() as conn:
        conn.execute(delete(credentials).where(credentials.c.digest == digest))


#: One attempt counted against a throttle key, only if the key is not waiting: failures in a
#: row up to ``free`` pass at once, then each waits ``2 ** (failures - free + 1)`` seconds
#: after the last one (at most ``max_wait``). One statement: the check and the count cannot
#: be split by a concurrent attempt (SQLite runs one writer at a time; PostgreSQL locks the
#: conflicting row). ``{least}`` is the two-argument minimum: ``min`` on SQLite, ``least``
#: on PostgreSQL (whose ``min`` is only the aggregate).
_RESERVE_SQL = (
    "INSERT INTO login_failures (name, failures, last_failure_s) VALUES (:key, 1, :now) "
    "ON CONFLICT (name) DO UPDATE SET failures = login_failures.failures + 1, "
    "last_failure_s = :now "
    "WHERE login_failures.failures < :free OR :now >= login_failures.last_failure_s + "
    "{least}(1 << {least}(login_failures.failures - :free + 1, 30), :max_wait) "
    "RETURNING failures"
)
_RESERVE = {
    False: text(_RESERVE_SQL.format(least="min")),
    True: text(_RESERVE_SQL.format(least="least")),
}


def login_wait_s(
    failures: int, last_s: float, *, free: int, max_wait_s: float, now_s: float
) -> float:
    """Seconds a throttle key still waits (0 if an attempt may go through now)."""
    if failures < free:
        return 0.0
    wait_s = min(float(2 ** min(failures - free + 1, 30)), max_wait_s)
    return max(last_s + wait_s - now_s, 0.0)


def reserve_login_attempt(
    engine: Engine, keys: Sequence[tuple[str, int]], *, now_s: float, max_wait_s: float
) -> tuple[str, float] | None:
    """Count one login attempt against every ``(key, free failures)`` in one transaction,
    before the password is checked (a success gives it back: ``forgive_login_attempt``).

    ``None`` when counted; else ``(key, seconds to wait)`` of the first key that is waiting,
    and nothing is counted. Thirty concurrent attempts therefore get at most ``free``
    through, whatever their timing.
    """
    params = {"now": now_s, "max_wait": max_wait_s}
    with engine.connect() as conn, conn.begin() as transaction:
        for key, free in keys:
            reserve = _RESERVE[is_postgresql(conn)]
            if conn.execute(reserve, {**params, "key": key, "free": free}).first():
                continue
            failures, last_s = conn.execute(
                select(login_failures.c.failures, login_failures.c.last_failure_s).where(
                    login_failures.c.name == key
                )
            ).one()
            transaction.rollback()
            wait_s = login_wait_s(
                int(failures), float(last_s), free=free, max_wait_s=max_wait_s, now_s=now_s
            )
            return key, max(wait_s, 1.0)
    return None


def forgive_login_attempt(engine: Engine, *, clear: str, give_back: Sequence[str]) -> None:
    """After a successful login: forget the failures of ``clear`` (the account) and take
    back this attempt's count from ``give_back`` (the address: its other failures stay, so
    logging into one's own account does not reset an address that guesses others')."""
    with engine.begin() as conn:
        conn.execute(delete(login_failures).where(login_failures.c.name == clear))
        conn.execute(
            update(login_failures)
            .where(login_failures.c.name.in_(give_back), login_failures.c.failures > 0)
            .values(failures=login_failures.c.failures - 1)
        )
