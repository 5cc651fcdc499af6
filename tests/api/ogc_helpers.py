"""A real HTTP server for interop clients (OWSLib, GDAL): the test's app under uvicorn in a
thread, on a socket bound to a free loopback port; and a store with mixed markings."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from api_helpers import HQ, report
from fastapi import FastAPI

from ceasefire.reports.model import Classification

MARKINGS: tuple[tuple[list[str] | None, str], ...] = (
    (None, "UNCLASSIFIED"),
    (["FRA"], "RESTRICTED"),
    (["USA"], "UNCLASSIFIED"),
    (["NATO"], "SECRET"),
    (["UKR"], "UNCLASSIFIED"),
    (None, "CONFIDENTIAL"),
)


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """``app`` served over HTTP on 127.0.0.1; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def mixed_store(hq: HQ, n: int = 18) -> None:
    """``n`` incidents apart in place and time, each of one or two reports whose markings
    differ (some incidents are seen whole by a reader, some through a tearline, some not)."""
    reports: list[dict[str, Any]] = []
    for i in range(n):
        lon, lat = 37.05 + 0.02 * i, 47.9 + 0.03 * (i % 4)
        rel, cls = MARKINGS[i % len(MARKINGS)]
        reports.append(
            report(f"r{i}a", minute=i * 3, lon=lon, lat=lat, releasable_to=rel, classification=cls)
        )
        if i % 3 == 0:  # a second report of the same event, marked otherwise
            rel2, cls2 = MARKINGS[(i + 1) % len(MARKINGS)]
            reports.append(
                report(
                    f"r{i}b",
                    source="OP-2",
                    minute=i * 3,
                    lon=lon + 0.002,
                    lat=lat,
                    releasable_to=rel2,
                    classification=cls2,
                    count=2,
                )
            )
    hq.ingest(reports)


def readers(hq: HQ) -> dict[str, dict[str, str]]:
    """Bearer headers of readers who see differently."""
    return {
        "fra": hq.user("fra", nation="FRA", clearance=Classification.SECRET),
        "usa": hq.user("usa", nation="USA", clearance=Classification.UNCLASSIFIED),
        "ukr": hq.user("ukr", nation="UKR", clearance=Classification.RESTRICTED),
        "jpn": hq.user("jpn", nation="JPN", clearance=Classification.CONFIDENTIAL),
    }
