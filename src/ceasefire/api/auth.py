"""Who is calling: a bearer token, or the browser's session cookie plus its CSRF header.

Every route but ``/healthz``, the login page and the login itself depends on ``current_user``.
A session cookie is ``HttpOnly`` and ``SameSite=Strict``; unsafe methods with a cookie must
also echo the session's CSRF token in ``X-CSRF-Token`` (a bearer token is not sent by the
browser on its own, so it needs no CSRF check).

Failed logins are slowed down per account name *and* per client address: after
``FREE_FAILURES`` failures in a row for a name (``ADDRESS_FREE_FAILURES`` from an address:
an office may share one), the next attempt waits 2, 4, 8 ... seconds (at most
``MAX_WAIT_S``), answered 429 with ``Retry-After`` until then. Each attempt is counted
before its password is checked, in one conditional statement (``reserve_login_attempt``),
so concurrent guesses cannot slip between the check and the count; a success gives its
count back. An unknown name is counted and checked against a dummy scrypt hash, so it costs
the same work and time as a known one and its answer tells nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request

from ceasefire.access.model import Role, User
from ceasefire.access.secrets import new_token, token_digest, verify_password
from ceasefire.api.state import HQState
from ceasefire.errors import AuthError, ForbiddenError, ThrottledError
from ceasefire.store.access_sql import (
    add_credential,
    delete_credential,
    forgive_login_attempt,
    reserve_login_attempt,
    user_by_name,
    user_for_credential,
)

SESSION_COOKIE = "cf_session"
CSRF_HEADER = "X-CSRF-Token"
SESSION_HOURS = 12
FREE_FAILURES = 3
ADDRESS_FREE_FAILURES = 10
MAX_WAIT_S = 300
#: Checked for a name without a password hash (unknown, or a token-only user): the same
#: scrypt work as a real check, and no password matches it (an all-zero digest).
_DUMMY_HASH = "scrypt$" + "00" * 16 + "$" + "00" * 32
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


async def hq(request: Request) -> HQState:
    """The app's state (set by ``create_app``).

    Dependencies that only read memory or make one indexed lookup are ``async``: FastAPI runs
    a sync dependency in its thread pool, and under load those hand-offs (one per dependency
    per request, each fighting for the GIL) cost more than the work (bench/api.py).
    """
    state: HQState = request.app.state.hq
    return state


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


async def current_user(request: Request, state: Annotated[HQState, Depends(hq)]) -> User:
    """The caller, or ``AuthError`` (401). Checks CSRF for cookie sessions on unsafe methods."""
    now_s = state.clock.now().timestamp()
    token = _bearer(request)
    if token is not None:
        found = user_for_credential(state.reads, token_digest(token), now_s=now_s)
        if found is None:
            raise AuthError("unknown or expired token")
        return found[0]
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise AuthError("no token: send 'Authorization: Bearer <token>' or log in")
    found = user_for_credential(state.reads, token_digest(cookie), now_s=now_s)
    if found is None:
        raise AuthError("session expired: log in again")
    user, _, csrf = found
    if request.method not in _SAFE:
        sent = request.headers.get(CSRF_HEADER, "")
        if not csrf or not hmac.compare_digest(sent, csrf):
            raise ForbiddenError(f"missing or wrong {CSRF_HEADER} header for a session request")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require(*roles: Role) -> Callable[[User], Awaitable[User]]:
    """A dependency admitting users with any of ``roles`` (admins always)."""

    async def check(user: CurrentUser) -> User:
        if not any(user.may(role) for role in roles):
            wanted = " or ".join(r.value for r in roles)
            raise ForbiddenError(f"this action needs the role {wanted}")
        return user

    return check


def _throttle_keys(name: str, address: str) -> tuple[str, str]:
    """The throttle rows of an account name and a client address (``login_failures.name``);
    a long name is hashed to fit the column (a collision needs a SHA-256 preimage)."""
    shown = name if len(name) <= 120 else hashlib.sha256(name.encode("utf-8")).hexdigest()
    return f"name:{shown}", f"addr:{address}"


def log_in(state: HQState, name: str, password: str, *, address: str) -> tuple[User, str, str]:
    """Check a password (throttled per name and per ``address``); a new session:
    ``(user, cookie, csrf)``."""
    now = state.clock.now()
    name_key, address_key = _throttle_keys(name, address)
    waiting = reserve_login_attempt(
        state.engine,
        [(name_key, FREE_FAILURES), (address_key, ADDRESS_FREE_FAILURES)],
        now_s=now.timestamp(),
        max_wait_s=MAX_WAIT_S,
    )
    if waiting is not None:
        key, wait_s = waiting
        whose = f"for {name!r}" if key == name_key else "from this address"
        retry_s = int(wait_s) + (0 if wait_s == int(wait_s) else 1)
        raise ThrottledError(
            f"too many failed logins {whose}: retry in {retry_s} s", retry_after_s=retry_s
        )
    found = user_by_name(state.engine, name)
    stored = found[1] if found is not None and found[1] else _DUMMY_HASH
    if not verify_password(password, stored) or found is None or stored is _DUMMY_HASH:
        raise AuthError("wrong name or password")
    forgive_login_attempt(state.engine, clear=name_key, give_back=[address_key])
    cookie, csrf = new_token(), secrets.token_urlsafe(24)
    expires = now + timedelta(hours=SESSION_HOURS)
    add_credential(
        state.engine,
        user_pk=found[0].pk,
        digest=token_digest(cookie),
        kind="session",
        now=now,
        csrf=csrf,
        expires_s=expires.timestamp(),
    )
    return found[0], cookie, csrf


def log_out(state: HQState, request: Request) -> None:
    """End the caller's cookie session (bearer tokens are revoked by an admin, not here)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        delete_credential(state.engine, token_digest(cookie))
