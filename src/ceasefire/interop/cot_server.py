"""The CoT gateway: streaming TCP and mutual TLS for ATAK/WinTAK/iTAK and pytak (docs/cot.md).

Inbound, each connection is read through a :class:`~ceasefire.interop.cot.CotFramer` (events
split or merged across reads, a size bound per event, a garbage bound per connection) and a
token bucket (events per second); observation events become reports and go, in small
batches, through the HQ's own ingest (``routes_reports._ingest``: validation, quarantine,
fusion); unreadable events go to the same quarantine. Pings are answered.

Outbound, every connected client is sent the incidents, violations and guarantee alerts its
user may see (``interop.cot_feed``: the HQ's own reads and releasability, one change feed per
distinct viewer), as CoT with stale times and the marking of what it is shown: a snapshot on
connect, then what changes; one it may no longer see is deleted (``t-x-d-d`` +
``__forcedelete``). Who a client is: the CN of its certificate on the TLS port
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
    MAX_EVENT_BYTES,
    MAX_GARBAGE_BYTES,
    CotError,
    CotFramer,
    is_ping,
    parse_event,
    report_of,
)
from ceasefire.interop.cot_feed import Changes, Entry, ViewerFeed, entry_key
from ceasefire.interop.cot_out import (
    INCIDENT_UID,
    VIOLATION_UID,
    CotMarking,
    alert_event,
    delete_event,
    incident_event,
    pong_event,
    violation_event,
)

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
    poll_s: float = 1.0  # how often the change feed is read when this gateway ingests nothing
    since_s: float | None = None  # snapshot: observed (fired) from then (None: the last day)
    feed_limit: int = 5000  # snapshot: the newest incidents, and the newest violations
    stale_s: float = 3600.0  # an event's stale time after it was sent (re-sent at half)
    queue_max: int = 20000  # events waiting for a slow client before it is dropped


@dataclass(eq=False)
class _Client:
    user: User
    peer: str
    writer: asyncio.StreamWriter
    queue: asyncio.Queue[bytes] = field(default_factory=lambda: asyncio.Queue(maxsize=20000))
    #: CoT uid → (comparison key, entry) of what the client holds
    sent: dict[str, tuple[bytes, Entry]] = field(default_factory=dict)
    #: incident pk → uids of the violations sent at it (deleted with the incident)
    violations_of: dict[int, set[str]] = field(default_factory=dict)
    fresh: bool = True
    refreshed_s: float = field(default_factory=time.monotonic)


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
    ingests: int = 0  # ingest calls (one per flush and sending account)
    ingest_s: float = 0.0  # seconds in them (validation, placement, fusion, guarantees)
    feeds: int = 0  # feed rounds that had clients
    feed_s: float = 0.0  # seconds in them (change-feed reads, snapshots, event building)


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
        self._feeds: dict[Viewer, ViewerFeed] = {}
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
        found = self.state.stores.access.user_by_name(name)
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
            began = time.perf_counter()
            try:
                result: dict[str, Any] = await asyncio.to_thread(_ingest, self.state, lines, user)
            except Exception:  # a store error must not end the gateway; the lines are logged
                log.exception("cot: ingest of %d bytes failed", len(lines))
                continue
            finally:
                self.stats.ingests += 1
                self.stats.ingest_s += time.perf_counter() - began
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
            if not self._clients:
                self._feeds.clear()  # their cursors would be stale for the next client
                continue
            began = time.perf_counter()
            try:
                await self._feed()
            except Exception:  # a store error must not end the feed; the next poll retries
                log.exception("cot: feed failed")
            self.stats.feeds += 1
            self.stats.feed_s += time.perf_counter() - began

    async def _feed(self) -> None:
        """Send each client what changed in its view: one read of the change feed per
        distinct viewer, then a snapshot for clients that just connected."""
        groups: dict[Viewer, list[_Client]] = {}
        for client in list(self._clients):
            groups.setdefault(self.state.viewer(client.user), []).append(client)
        for gone in set(self._feeds) - set(groups):
            del self._feeds[gone]  # no client of that viewer left
        cfg = self.config
        since = cfg.since_s
        if since is None:
            since = self.state.clock.now().timestamp() - 86400
        for viewer, clients in groups.items():
            feed = self._feeds.get(viewer)
            if feed is None:
                feed = self._feeds[viewer] = await asyncio.to_thread(
                    ViewerFeed, self.state, clients[0].user
                )
            changes = await asyncio.to_thread(feed.changes)
            built: dict[tuple[str, bytes], bytes] = {}  # events are built once per viewer
            fresh = [c for c in clients if c.fresh]
            if fresh:
                snapshot = await asyncio.to_thread(
                    feed.snapshot, since_s=since, limit=cfg.feed_limit
                )
                keyed = _keyed(snapshot)
                for client in fresh:
                    client.fresh = False
                    self._offer(client, keyed, built)
            for client in clients:
                self._apply(client, changes, built)

    def _apply(
        self, client: _Client, changes: Changes, built: dict[tuple[str, bytes], bytes]
    ) -> None:
        """Send ``client`` the changed entries, delete what was superseded, and re-send what
        it holds before it goes stale."""
        self._offer(client, _keyed(changes.entries), built)
        now = self.state.clock.now()
        for pk in changes.superseded:
            for uid in {f"{INCIDENT_UID}{pk}", *client.violations_of.pop(pk, ())}:
                if client.sent.pop(uid, None) is not None:
                    self._put(client, delete_event(uid, now=now))
        if time.monotonic() - client.refreshed_s > self.config.stale_s / 2:
            client.refreshed_s = time.monotonic()
            for uid, (key, entry) in client.sent.items():
                self._put(client, self._built(uid, key, entry, built))

    def _offer(
        self,
        client: _Client,
        entries: dict[str, tuple[bytes, Entry]],
        built: dict[tuple[str, bytes], bytes],
    ) -> None:
        """Send the entries ``client`` does not hold as they are."""
        for uid, (key, entry) in entries.items():
            held = client.sent.get(uid)
            if held is not None and held[0] == key:
                continue
            client.sent[uid] = (key, entry)
            if uid.startswith(VIOLATION_UID):
                client.violations_of.setdefault(int(entry["item"]["incident_id"]), set()).add(uid)
            self._put(client, self._built(uid, key, entry, built))

    def _built(
        self, uid: str, key: bytes, entry: Entry, built: dict[tuple[str, bytes], bytes]
    ) -> bytes:
        event = built.get((uid, key))
        if event is None:
            event = built[uid, key] = self._cot(uid, entry)
        return event

    def _cot(self, uid: str, entry: Entry) -> bytes:
        """The CoT event of an entry, stale ``stale_s`` after now."""
        now = self.state.clock.now()
        stale = timedelta(seconds=self.config.stale_s)
        marking = CotMarking(entry["marking"][0], tuple(entry["marking"][1]))
        item, lon, lat = entry["item"], float(entry["lon"]), float(entry["lat"])
        if entry["kind"] == "incident":
            return incident_event(item, now=now, stale_after=stale, marking=marking)
        if entry["kind"] == "violation":
            return violation_event(
                item, lon=lon, lat=lat, now=now, stale_after=stale, marking=marking
            )
        return alert_event(
            item,
            lon=lon,
            lat=lat,
            incident_ids=entry["incidents"],
            now=now,
            stale_after=stale,
            marking=marking,
        )


def _keyed(entries: dict[str, Entry]) -> dict[str, tuple[bytes, Entry]]:
    return {uid: (entry_key(entry), entry) for uid, entry in entries.items()}
