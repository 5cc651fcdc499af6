"""A real HQ for the browser tests: a SQLite database built with the CLI, users, and
`ceasefire serve` on a free port, as an operator would set it up."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import ViewportSize

REPO = Path(__file__).resolve().parents[2]
AGREEMENT = REPO / "scenarios" / "paris-2026" / "agreement.yaml"
PASSWORD = "e2e-password-1"
#: the browser window of every test (the screenshot has this size)
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
#: how long `ceasefire serve` may take to answer /healthz: its imports alone took over 30 s
#: when the machine's load average was 16 (several test suites at once)
SERVE_TIMEOUT_S = 120


@dataclass(frozen=True)
class Account:
    """A user created with `ceasefire users add`: login name, password and API token."""

    name: str
    nation: str
    token: str
    password: str


@dataclass
class HQ:
    """A running HQ: its URL, database and accounts by role."""

    url: str
    db: Path
    accounts: dict[str, Account] = field(default_factory=dict)

    def client(self, account: Account) -> httpx.Client:
        """An API client authenticated with the account's bearer token."""
        return httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {account.token}"},
            timeout=10.0,
        )


def ceasefire_cli() -> Path:
    """The `ceasefire` entry point of the interpreter running the tests (the project's venv)."""
    return Path(sys.executable).parent / "ceasefire"


def run_cli(db: Path, *args: str) -> str:
    """Run `ceasefire --db DB ARGS...`, failing the test setup with its output if it fails."""
    done = subprocess.run(
        [str(ceasefire_cli()), "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"ceasefire {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def seed_reports(now: datetime) -> list[dict[str, Any]]:
    """Six reports, each its own incident (distinct places and sources), hours before ``now``.

    Releasability: one to the USA only, two to France only, three default (every coalition
    member). So a French user sees 5 incidents, an American one 4.
    """

    def ago(hours: float) -> str:
        return (now - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")

    return [
        {
            "id": "fra-1",
            "source": "op-fra-1",
            "source_type": "observation_post",
            "reliability": "B",
            "credibility": 2,
            "observed_at": ago(3),
            "lat": 47.57,
            "lon": 35.78,
            "uncertainty_m": 500,
            "category": "explosion",
            "count": 4,
            "releasable_to": ["FRA"],
        },
        {
            "id": "usa-1",
            "source": "uav-usa-1",
            "source_type": "uav",
            "reliability": "B",
            "credibility": 2,
            "observed_at": ago(5),
            "lat": 49.71,
            "lon": 37.61,
            "uncertainty_m": 100,
            "category": "heavy_weapon",
            "weapon_class": "artillery_ge_100",
            "count": 2,
            "releasable_to": ["USA"],
        },
        {
            "id": "fra-2",
            "source": "op-fra-2",
            "source_type": "observation_post",
            "observed_at": ago(8),
            "lat": 48.58,
            "lon": 38.0,
            "uncertainty_m": 700,
            "category": "troop_movement",
            "releasable_to": ["FRA"],
        },
        {
            "id": "def-1",
            "source": "op-12",
            "source_type": "observation_post",
            "observed_at": ago(2),
            "lat": 48.28,
            "lon": 37.18,
            "uncertainty_m": 1000,
            "category": "explosion",
            "count": 3,
        },
        {
            "id": "def-2",
            "source": "patrol-3",
            "source_type": "patrol",
            "observed_at": ago(30),
            "lat": 46.64,
            "lon": 32.61,
            "uncertainty_m": 800,
            "category": "shots",
            "count": 10,
        },
        {
            "id": "def-3",
            "source": "cam-7",
            "source_type": "camera",
            "observed_at": ago(50),
            "lat": 47.66,
            "lon": 36.26,
            "uncertainty_m": 300,
            "category": "uav",
        },
    ]


def free_port() -> int:
    """A TCP port nobody listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def add_user(db: Path, name: str, nation: str, role: str) -> Account:
    """`ceasefire users add` with a known password; the token comes from its --json output."""
    out = json.loads(
        run_cli(db, "users", "add", name, "--nation", nation, "--role", role,
                "--password", PASSWORD, "--json")
    )  # fmt: skip
    return Account(name, nation, out["token"], out["password"])


def ingest_seed(db: Path, folder: Path, now: datetime) -> None:
    """The seed reports, as an NDJSON file through `ceasefire ingest`."""
    reports = folder / "reports.ndjson"
    rows = seed_reports(now)
    reports.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    summary = json.loads(run_cli(db, "ingest", str(reports), "--json"))
    if summary["accepted"] != len(rows):
        raise RuntimeError(f"seed reports not all accepted: {summary}")


def start_hq(folder: Path, now: datetime) -> tuple[subprocess.Popen[bytes], HQ]:
    """A database, its users and data, and the server, ready to use.

    One step after the other: SQLite has one writer, and a CLI process whose read transaction
    turns into a write while another process writes gets "database is locked" at once (the
    busy timeout does not apply to that deadlock), so overlapping the steps made the set-up
    flaky on a loaded machine.
    """
    db = folder / "hq.db"
    run_cli(db, "init")
    accounts = {
        "fra": add_user(db, "fra-analyst", "FRA", "analyst"),
        "usa": add_user(db, "usa-analyst", "USA", "analyst"),
        "monitor": add_user(db, "monitor-1", "FRA", "monitor"),
    }
    run_cli(db, "agreement", "load", str(AGREEMENT))
    ingest_seed(db, folder, now)
    process, url = start_server(db, folder / "serve.log")
    return process, HQ(url=url, db=db, accounts=accounts)


def start_server(db: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`ceasefire serve` on a free port; returns once /healthz answers (or raises)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(ceasefire_cli()), "--db", str(db), "serve", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + SERVE_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"ceasefire serve exited:\n{log.read_text('utf-8')}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    stop_server(process)
    raise RuntimeError(
        f"ceasefire serve did not answer /healthz in {SERVE_TIMEOUT_S} s:\n{log.read_text('utf-8')}"
    )


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (uvicorn shuts down cleanly), SIGKILL if it hangs."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def post_live_report(hq: HQ, prefix: str, minutes_ago: float, **fields: Any) -> float:
    """A monitor POSTs one observation-post report observed ``minutes_ago``; returns the
    ``time.monotonic()`` of its acceptance (the tests time the page's reaction from it)."""
    observed = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    report = {
        "id": f"{prefix}-{time.time_ns()}",
        "source": f"op-{prefix}-1",
        "source_type": "observation_post",
        "observed_at": observed.strftime("%Y-%m-%dT%H:%M:%SZ"),
        **fields,
    }
    with hq.client(hq.accounts["monitor"]) as api:
        response = api.post("/api/reports", json=report)
    posted = time.monotonic()
    if response.status_code != 200 or response.json()["accepted"] != 1:
        raise AssertionError(f"report not accepted: {response.status_code} {response.text}")
    return posted


def count_incidents(client: httpx.Client, **params: str) -> int:
    """How many incidents the API lists for the client's user (every page)."""
    total = 0
    cursor: str | None = None
    while True:
        query = {**params, "limit": "5000", **({"cursor": cursor} if cursor else {})}
        response = client.get("/api/incidents", params=query)
        response.raise_for_status()
        page = response.json()
        total += len(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return total
