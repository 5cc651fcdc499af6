"""The CoT gateway: streaming TCP and mutual TLS for ATAK/WinTAK/iTAK and pytak (docs/cot.md).

Inbound, each connection is read through a :class:`~ceasefire.interop.cot.CotFramer` (events
split or merged across reads, a size bound per event, a garbage bound per connection) and a
token bucket (events per second); observation events become reports and go, in small
batches, through the HQ's own ingest (``routes_reports._ingest``: validation, quarantine,
fusion); unreadable events go to the same quarantine. Pings are answered.

Outbound, every connected client is sent the incidents and violations it may see — the
items of ``/api/incidents`` and ``/api/violations`` for its user (``interop.layers``,
tearlines applied), as CoT with stale times — on connect and whenever they change; one it
may no longer see is deleted
(``t-x-d-d`` + ``__forcedelete``). Who a client is: the CN of its certificate on the TLS port
(a user of the HQ, hence nation and clearance); the configured ``tcp_user`` on the plain port.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson

from ceasefire.access.model import Role, User, Viewer
from ceasefire.api.state import HQState
from ceasefire.interop.cot import (
    INCIDENT_UID,
    MAX_EVENT_BYTES,
    MAX_GARBAGE_BYTES,
    VIOLATION_UID,
    CotError,
    CotFramer,
    delete_event,
    incident_event,
    is_ping,
    parse_event,
    pong_event,
    report_of,
    violation_event,
)
from ceasefire.interop.layers import read_features
from ceasefire.store.access_sql import user_by_name
from ceasefire.store.hq_queries import PageQuery

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GatewayConfig:
    """Ports, identities and bounds of a gateway (docs/cot.md)."""

    host: str = "127.0.0.1"
    port: int | None = 8087  # streaming TCP (FreeTAKServer and pytak's default; TAK Server: 8088)
    tls_port: int | None = None  # mutual TLS (8089 by convention)
    cert: Path | None = None
    key: Path | None = None
    ca: Path | None = None
    tcp_user: str | None = None  # the HQ user every plain-TCP client acts as (None: no TCP port)
    max_event_bytes: int = MAX_EVENT_BYTES
    max_garbage_bytes: int = MAX_GARBAGE_BYTES
    rate_per_s: float = 200.0  # events per second per connection (sustained)
    burst: int = 1000  # events a connection may send at once
    flush_s: float = 0.2  # reports are ingested in batches at most this far apart
    poll_s: float = 1.0  # how often each client's incidents are compared with what it was sent
    since_s: float | None = None  # feed incidents observed from then (None: the last day)
    feed_limit: int = 5000  # incidents per client
    stale_s: float = 3600.0  # a sent incident's stale time, after it was sent
    queue_max: int = 20000  # events waiting for a slow client before it is dropped


@dataclass(eq=False)
class _Client:
    user: User
    peer: str
    writer: asyncio.StreamWriter
    queue: asyncio.Queue[bytes] = field(default_factory=lambda: asyncio.Queue(maxsize=20000))
    sent: dict[str, bytes] = field(default_factory=dict)
    fresh: bool = True


@dataclass
class GatewayStats:
    """Counters (read by tests and bench/cot.py)."""

    connections: int = 0
    events: int = 0
    reports: int = 0
    accepted: int = 0
    quarantined: int = 0
    pings: int = 0
    rate_dropped: int = 0
    refused: int = 0
    sent: int = 0


class CotGateway:
    """Serve CoT for an HQ store (``state``): ``await start()``, then ``await stop()``."""

    def __init__(self, state: HQState, config: GatewayConfig) -> None:
        self.state = state
        self.config = config
        self.stats = GatewayStats()
        self.ports: dict[str, int] = {}
        self._servers: list[asyncio.Server] = []
        self._clients: set[_Client] = set()
        #: lines waiting for the next flush, per sending account (each is ingested as its own:
        #: a report belongs to the account that sent it, docs/spec/observation-report.md)
        self._pending: dict[int, tuple[User, list[bytes]]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._changed = asyncio.Event()
        self._tcp_user: User | None = None

    async def start(self) -> dict[str, int]:
        """Open the ports; returns ``{"tcp": port, "tls": port}`` as bound (0 picks one)."""
        cfg = self.config
        if cfg.port is not None and cfg.tcp_user is not None:
            self._tcp_user = self._user(cfg.tcp_user)
            if self._tcp_user is None:
                raise ValueError(f"--tcp-user {cfg.tcp_user!r} is not a user of this HQ")
            server = await asyncio.start_server(self._plain, cfg.host, cfg.port)
            self._servers.append(server)
            self.ports["tcp"] = server.sockets[0].getsockname()[1]
        if cfg.tls_port is not None:
            server = await asyncio.start_server(
                self._tls, cfg.host, cfg.tls_port, ssl=self._ssl_context()
            )
            self._servers.append(server)
            self.ports["tls"] = server.sockets[0].getsockname()[1]
        self._tasks = [
            asyncio.create_task(self._flusher()),
            asyncio.create_task(self._feeder()),
        ]
        return self.ports

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
        for client in list(self._clients):
            client.writer.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._flush()

    def _ssl_context(self) -> ssl.SSLContext:
        cfg = self.config
        if cfg.cert is None or cfg.key is None or cfg.ca is None:
            raise ValueError("the TLS port needs --cert, --key and --ca")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(cfg.cert, cfg.key)
        ctx.load_verify_locations(cfg.ca)
        ctx.verify_mode = ssl.CERT_REQUIRED  # mutual TLS: no client certificate, no connection
        return ctx

    def _user(self, name: str) -> User | None:
        found = user_by_name(self.state.engine, name)
        return None if found is None else found[0]

    async def _plain(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self._tcp_user is not None
        await self._serve(self._tcp_user, reader, writer)

    async def _tls(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        cert = writer.get_extra_info("peercert") or {}
        cn = next(
            (value for rdn in cert.get("subject", ()) for key, value in rdn if key == "commonName"),
            None,
        )
        user = None if cn is None else self._user(str(cn))
        if user is None:
            self.stats.refused += 1
            log.warning("cot: certificate CN %r is no user of this HQ; closed", cn)
            writer.close()
            return
        await self._serve(user, reader, writer)

    async def _serve(
        self, user: User, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        peer = str(writer.get_extra_info("peername"))
        client = _Client(user, peer, writer, asyncio.Queue(maxsize=self.config.queue_max))
        self._clients.add(client)
        self.stats.connections += 1
        sender = asyncio.create_task(self._send(client))
        self._changed.set()  # its first feed
        try:
            await self._read(client, reader)
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
            pass
        finally:
            self._clients.discard(client)
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await sender
            writer.close()
            with contextlib.suppress(ConnectionError, ssl.SSLError, OSError):
                await writer.wait_closed()

    async def _read(self, client: _Client, reader: asyncio.StreamReader) -> None:
        cfg = self.config
        framer = CotFramer(cfg.max_event_bytes)
        tokens, last = float(cfg.burst), time.monotonic()
        while True:
            data = await reader.read(65536)
            if not data:
                return
            framed = framer.feed(data)
            for head, why in framed.rejected:
                self._quarantine(client, head, why)
            if framer.garbage_total > cfg.max_garbage_bytes:
                self._quarantine(
                    client, data[:256], f"more than {cfg.max_garbage_bytes} bytes outside events"
                )
                log.warning("cot: %s sent a garbage stream; closed", client.peer)
                return
            now = time.monotonic()
            tokens = min(float(cfg.burst), tokens + (now - last) * cfg.rate_per_s)
            last = now
            for raw in framed.events:
                if tokens < 1:
                    self.stats.rate_dropped += 1
                    continue
                tokens -= 1
                self._event(client, raw)

    def _event(self, client: _Client, raw: bytes) -> None:
        self.stats.events += 1
        try:
            event = parse_event(raw)
        except CotError as exc:
            self._quarantine(client, raw[:4096], f"{exc.field}: {exc}")
            return
        if is_ping(event):
            self.stats.pings += 1
            if event.type == "t-x-c-t":
                self._put(client, pong_event(now=self.state.clock.now()))
            return
        report = report_of(event, principal=client.user.principal)
        if report is None:
            return  # SA, chat, drawings: not observations
        if not client.user.may(Role.MONITOR):
            self.stats.refused += 1
            return  # only monitors submit reports (as POST /api/reports)
        self.stats.reports += 1
        self._pending_of(client.user).append(orjson.dumps(report) + b"\n")

    def _quarantine(self, client: _Client, head: bytes, why: str) -> None:
        """An unreadable event, kept in the ingest's quarantine (as a line the validator
        rejects for its unknown ``cot`` field, with the event's head and why)."""
        line = {
            "source": f"TAK-{client.user.principal}",
            "source_type": "tak",
            "cot": head.decode("utf-8", "replace")[:4096],
            "cot_error": why,
        }
        self._pending_of(client.user).append(orjson.dumps(line) + b"\n")

    def _put(self, client: _Client, data: bytes) -> None:
        try:
            client.queue.put_nowait(data)
        except asyncio.QueueFull:
            log.warning("cot: %s does not read; closed", client.peer)
            client.writer.close()

    async def _send(self, client: _Client) -> None:
        while True:
            data = await client.queue.get()
            client.writer.write(data)
            self.stats.sent += 1
            if client.queue.empty():
                await client.writer.drain()

    async def _flusher(self) -> None:
        while True:
            await asyncio.sleep(self.config.flush_s)
            await self._flush()

    def _pending_of(self, user: User) -> list[bytes]:
        return self._pending.setdefault(user.pk, (user, []))[1]

    async def _flush(self) -> None:
        if not self._pending:
            return
        batches, self._pending = list(self._pending.values()), {}
        from ceasefire.api.routes_reports import _ingest  # noqa: PLC0415 - heavy

        accepted = 0
        for user, pending in batches:
            lines = b"".join(pending)
            try:
                result: dict[str, Any] = await asyncio.to_thread(_ingest, self.state, lines, user)
            except Exception:  # a store error must not end the gateway; the lines are logged
                log.exception("cot: ingest of %d bytes failed", len(lines))
                continue
            self.stats.accepted += int(result["accepted"])
            self.stats.quarantined += int(result["quarantined"])
            accepted += int(result["accepted"])
        if accepted:
            self._changed.set()

    async def _feeder(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), self.config.poll_s)
            self._changed.clear()
            if self._clients:
                await self._feed()

    async def _feed(self) -> None:
        """Send each client what changed in its view (one read per distinct viewer)."""
        views: dict[Viewer, dict[str, bytes]] = {}
        clients = list(self._clients)
        for client in clients:
            viewer = self.state.viewer(client.user)
            if viewer not in views:
                views[viewer] = await asyncio.to_thread(self._view, client.user)
        now = self.state.clock.now()
        stale = timedelta(seconds=self.config.stale_s)
        for client in clients:
            view = views[self.state.viewer(client.user)]
            for uid, payload in view.items():
                if client.sent.get(uid) != payload:
                    feat = orjson.loads(payload)
                    if uid.startswith(VIOLATION_UID):
                        lon, lat = feat["geometry"]["coordinates"]
                        data = violation_event(
                            feat["properties"], lon=lon, lat=lat, now=now, stale_after=stale
                        )
                    else:
                        data = incident_event(feat["properties"], now=now, stale_after=stale)
                    self._put(client, data)
            for uid in set(client.sent) - set(view):
                self._put(client, delete_event(uid, now=now))
            client.sent = view

    def _view(self, user: User) -> dict[str, bytes]:
        """CoT uid → the feature behind it, of every incident and violation ``user`` sees."""
        since = self.config.since_s
        if since is None:
            since = self.state.clock.now().timestamp() - 86400
        query = PageQuery(since_s=since, limit=min(self.config.feed_limit, 5000))
        out: dict[str, bytes] = {}
        for layer, prefix in (("incidents", INCIDENT_UID), ("violations", VIOLATION_UID)):
            n = 0
            for feat in read_features(self.state, user, layer, query):
                if feat["geometry"] is None:
                    continue
                out[f"{prefix}{feat['id']}"] = orjson.dumps(feat)
                n += 1
                if n >= self.config.feed_limit:
                    break
        return out
