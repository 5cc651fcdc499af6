"""Attacks on a real server (`ceasefire serve`, uvicorn): a 1 GiB body before login, a race
of wrong passwords, and the time a failed login takes for known and unknown names."""

from __future__ import annotations

import select
import socket
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import orjson
import pytest
from live_hq import PASSWORD, LiveHQ, make_users, read_status, start_live_hq

from backend_databases import BACKENDS, Databases, drop_url
from ceasefire.api.auth import ADDRESS_FREE_FAILURES, FREE_FAILURES

GIB = 1 << 30
MIB = 1 << 20
#: accounts whose failed logins are timed (one attempt each: never throttled)
TIMED = [f"timed-{k:02d}" for k in range(31)]


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest,
    databases: Databases,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveHQ]:
    """A served HQ on each backend (``sqlite``, ``postgres``)."""
    folder = tmp_path_factory.mktemp("live")
    db = databases.fresh(str(request.param), folder)
    make_users(db, ["ana", "bob", *TIMED])
    hq = start_live_hq(db, folder / "serve.log")
    try:
        yield hq
    finally:
        hq.stop()
        drop_url(db)


def _flood(hq: LiveHQ, head: bytes, frame: bytes, total: int) -> tuple[int, bytes, float, int]:
    """Send ``head`` then ``frame`` over and over (``total`` bytes at most) as fast as the
    server takes them, until it answers; ``(status, body, seconds to the answer, bytes sent)``."""
    sock = socket.create_connection(("127.0.0.1", hq.port))
    try:
        sock.sendall(head)
        began = time.monotonic()
        sent, offset = 0, 0
        view = memoryview(frame)
        while sent < total and time.monotonic() - began < 20:
            readable, writable, _ = select.select([sock], [sock], [], 1.0)
            if readable:
                break
            if writable:
                try:
                    n = sock.send(view[offset:])
                except (BrokenPipeError, ConnectionResetError):
                    break
                sent += n
                offset = (offset + n) % len(frame)
        select.select([sock], [], [], 5.0)
        answered_s = time.monotonic() - began
        status, body = read_status(sock, timeout_s=5.0)
        return status, body, answered_s, sent
    finally:
        sock.close()


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_gibibyte_posted_to_the_login_is_refused_at_once_without_being_read(
    live: LiveHQ, framing: str
) -> None:
    httpx.post(f"{live.url}/api/session", json={"name": "x", "password": "y"})  # warm up
    rss_before, peak_before = live.rss_bytes(), live.rss_bytes("VmHWM")
    if framing == "chunked":
        head = b"Transfer-Encoding: chunked\r\n"
        frame = b"%x\r\n" % MIB + b"{" * MIB + b"\r\n"
    else:
        head = b"Content-Length: %d\r\n" % GIB
        frame = b"{" * MIB
    request = (
        b"POST /api/session HTTP/1.1\r\nHost: hq\r\nContent-Type: application/json\r\n"
        + head
        + b"\r\n"
    )
    status, body, answered_s, sent = _flood(live, request, frame, GIB)
    assert status == 413, body
    assert orjson.loads(body)["error"] == {
        "code": "too_large",
        "field": "body",
        "rule": "size",
        "message": "the body is larger than 8192 bytes",
    }
    assert answered_s < 1.0
    assert sent < GIB  # the server answered long before the client was through
    grown = max(live.rss_bytes() - rss_before, live.rss_bytes("VmHWM") - peak_before)
    assert grown < 50 * MIB, f"server memory grew by {grown / MIB:.1f} MiB"
    assert httpx.get(f"{live.url}/healthz").status_code == 200


def _login(address: str, name: str, password: str, url: str) -> httpx.Response:
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(transport=transport, timeout=60) as client:
        return client.post(f"{url}/api/session", json={"name": name, "password": password})


