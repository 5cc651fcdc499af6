"""Processes of a bus deployment for tests: ``ceasefire serve``, ``worker`` and ``up`` as
subprocesses with their own logs, users with tokens, and live streams read on threads."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from ceasefire.access.model import Role
from ceasefire.api.accounts import create_account
from ceasefire.pipeline.agreements import AgreementBook, load_agreement_file
from ceasefire.reports.model import Classification
from ceasefire.settings import Settings
from ceasefire.store.base import open_store
from ceasefire.store.queries import engine_of
from ceasefire.store.stores import open_stores

MINI = Path(__file__).resolve().parents[1] / "data" / "mini-agreement" / "agreement.yaml"
CLI = str(Path(sys.executable).parent / "ceasefire")


def build_mini_store(url: str) -> None:
    """A template's content: the schema and the mini agreement."""
    store = open_store(Settings(db=url))
    store.init_schema()
    load_agreement_file(store, MINI)
    engine_of(store).dispose()
    AgreementBook.from_store(store)
    store.close()


def make_user(db: str, name: str, *, nation: str) -> str:
    """An analyst of ``nation`` cleared SECRET; their bearer token."""
    stores = open_stores(Settings(db=db))
    try:
        account = create_account(
            stores.access,
            name=name,
            nation=nation,
            organisation=None,
            clearance=Classification.SECRET,
            roles=(Role.ANALYST,),
            password="bus-password-1",
            now=datetime.now(UTC),
        )
    finally:
        stores.close()
    return account.token


@dataclass
class Proc:
    """A ``ceasefire`` subprocess writing to ``log``."""

    process: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text("utf-8", errors="replace")

    def wait_for(self, needle: str, *, within_s: float, times: int = 1) -> None:
        """Until ``needle`` is in the log (``times`` times); fails with the log if the
        process exits first."""
        deadline = time.monotonic() + within_s
        while self.text().count(needle) < times:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"no {needle!r} in the log:\n{self.text()}")
            time.sleep(0.1)

    def stop(self, sig: int = signal.SIGTERM, *, within_s: float = 20.0) -> int:
        """Send ``sig``; the exit status (killed, and the test failed, if it hangs)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=within_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            raise AssertionError(f"did not stop on {sig}:\n{self.text()}") from None


def start(args: list[str], log: Path) -> Proc:
    """``ceasefire ARGS`` with its output in ``log``."""
    with log.open("wb") as out:
        process = subprocess.Popen([CLI, *args], stdout=out, stderr=subprocess.STDOUT)
    return Proc(process, log)


def wait_healthy(url: str, proc: Proc, *, within_s: float = 90.0) -> None:
    """Until ``url``/healthz answers 200."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if proc.process.poll() is not None:
            raise AssertionError(f"exited:\n{proc.text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer:\n{proc.text()}")


@dataclass
class StreamReader:
    """A live stream (``/api/stream``) read on a thread: its events with arrival times."""

    url: str
    token: str
    events: list[tuple[float, str, str]] = field(default_factory=list)
    connected: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()

    def of(self, kind: str) -> list[tuple[float, str]]:
        """``(arrival, data)`` of the events of ``kind`` so far."""
        return [(at, data) for at, k, data in list(self.events) if k == kind]

    def _read(self) -> None:
        # no read timeout: an idle stream sends a heartbeat every 15 s, and the thread (a
        # daemon) ends when its server stops
        headers = {"Authorization": f"Bearer {self.token}"}
        timeout = httpx.Timeout(5.0, read=None)
        kind = ""
        try:
            with httpx.stream(
                "GET", f"{self.url}/api/stream", headers=headers, timeout=timeout
            ) as answer:
                for line in answer.iter_lines():
                    if line.startswith(": connected"):
                        self.connected.set()
                    elif line.startswith("event: "):
                        kind = line[7:]
                    elif line.startswith("data: "):
                        self.events.append((time.monotonic(), kind, line[6:]))
        except httpx.HTTPError:
            return
