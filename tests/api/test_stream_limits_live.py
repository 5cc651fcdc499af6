"""Live streams on a real server: a cap per user, given back when a stream ends, and a client
that stops reading is dropped instead of being buffered for."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import orjson
import pytest
from api_helpers import build_hq_template, report
from live_hq import LiveHQ, make_users, start_live_hq

from backend_databases import BACKENDS, Databases, drop_url
from ceasefire.api.routes_stream import SEND_TIMEOUT_S
from ceasefire.api.state import MAX_STREAMS_PER_USER

MIB = 1 << 20


@pytest.fixture(scope="module", params=BACKENDS)
def served(
    request: pytest.FixtureRequest,
    databases: Databases,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LiveHQ, dict[str, str]]]:
    """A served HQ with the mini agreement, on each backend (``sqlite``, ``postgres``)."""
    folder = tmp_path_factory.mktemp("streams")
    db = databases.fresh(str(request.param), folder, key="hq", build=build_hq_template)
    tokens = make_users(db, ["ana", "carol", "mon"])
    hq = start_live_hq(db, folder / "serve.log")
    try:
        yield hq, tokens
    finally:
        hq.stop()
        drop_url(db)


def _open_stream(hq: LiveHQ, token: str, *, rcvbuf: int | None = None) -> tuple[socket.socket, int]:
    """A raw connection asking for the stream; its status (the socket is left open)."""
    sock = socket.socket()
    if rcvbuf is not None:
        # a small window and small segments: the server's kernel then keeps only a small
        # send buffer for this connection (on loopback, 64 KiB segments make it megabytes)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
    sock.connect(("127.0.0.1", hq.port))
    sock.sendall(
        f"GET /api/stream HTTP/1.1\r\nHost: hq\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
    )
    sock.settimeout(10)
    head = b""
    while b"\r\n" not in head:
        chunk = sock.recv(1 if rcvbuf else 4096)
        if not chunk:
            break
        head += chunk
    return sock, int(head[9:12]) if head.startswith(b"HTTP/1.1 ") else 0


def _close(socks: list[socket.socket]) -> None:
    for sock in socks:
        sock.close()


def _wait_for_slots(hq: LiveHQ, token: str, n: int, *, within_s: float) -> list[int]:
    """Open ``n`` streams at once, again until all are admitted or time runs out; the
    statuses of the last try (the streams are closed)."""
    deadline = time.monotonic() + within_s
    while True:
        opened = [_open_stream(hq, token) for _ in range(n)]
        _close([sock for sock, _ in opened])
        statuses = [status for _, status in opened]
        if statuses == [200] * n or time.monotonic() > deadline:
            return statuses
        time.sleep(0.5)


def test_a_user_holds_at_most_the_cap_of_streams_and_gets_a_slot_back_when_one_ends(
    served: tuple[LiveHQ, dict[str, str]],
) -> None:
    hq, tokens = served
    opened = [_open_stream(hq, tokens["ana"]) for _ in range(MAX_STREAMS_PER_USER)]
    assert [status for _, status in opened] == [200] * MAX_STREAMS_PER_USER
    extra, status = _open_stream(hq, tokens["ana"])
    assert status == 429
    answer = httpx.get(f"{hq.url}/api/stream", headers={"Authorization": f"Bearer {tokens['ana']}"})
    assert answer.status_code == 429
    assert f"at most {MAX_STREAMS_PER_USER} live streams" in answer.json()["error"]["message"]
    assert int(answer.headers["Retry-After"]) >= 1
    extra.close()
    # another user is not affected
    other, status = _open_stream(hq, tokens["carol"])
    assert status == 200
    other.close()
    # one stream ends: its slot comes back (the server notices within a poll)
    opened[0][0].close()
    again, _ = _open_stream(hq, tokens["ana"])  # the fifth, while three are still open
    _close([again])
    assert _wait_for_slots(hq, tokens["ana"], 1, within_s=5) == [200]
    _close([sock for sock, _ in opened[1:]])


def _post_incidents(hq: LiveHQ, token: str, batch: int, n: int) -> None:
    """``n`` reports far enough apart to be ``n`` incidents (an event of ~330 bytes each)."""
    lines = [
        report(
            f"s{batch}-{k}",
            source=f"OP-{batch}-{k}",
            minute=k % 60,
            lon=36.5 + (k % 20) * 0.05,
            lat=47.5 + (k // 20) * 0.1 + batch * 0.01,
        )
        for k in range(n)
    ]
    posted = httpx.post(
        f"{hq.url}/api/reports",
        content=b"".join(orjson.dumps(line) + b"\n" for line in lines),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"},
        timeout=120,
    )
    assert posted.status_code == 200, posted.text


def test_a_client_that_stops_reading_is_dropped_not_buffered_for(
    served: tuple[LiveHQ, dict[str, str]],
) -> None:
    hq, tokens = served
    _post_incidents(hq, tokens["mon"], 0, 50)  # the ingest's first use loads its caches
    rss_before = hq.rss_bytes()
    slow, status = _open_stream(hq, tokens["carol"], rcvbuf=4096)
    assert status == 200
    began = time.monotonic()
    for batch in range(1, 9):  # 2,400 incidents: ~800 kB of events, more than the buffers
        _post_incidents(hq, tokens["mon"], batch, 300)
    # the server's send to the slow stream blocks once the buffers are full, times out and
    # drops the connection: after that, reading what the buffers hold ends in EOF ...
    time.sleep(max(0.0, began + SEND_TIMEOUT_S + 5 - time.monotonic()))
    received = 0
    slow.settimeout(5)
    while chunk := slow.recv(65536):
        received += len(chunk)
    slow.close()
    assert received < 2 * MIB
    grown = hq.rss_bytes() - rss_before
    assert grown < 50 * MIB, f"server memory grew by {grown / MIB:.1f} MiB"
    # ... and its slot is free: the cap's worth of streams opens at once
    assert (
        _wait_for_slots(hq, tokens["carol"], MAX_STREAMS_PER_USER, within_s=5)
        == [200] * MAX_STREAMS_PER_USER
    )
    assert httpx.get(f"{hq.url}/healthz").status_code == 200
