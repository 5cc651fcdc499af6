"""The demo's live feed: the simulator's last day replayed as the next day, time accelerated.

The HQ demo needs reports arriving while people watch. The feeder takes the last simulated
day's reports, moves them one day later (ids suffixed ``-live`` so they are new reports, not
duplicates) and, on a background thread, ingests every few seconds the ones whose shifted
time the accelerated clock has passed, through the same ingest as any submission (validation,
fusion, triggers, ledger). The browsers see them through the live stream.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import orjson

from ceasefire.api.state import HQState

DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Pending:
    """One report to replay: its shifted time and its NDJSON line."""

    at: datetime
    line: bytes


def next_day_reports(ndjson: Path) -> list[Pending]:
    """The last day's reports of a simulation, shifted one day on, in time order."""
    rows = [orjson.loads(line) for line in ndjson.read_bytes().splitlines() if line.strip()]
    times = [datetime.fromisoformat(r["observed_at"].replace("Z", "+00:00")) for r in rows]
    last = max(times)
    start = last - DAY
    pending = []
    for row, at in zip(rows, times, strict=True):
        if at <= start:
            continue
        row["id"] = f"{row['id']}-live"
        for key in ("observed_at", "observed_until"):
            if row.get(key):
                moved = datetime.fromisoformat(row[key].replace("Z", "+00:00")) + DAY
                row[key] = moved.isoformat().replace("+00:00", "Z")
        if row.get("amends"):
            row["amends"] = f"{row['amends']}-live"
        pending.append(Pending(at + DAY, orjson.dumps(row)))
    return sorted(pending, key=lambda p: p.at)


@dataclass
class LiveFeed:
    """Replays ``pending`` at ``speed`` × real time into the HQ's store, every ``tick_s``."""

    state: HQState
    pending: list[Pending]
    speed: float = 120.0
    tick_s: float = 2.0
    fed: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> threading.Thread:
        """Run in a daemon thread (it dies with the server)."""
        thread = threading.Thread(target=self.run, name="live-feed", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """Ask the thread to end after its current batch."""
        self._stop.set()

    def run(self) -> None:
        """Feed until every pending report is in or ``stop`` is called."""
        if not self.pending:
            return
        origin = self.pending[0].at
        began = time.monotonic()
        k = 0
        while k < len(self.pending) and not self._stop.wait(self.tick_s):
            now = origin + timedelta(seconds=(time.monotonic() - began) * self.speed)
            end = k
            while end < len(self.pending) and self.pending[end].at <= now:
                end += 1
            if end > k:
                self._ingest([p.line for p in self.pending[k:end]])
                self.fed += end - k
                k = end

    def _ingest(self, lines: list[bytes]) -> None:
        from ceasefire.pipeline.ingest import ingest_bytes  # noqa: PLC0415 - heavy
        from ceasefire.reports.parse import ReportFormat  # noqa: PLC0415

        with self.state.write_lock:
            ingest_bytes(
                self.state.store,
                b"\n".join(lines) + b"\n",
                fmt=ReportFormat.NDJSON,
                input_name="live.ndjson",
                gazetteer=self.state.gazetteer(),
                clock=self.state.clock,
            )
