"""Who is calling: a bearer token, or the browser's session cookie plus its CSRF header.

Every route but ``/healthz``, the login page and the login itself depends on ``current_user``.
A session cookie is ``HttpOnly`` and ``SameSite=Strict``; unsafe methods with a cookie must
also echo the session's CSRF token in ``X-CSRF-Token`` (a bearer token is not sent by the
browser on its own, so it needs no CSRF check). Failed logins per name are slowed down:
after ``FREE_FAILURES`` the next attempt waits ``2 ** (failures - FREE_FAILURES)`` seconds
(capped at ``MAX_WAIT_S``), answered 429 with ``Retry-After`` until then.
"""

from __future__ import annotations

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
    clear_login_failures,
    delete_credential,
    login_failure_state,
    record_login_failure,
    user_by_name,
    user_for_credential,
)

SESSION_COOKIE = "cf_session"
CSRF_HEADER = "X-CSRF-Token"
SESSION_HOURS = 12
FREE_FAILURES = 3
MAX_WAIT_S = 300
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
        found = user_for_credential(state.engine, token_digest(token), now_s=now_s)
        if found is None:
            raise AuthError("unknown or expired token")
        return found[0]
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise AuthError("no token: send 'Authorization: Bearer <token>' or log in")
    found = user_for_credential(state.engine, token_digest(cookie), now_s=now_s)
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


def log_in(state: HQState, name: str, password: str) -> tuple[User, str, str]:
    """Check a password (with throttling); a new session: ``(user, cookie, csrf)``."""
    now = state.clock.now()
    failures, last_s = login_failure_state(state.engine, name)
    if failures >= FREE_FAILURES:
        wait_s = min(2 ** (failures - FREE_FAILURES + 1), MAX_WAIT_S)
        remaining = last_s + wait_s - now.timestamp()
        if remaining > 0:
            raise ThrottledError(
                f"too many failed logins for {name!r}: retry in {int(remaining) + 1} s",
                retry_after_s=int(remaining) + 1,
            )
    found = user_by_name(state.engine, name)
    if found is None or not verify_password(password, found[1]):
        record_login_failure(state.engine, name, now_s=now.timestamp())
        raise AuthError("wrong name or password")
    clear_login_failures(state.engine, name)
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