def _burst(url: str, attempts: list[tuple[str, str, str]]) -> tuple[list[httpx.Response], float]:
    """``(address, name, password)`` attempts sent at the same moment, one thread and one
    connection (made beforehand) each; the answers and the seconds from the first send to
    the last answer."""
    start = threading.Barrier(len(attempts))
    answers: list[httpx.Response | None] = [None] * len(attempts)
    clients = [
        httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=60)
        for address, _, _ in attempts
    ]
    for client in clients:  # connected before the burst
        client.get(f"{url}/healthz")

    def attempt(k: int) -> None:
        _, name, password = attempts[k]
        start.wait()
        answers[k] = clients[k].post(
            f"{url}/api/session", json={"name": name, "password": password}
        )

    threads = [threading.Thread(target=attempt, args=(k,)) for k in range(len(attempts))]
    for thread in threads:
        thread.start()
    began = time.monotonic()
    for thread in threads:
        thread.join(120)
    took_s = time.monotonic() - began
    for client in clients:
        client.close()
    assert all(a is not None for a in answers)
    return [a for a in answers if a is not None], took_s


def _allowed(free: int, took_s: float) -> int:
    """Failures the schedule lets through in ``took_s``: the free ones, then one after each
    wait of 2, 4, 8 ... s (a burst slowed down by a loaded machine may see a wait end)."""
    extra, waited = 0, 2.0
    while waited <= took_s:
        extra, waited = extra + 1, waited + 2.0 ** (extra + 2)
    return free + extra


def test_thirty_concurrent_wrong_passwords_get_at_most_the_limit_through(live: LiveHQ) -> None:
    # thirty addresses (loopback is 127/8): only the account's own limit applies
    answers, took_s = _burst(live.url, [(f"127.0.2.{k + 1}", "ana", "wrong") for k in range(30)])
    statuses = Counter(a.status_code for a in answers)
    assert statuses[401] <= _allowed(FREE_FAILURES, took_s), (statuses, took_s)
    assert statuses[401] + statuses[429] == 30, statuses
    assert all(int(a.headers["Retry-After"]) >= 1 for a in answers if a.status_code == 429)
    # the right password waits too: the guesses were not free
    assert _login("127.0.2.99", "ana", PASSWORD, live.url).status_code == 429


def test_one_address_guessing_many_names_is_throttled_too(live: LiveHQ) -> None:
    attempts = [("127.0.3.1", f"nobody-{k}", "wrong") for k in range(30)]
    answers, took_s = _burst(live.url, attempts)
    statuses = Counter(a.status_code for a in answers)
    assert statuses[401] <= _allowed(ADDRESS_FREE_FAILURES, took_s), (statuses, took_s)
    assert statuses[401] + statuses[429] == 30, statuses
    # ... while another address logs in to an account it knows
    assert _login("127.0.3.2", "bob", PASSWORD, live.url).status_code == 200


def test_a_failed_login_takes_as_long_for_an_unknown_name_as_for_a_known_one(
    live: LiveHQ,
) -> None:
    """Medians of 31 attempts each, interleaved and in alternating order (so load on the
    machine and any after-effect of the previous attempt hit both alike); every attempt from
    its own address with its own name, so none is throttled."""
    _login("127.0.4.250", "warm-up", "wrong", live.url)
    known: list[float] = []
    unknown: list[float] = []
    for k, name in enumerate(TIMED):
        pair = [(name, known), (f"ghost-{k:02d}", unknown)]
        for j, (who, into) in enumerate(pair if k % 2 == 0 else pair[::-1]):
            address = f"127.0.4.{2 * k + j + 1}"
            began = time.perf_counter()
            answer = _login(address, who, "wrong", live.url)
            into.append(time.perf_counter() - began)
            assert answer.status_code == 401, answer.text
            assert answer.json()["error"]["message"] == "wrong name or password"
    fast, slow = sorted((statistics.median(known), statistics.median(unknown)))
    assert (slow - fast) / slow <= 0.10, (statistics.median(known), statistics.median(unknown))


def test_live_server_answers_carry_the_security_headers(live: LiveHQ) -> None:
    page = httpx.get(f"{live.url}/login")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
