"""A real HQ for attacker tests: `ceasefire serve` (uvicorn) on a free port of a database
(SQLite or PostgreSQL) with users, its process id for /proc, and raw-socket helpers."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from ceasefire.access.model import Role
from ceasefire.api.accounts import create_account
from ceasefire.reports.model import Classification
from ceasefire.settings import Settings
from ceasefire.store.access_port import SqlAccess
from ceasefire.store.base import open_store
from ceasefire.store.queries import engine_of

PASSWORD = "live-password-1"


@dataclass
class LiveHQ:
    """A running server: its URL, port, process and database URL."""

    url: str
    port: int
    process: subprocess.Popen[bytes]
    db: str

    def rss_bytes(self, field: str = "VmRSS") -> int:
        """The server process's resident memory now (``VmRSS`` of /proc/PID/status), or its
        peak so far (``VmHWM``)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")

    def stop(self) -> None:
        """SIGTERM, SIGKILL if it hangs."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def make_users(db: str, names: list[str], *, nation: str = "FRA") -> dict[str, str]:
    """Users with the password ``PASSWORD`` (and tokens: name -> token), made in-process
    in the database at URL ``db``."""
    store = open_store(Settings(db=db))
    store.init_schema()
    tokens = {}
    try:
        for name in names:
            account = create_account(
                SqlAccess(engine_of(store)),
                name=name,
                nation=nation,
                organisation=None,
                clearance=Classification.SECRET,
                roles=(Role.ANALYST, Role.MONITOR),
                password=PASSWORD,
                now=datetime.now(UTC),
            )
            tokens[name] = account.token
    finally:
        store.close()
    return tokens


def start_live_hq(db: str, log: Path) -> LiveHQ:
    """`ceasefire --db DB serve --port P`; returns once /healthz answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cli = Path(sys.executable).parent / "ceasefire"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(cli), "--db", db, "serve", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    hq = LiveHQ(url=url, port=port, process=process, db=db)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"ceasefire serve exited:\n{log.read_text('utf-8')}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return hq
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    hq.stop()
    raise RuntimeError(f"ceasefire serve did not start:\n{log.read_text('utf-8')}")


def read_status(sock: socket.socket, *, timeout_s: float) -> tuple[int, bytes]:
    """The status code and the body of a response (whatever of it arrived in ``timeout_s``);
    ``(0, what came)`` if no response did."""
    sock.settimeout(timeout_s)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    if not data.startswith(b"HTTP/1.1 ") or b"\r\n\r\n" not in data:
        return 0, data
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(h.split(b":")[1])
            for h in head.split(b"\r\n")
            if h.lower().startswith(b"content-length:")
        ),
        0,
    )
    try:
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return int(data[9:12]), body
