"""Two pure ASGI guards around the whole app: body size limits and security headers.

Pure ASGI (no ``BaseHTTPMiddleware``, which would buffer the body and the answer) so that a
limit is enforced *while* the body is read, before any route, authentication or parser sees
it: a declared ``Content-Length`` over the limit is refused without reading a byte, and a
streamed (chunked) body is refused as soon as the bytes received pass it. The server reads at
most the limit plus one chunk per request, whatever the client sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import orjson
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ceasefire.api.errors import error_body

#: Largest body of any route not listed below: a verdict's note or an attribution's basis
#: (4,000 characters, up to 6 bytes each when JSON-escaped) fits with room to spare.
DEFAULT_BODY_BYTES: Final = 64 << 10
#: The login: a name of 128 and a password of 1,024 characters, JSON-escaped.
LOGIN_BODY_BYTES: Final = 8 << 10

#: The policy of every HTML answer: scripts and styles only from the HQ's own files (the
#: templates carry no inline script), inline ``style`` attributes allowed (Leaflet and the
#: cluster icons set them; a style cannot run code), images also as ``data:`` URIs (milsymbol's
#: symbols, the daily report's figures), no plug-ins, no framing, no ``<base>`` rewriting.
HTML_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
#: Anything else (JSON, GeoJSON, the event stream, static files) is data, never a document.
DATA_POLICY: Final = "default-src 'none'; frame-ancestors 'none'; sandbox"
_COMMON: Final = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


async def _refuse(send: Send, limit: int) -> None:
    body = orjson.dumps(
        error_body("too_large", f"the body is larger than {limit} bytes", field="body", rule="size")
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                *_COMMON,
                (b"content-security-policy", DATA_POLICY.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse (413, field ``body``, rule ``size``) a request body larger than its route's limit.

    ``routes`` maps ``(method, path)`` to a limit in bytes; every other request gets
    ``default_bytes``. The limit is checked against ``Content-Length`` before the app runs and
    against the bytes actually received (a lying or absent length), chunk by chunk; once over,
    the app is told the client went away and whatever it answers is dropped.
    """

    def __init__(
        self, app: ASGIApp, *, default_bytes: int, routes: Mapping[tuple[str, str], int]
    ) -> None:
        self.app = app
        self.default_bytes = default_bytes
        self.routes = dict(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.routes.get((scope["method"], scope["path"]), self.default_bytes)
        declared = _header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await _refuse(send, limit)
            return
        received = 0
        refused = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        await _refuse(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the app's answer to a body it never got whole
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except ClientDisconnect:
            if not refused:
                raise


class SecurityHeaders:
    """Add ``Content-Security-Policy``, ``X-Frame-Options: DENY``, ``X-Content-Type-Options:
    nosniff`` and ``Referrer-Policy: no-referrer`` to every answer that does not set them:
    ``HTML_POLICY`` on HTML, ``DATA_POLICY`` on everything else."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {bytes(k).lower() for k, _ in headers}
                kind = next(
                    (bytes(v) for k, v in headers if bytes(k).lower() == b"content-type"), b""
                )
                policy = HTML_POLICY if kind.startswith(b"text/html") else DATA_POLICY
                extra = [*_COMMON, (b"content-security-policy", policy.encode())]
                headers.extend((k, v) for k, v in extra if k not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
