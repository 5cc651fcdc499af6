"""Health, login and logout, and who am I."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Query, Request, Response

from ceasefire.access.model import User
from ceasefire.api.auth import (
    SESSION_COOKIE,
    SESSION_HOURS,
    CurrentUser,
    hq,
    log_in,
    log_out,
)
from ceasefire.api.schemas import HealthOut, LoginIn, LoginOut, UserOut
from ceasefire.api.state import HQState

router = APIRouter(tags=["session"])
HQ = Annotated[HQState, Depends(hq)]


def user_out(user: User) -> UserOut:
    """The caller as the header of the page shows them."""
    return UserOut(
        name=user.name,
        nation=user.nation,
        organisation=user.organisation,
        clearance=user.clearance.value,
        roles=sorted(r.value for r in user.roles),
        view=user.principal,
    )


@router.get("/healthz", response_model=HealthOut)
def health() -> HealthOut:
    """Liveness, open to all (no data)."""
    return HealthOut(status="ok")


def safe_next(value: str | None) -> str:
    r"""``value`` if it is a path on this site, else ``"/"``: the only redirect after login.

    Browsers strip tabs and newlines from a URL and read ``\`` as ``/``, so ``/\evil.example``
    and ``/<tab>/evil.example`` go to another site as ``//evil.example`` does. So a target must
    start with one ``/`` not followed by ``/`` or ``\``, and hold no backslash or control
    character, also after percent-decoding (repeated until it stops changing: ``%255C`` is a
    backslash twice encoded).

    >>> [safe_next(v) for v in ("/incidents?x=1", "//evil", "/%5Cevil", "https://evil")]
    ['/incidents?x=1', '/', '/', '/']
    """
    if not value or len(value) > 2048:
        return "/"
    decoded, previous = value, ""
    while decoded != previous:
        previous, decoded = decoded, unquote(decoded)
    for text in (value, decoded):
        if not text.startswith("/") or text[1:2] in ("/", "\\"):
            return "/"
        if "\\" in text or any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
            return "/"
    return value


@router.post("/api/session", response_model=LoginOut)
def login(
    body: LoginIn,
    state: HQ,
    request: Request,
    response: Response,
    next_path: Annotated[str | None, Query(alias="next", max_length=2048)] = None,
) -> LoginOut:
    """Log in with name and password: sets the session cookie, returns the CSRF token and
    where to go (``next`` if it is a path of this site: ``safe_next``)."""
    address = request.client.host if request.client else ""
    user, cookie, csrf = log_in(state, body.name, body.password, address=address)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return LoginOut(csrf=csrf, user=user_out(user), next=safe_next(next_path))


@router.delete("/api/session", status_code=204)
def logout(state: HQ, request: Request, user: CurrentUser) -> Response:
    """End the browser session."""
    log_out(state, request)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/api/me", response_model=UserOut)
def me(user: CurrentUser) -> UserOut:
    """The caller: name, nation or organisation, clearance, roles, whose view this is."""
    return user_out(user)
