"""Health, login and logout, and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

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


@router.post("/api/session", response_model=LoginOut)
def login(body: LoginIn, state: HQ, request: Request, response: Response) -> LoginOut:
    """Log in with name and password: sets the session cookie, returns the CSRF token."""
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
    return LoginOut(csrf=csrf, user=user_out(user))


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
