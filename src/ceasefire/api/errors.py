"""The one place errors become HTTP statuses: JSON bodies naming the field and the rule."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ceasefire.errors import (
    AuthError,
    BusUnavailableError,
    CeasefireError,
    ForbiddenError,
    InputError,
    NotFoundError,
    StoreError,
    ThrottledError,
)


def error_body(code: str, message: str, *, field: str = "", rule: str = "") -> dict[str, Any]:
    """``{"error": {...}}`` as every error response carries it."""
    return {"error": {"code": code, "field": field, "rule": rule, "message": message}}


def _status_of(exc: CeasefireError) -> tuple[int, str]:
    if isinstance(exc, AuthError):
        return 401, "unauthorized"
    if isinstance(exc, ForbiddenError):
        return 403, "forbidden"
    if isinstance(exc, ThrottledError):
        return 429, "throttled"
    if isinstance(exc, BusUnavailableError):
        return 503, "bus_unavailable"
    if isinstance(exc, NotFoundError):
        return 404, "not_found"
    if isinstance(exc, InputError):
        return 422, "invalid"
    if isinstance(exc, StoreError):
        return 409, "conflict"
    return 400, "bad_request"


_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})


def _field_of(loc: tuple[Any, ...], rule: str) -> str:
    """The parameter or body key a validation error is about: ``limit``, ``note``, or ``body``
    when it is about the body as a whole (not an object, not JSON, an empty key)."""
    if rule == "json_invalid" or not loc:
        return "body"  # its loc ends in a character offset, not a key
    names = [str(x) for x in (loc[1:] if loc[0] in _LOCATIONS else loc)]
    return ".".join(names) if any(names) else str(loc[0])


def install_error_handlers(app: FastAPI) -> None:
    """Map ``CeasefireError``s, validation errors and HTTP errors to JSON bodies."""

    @app.exception_handler(CeasefireError)
    async def _domain(_: Request, exc: CeasefireError) -> JSONResponse:
        status, code = _status_of(exc)
        field = getattr(exc, "field", "")
        rule = getattr(exc, "rule", "")
        message = getattr(exc, "message", str(exc))
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
        if isinstance(exc, ThrottledError):
            headers["Retry-After"] = str(exc.retry_after_s)
        return JSONResponse(
            error_body(code, message, field=field, rule=rule), status_code=status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        rule = str(first.get("type", "")) or "invalid"
        return JSONResponse(
            error_body(
                "invalid",
                str(first.get("msg", "invalid request")),
                field=_field_of(tuple(first.get("loc", ())), rule),
                rule=rule,
            ),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        # the framework's 400 is a body it could not decode (not UTF-8, say)
        field, rule = ("body", "decode") if exc.status_code == 400 else ("", "")
        return JSONResponse(
            error_body(code, str(exc.detail), field=field, rule=rule),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
