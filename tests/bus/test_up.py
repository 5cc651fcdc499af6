"""``ceasefire up``: the workers and an HQ on one machine, supervised. It answers /healthz,
restarts a worker that was killed, and stops every process on Ctrl-C (SIGINT), exiting 0."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import httpx
import pytest
from bus_processes import build_mini_store, start, wait_healthy
from nats_process import NatsProcess, free_port

from backend_databases import Databases, drop_url
from ceasefire.cli.up import worker_kinds


def _pids(log: str, name: str) -> list[int]:
    return [int(p) for p in re.findall(rf"\[up\] started {name} \(pid (\d+)\)", log)]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_up_serves_restarts_a_killed_worker_and_stops_all_on_ctrl_c(
    databases: Databases, tmp_path: Path
) -> None:
    assert "notify" in worker_kinds()
    db = databases.fresh("postgres", tmp_path, key="bus-mini", build=build_mini_store)
    nats = NatsProcess(tmp_path / "nats")
    nats.start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    up = start(["--db", db, "up", "--bus", nats.url, "--port", str(port)], tmp_path / "up.log")
    try:
        wait_healthy(url, up)
        up.wait_for(f"HQ at {url}/", within_s=30)
        up.wait_for("publishing after", within_s=60)  # the notify worker runs
        [first] = _pids(up.text(), "notify")
        os.kill(first, signal.SIGKILL)
        up.wait_for("notify exited with -9", within_s=10)
        up.wait_for("started notify (pid", within_s=10, times=2)
        up.wait_for("publishing after", within_s=60, times=2)
        again = _pids(up.text(), "notify")
        assert len(again) == 2
        assert again[1] != first
        children = _pids(up.text(), "hq") + again[1:]
        assert all(_alive(pid) for pid in children)

        assert up.stop(signal.SIGINT, within_s=30) == 0
        assert "[up] all stopped" in up.text()
        assert not any(_alive(pid) for pid in children)
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{url}/healthz", timeout=1)
    finally:
        up.stop(signal.SIGKILL)
        nats.kill()
        drop_url(db)
