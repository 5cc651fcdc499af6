"""The CoT gateway with pytak 7.6.1 as a real client: observations over TCP and mutual TLS
arrive as reports through the ingest; each client receives the incidents its user may see
and nothing else; split and garbage streams are handled; pings are answered."""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from api_helpers import HQ
from cot_helpers import Pki, observation, pytak_session, running
from hypothesis import given, settings
from hypothesis import strategies as st
from ogc_helpers import mixed_store

from ceasefire.access.model import Role
from ceasefire.interop.cot import CotFramer, parse_event
from ceasefire.interop.cot_out import sidc_of
from ceasefire.interop.cot_server import GatewayConfig
from ceasefire.reports.model import Classification

MONITOR = (Role.MONITOR, Role.ANALYST)
SINCE = datetime(2026, 3, 10, tzinfo=UTC).timestamp()


def wait_for(check: Callable[[], Any], seconds: float = 15.0) -> Any:
    """Poll ``check`` until it returns something truthy (bounded)."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def reports_of(hq: HQ, headers: dict[str, str], source_prefix: str) -> list[dict[str, Any]]:
    items = hq.client.get("/api/reports", headers=headers, params={"limit": 5000}).json()["items"]
    return [r for r in items if r["source"].startswith(source_prefix)]


def uids(events: list[bytes]) -> set[str]:
    found = (re.findall(rb'uid="(ceasefire-(?:incident|violation)-\d+)"', e) for e in events)
    return {m.decode() for ms in found for m in ms}


def shown(hq: HQ, headers: dict[str, str]) -> set[str]:
    """CoT uids of the incidents and violations the HQ API gives this reader."""
    incidents = hq.client.get("/api/incidents", headers=headers).json()["items"]
    violations = hq.client.get("/api/violations", headers=headers).json()["items"]
    return {f"ceasefire-incident-{i['id']}" for i in incidents} | {
        f"ceasefire-violation-{v['id']}" for v in violations
    }


def test_pytak_tcp_observations_arrive_as_reports(hq: HQ) -> None:
    headers = hq.user("mon", nation="FRA", roles=MONITOR)
    config = GatewayConfig(port=0, tcp_user="mon", since_s=SINCE)
    sent = [
        observation("obs-1", access="RESTRICTED", relto="FRA,GBR", ce=50),
        observation("sa-1", cot_type="a-f-G-U-C"),  # a friendly unit's own position: no report
        observation("obs-2", cot_type="a-h-G-E-V-A", lon=37.46, ce=9999999),  # armour, no ce
    ]
    with running(hq.state, config) as (gateway, ports):
        asyncio.run(pytak_session(f"tcp://127.0.0.1:{ports['tcp']}", sent, 3))
        got = wait_for(lambda: len(reports_of(hq, headers, "TAK-FRA-ALPHA-1")) == 2)
        assert got, gateway.stats
        stats = gateway.stats
    rows = {r["id"]: r for r in reports_of(hq, headers, "TAK-FRA-ALPHA-1")}
    assert set(rows) == {"obs-1", "obs-2"}  # pytak's takPing hello and the SA are not reports
    assert rows["obs-1"]["category"] == "explosion"
    assert rows["obs-1"]["classification"] == "RESTRICTED"
    assert rows["obs-1"]["releasable_to"] == ["FRA", "GBR"]
    assert rows["obs-1"]["uncertainty_m"] == pytest.approx(50, rel=0.5)
    assert rows["obs-2"]["category"] == "armour"
    assert stats.pings >= 1  # the hello was taken as a keep-alive


def test_pytak_mutual_tls_per_user_feed(hq: HQ, tmp_path: Any) -> None:
    mixed_store(hq)
    users = {
        "fra": hq.user("fra", nation="FRA", clearance=Classification.SECRET, roles=MONITOR),
        "usa": hq.user("usa", nation="USA", clearance=Classification.UNCLASSIFIED),
        "ukr": hq.user("ukr", nation="UKR", clearance=Classification.RESTRICTED),
    }
    pki = Pki(tmp_path)
    expected = {who: shown(hq, h) for who, h in users.items()}
    assert all(any("violation" in u for u in v) for v in expected.values())
    assert len({frozenset(v) for v in expected.values()}) == 3  # the views differ

    async def clients(port: int) -> list[list[bytes]]:
        url = f"tls://127.0.0.1:{port}"
        return list(
            await asyncio.gather(
                pytak_session(url, [observation("tls-1", relto="FRA")], 5, pki.pytak_tls("fra")),
                pytak_session(url, [], 5, pki.pytak_tls("usa")),
                pytak_session(url, [], 5, pki.pytak_tls("ukr")),
            )
        )

    with running(hq.state, pki.config(port=None, since_s=SINCE)) as (gateway, ports):
        received = asyncio.run(clients(ports["tls"]))
        assert wait_for(lambda: reports_of(hq, users["fra"], "TAK-FRA-"))
        assert gateway.stats.refused == 0
    for who, events in zip(("fra", "usa", "ukr"), received, strict=True):
        # each client got every incident its user sees (its first feed) and no other
        assert uids(events) >= expected[who], who
        # beyond those, only incidents made since by the French client's observation
        assert uids(events) - expected[who] <= shown(hq, users[who]), who
        for e in events:
            if b"ceasefire-incident-" in e and b"t-x-d-d" not in e:
                ev = parse_event(e[e.index(b"<event") :])
                assert ev.type.startswith(("b-r-u-O", "a-u-")), ev.type
                assert ev.stale > ev.time
    # the report the French client sent is not shown to the others
    assert not reports_of(hq, users["usa"], "TAK-FRA-")
    (row,) = reports_of(hq, users["fra"], "TAK-FRA-")
    assert row["releasable_to"] == ["FRA"]


def test_tls_refuses_without_certificate_or_unknown_user(hq: HQ, tmp_path: Any) -> None:
    pki = Pki(tmp_path)
    (tmp_path / "other").mkdir()
    stranger_ca = Pki(tmp_path / "other")
    with running(hq.state, pki.config(port=None)) as (gateway, ports):
        port = ports["tls"]

        def attempt(cert: tuple[Any, Any] | None) -> bytes:
            ctx = ssl.create_default_context(cafile=str(pki.ca_path))
            if cert:
                ctx.load_cert_chain(str(cert[0]), str(cert[1]))
            with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                try:
                    with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                        tls.sendall(b"<event/>")
                        return tls.recv(100)
                except (ssl.SSLError, ConnectionError):
                    return b"refused"

        assert attempt(None) in (b"refused", b"")
        assert attempt(pki.issue("nobody")) in (b"refused", b"")  # CN is no user
        assert attempt(stranger_ca.issue("nobody")) in (b"refused", b"")  # another CA
        assert gateway.stats.connections == 0


def _raw(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def flood(s: socket.socket, total: int) -> tuple[int, bytes]:
    """Write ``total`` bytes of garbage (no event in it); what was sent and what came back."""
    junk = b"<evnt garbage=" + bytes(range(256)) * 40
    sent = 0
    try:
        while sent < total:
            s.sendall(junk)
            sent += len(junk)
        return sent, s.recv(1)
    except OSError:  # reset or broken pipe: the server closed the connection
        return sent, b""


def test_split_bytes_garbage_and_ping(hq: HQ) -> None:
    headers = hq.user("mon", nation="FRA", roles=MONITOR)
    config = GatewayConfig(port=0, tcp_user="mon", since_s=SINCE)
    with running(hq.state, config) as (_, ports):
        port = ports["tcp"]
        with _raw(port) as s:  # one event written one byte at a time
            for b in observation("drip-1", callsign="DRIP"):
                s.sendall(bytes([b]))
        assert wait_for(lambda: reports_of(hq, headers, "TAK-FRA-DRIP"))
        with _raw(port) as s:  # 10 MB of garbage: quarantined and closed, server unharmed
            sent, answer = flood(s, 10_000_000)
            assert answer == b"", sent  # closed by the server, not answered
        assert wait_for(
            lambda: any("outside events" in q.raw for q in hq.state.store.list_quarantine())
        )
        with _raw(port) as s:  # a ping is answered; the next event is still taken
            ping = observation("ping", cot_type="t-x-c-t")
            s.sendall(ping + observation("after-1", callsign="AFTER"))
            s.settimeout(10)
            answer = b""
            while b'type="t-x-c-t-r"' not in answer:  # after the feed's incidents, if any
                chunk = s.recv(65536)
                assert chunk, answer[-300:]
                answer += chunk
        assert wait_for(lambda: reports_of(hq, headers, "TAK-FRA-AFTER"))
        with _raw(port) as s:  # a malformed event, then a good one: both handled
            s.sendall(
                b"<event uid='x'><point lat='no'/></event>" + observation("ok-2", callsign="OK")
            )
        assert wait_for(lambda: reports_of(hq, headers, "TAK-FRA-OK"))
        assert wait_for(lambda: any("point" in q.raw for q in hq.state.store.list_quarantine()))


events_st = st.lists(
    st.builds(
        lambda uid, pad: (
            f'<?xml version="1.0"?>\n<event uid="{uid}" type="a-h-G">{"x" * pad}</event>'.encode()
        ),
        st.text("abcdef0123", min_size=1, max_size=8),
        st.integers(0, 200),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(events=events_st, cuts=st.lists(st.integers(0, 2000), max_size=30))
def test_framer_splits_any_read_pattern(events: list[bytes], cuts: list[int]) -> None:
    stream = b"\n".join(events)
    framer = CotFramer(max_event=150)
    got: list[bytes] = []
    rejected = 0
    points = sorted({c % (len(stream) + 1) for c in cuts})
    for a, b in zip([0, *points], [*points, len(stream)], strict=True):
        out = framer.feed(stream[a:b])
        got += out.events
        rejected += len(out.rejected)
    bodies = [e[e.index(b"<event") :] for e in events]
    assert got == [b for b in bodies if len(b) <= 150]
    assert rejected == sum(len(b) > 150 for b in bodies)


def test_sidc_table() -> None:
    assert sidc_of("a-f-G-U-C-I") == "SFGPUCI--------"
    assert sidc_of("a-h-G-E-V") == "SHGPEV---------"
    assert sidc_of("b-r-h-O-V-S") == "OHVPS----------"
    assert sidc_of("t-x-d-d") is None


def test_rate_and_size_bounds(hq: HQ) -> None:
    headers = hq.user("mon", nation="FRA", roles=MONITOR)
    config = GatewayConfig(port=0, tcp_user="mon", since_s=SINCE, rate_per_s=0.01, burst=5)
    with running(hq.state, config) as (gateway, ports):
        burst = b"".join(
            observation(f"burst-{i}", callsign="BURST", lon=37.3 + i * 0.001) for i in range(20)
        )
        huge = observation("huge", callsign="HUGE").replace(
            b"<detail>", b"<detail><remarks>" + b"x" * 70_000 + b"</remarks>", 1
        )
        with _raw(ports["tcp"]) as s:
            s.sendall(burst)
        assert wait_for(lambda: len(reports_of(hq, headers, "TAK-FRA-BURST")) == 5)
        assert gateway.stats.rate_dropped == 15
        # a fresh connection has its own bucket: an oversized event is quarantined, the next read
        with _raw(ports["tcp"]) as s:
            s.sendall(huge + observation("small", callsign="SMALL"))
        assert wait_for(lambda: reports_of(hq, headers, "TAK-FRA-SMALL"))
        assert wait_for(
            lambda: any("larger than" in q.raw for q in hq.state.store.list_quarantine())
        )
        assert not reports_of(hq, headers, "TAK-FRA-HUGE")
        assert len(reports_of(hq, headers, "TAK-FRA-BURST")) == 5
