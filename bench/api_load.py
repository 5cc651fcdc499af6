"""The HQ API benchmark's clients and server: ``ceasefire serve`` in a subprocess, and
``CLIENTS`` kept-alive HTTP/1.1 connections on uvloop, closed loop or paced.

Split from ``bench/api.py`` (which measures; ``bench/api_data.py`` builds the store). Why a
minimal client and not ``httpx.AsyncClient``: see ``bench/api.py``'s docstring.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import orjson
import uvloop

from api_data import CLI

CLIENTS = 50


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def served(db: str, workers: int) -> Iterator[tuple[str, int]]:
    """``ceasefire serve`` on a free loopback port: its base URL and pid while the block runs."""
    port = _free_port()
    proc = subprocess.Popen(
        [str(CLI), "--db", str(db), "serve", "--port", str(port), "--workers", str(workers)],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.perf_counter() + 60.0
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                    break
            if proc.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError(f"server did not start (exit {proc.poll()})")
            time.sleep(0.2)
        yield base, proc.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@dataclass
class Run:
    """What one load phase measured."""

    latencies_s: list[float]
    items: list[int]
    errors: int
    wall_s: float

    def figures(self) -> dict[str, float]:
        ms = np.array(self.latencies_s) * 1000.0
        return {
            "requests": float(len(ms)),
            "p50_ms": float(np.percentile(ms, 50)),
            "p99_ms": float(np.percentile(ms, 99)),
            "requests_per_s": len(ms) / self.wall_s,
            "mean_items": float(np.mean(self.items)) if self.items else 0.0,
            "empty_pct": 100.0 * float(np.mean(np.array(self.items) == 0)) if self.items else 0.0,
            "errors": float(self.errors),
        }


async def _get(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    """One request on a kept-alive connection: status and body (Content-Length framing)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
        elif name.lower() == b"transfer-encoding":
            raise RuntimeError("chunked responses are not expected here")
    return int(head[9:12]), await reader.readexactly(length)


async def load(
    base: str,
    token: str,
    make_path: Callable[[np.random.Generator], str],
    duration_s: float,
    *,
    rate_per_client: float = 0.0,
) -> Run:
    """``CLIENTS`` clients, one kept-alive connection each, for ``duration_s``.

    Closed loop (``rate_per_client`` 0): each sends its next request when the previous one is
    answered. Paced: each sends ``rate_per_client`` requests per second at random phase, and a
    request's latency counts from when it was due (a late request is not forgiven).
    """
    host, port = base.removeprefix("http://").split(":")
    run = Run([], [], 0, duration_s)
    auth = f"Authorization: Bearer {token}\r\n"

    async def client(k: int) -> None:
        rng = np.random.default_rng(1000 + k)
        reader, writer = await asyncio.open_connection(host, int(port))
        due = time.perf_counter()
        if rate_per_client:
            due += rng.uniform(0.0, 1.0 / rate_per_client)
        try:
            while due < stop:
                path = make_path(rng)
                request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}\r\n".encode()
                if rate_per_client:
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                    t0 = due
                    due += 1.0 / rate_per_client
                else:
                    t0 = time.perf_counter()
                status, body = await _get(reader, writer, request)
                if not rate_per_client:
                    due = time.perf_counter()
                if status != 200:
                    run.errors += 1
                    continue
                run.latencies_s.append(time.perf_counter() - t0)
                if path.startswith("/api/incidents"):
                    run.items.append(len(orjson.loads(body)["items"]))
        finally:
            writer.close()

    start = time.perf_counter()
    stop = start + duration_s
    await asyncio.gather(*(client(k) for k in range(CLIENTS)))
    run.wall_s = time.perf_counter() - start
    return run


def run_load(coroutine: Coroutine[None, None, Run]) -> Run:
    """Run the load on uvloop (the client's own cost is then small next to the server's)."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


def _server_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of the server process and its worker processes (Linux)."""
    total = 0
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for p in [pid, *map(int, children)]:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def phase(pid: int, load: Coroutine[None, None, Run]) -> dict[str, float]:
    """Run one load phase; its figures plus the server's CPU milliseconds per request."""
    cpu_s = _server_cpu_s(pid)
    figures = run_load(load).figures()
    figures["server_cpu_ms"] = 1000.0 * (_server_cpu_s(pid) - cpu_s) / max(figures["requests"], 1)
    return figures


def line(name: str, f: dict[str, float]) -> str:
    items = f"  {f['mean_items']:.1f} items/response, {f['empty_pct']:.1f} % empty"
    items = items if f["mean_items"] else ""
    return (
        f"  {name:<28} p50 {f['p50_ms']:7.1f} ms  p99 {f['p99_ms']:7.1f} ms  "
        f"{f['requests_per_s']:6.0f} req/s  server CPU {f['server_cpu_ms']:5.2f} ms/request"
        f"{items}  {f['errors']:.0f} errors"
    )
