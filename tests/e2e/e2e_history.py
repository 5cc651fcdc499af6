"""A second HQ whose data ends days before the machine's clock: the COP's windows must count
back from the newest incident, not from now, and its gravest incidents must stand out.

Day D (``LAST_DAY``) is after the paris agreement's entry into force (1 Dec 2026), so its
rules apply: explosions at the Zaporizhzhia NPP break R10 (severity 5, four incidents that
cluster at the theatre's zoom), an attack on monitors breaks R12 (severity 5, alone near
Kharkiv), troops seen near Kyiv break nothing (severity 0). The two days before hold
incidents more than 24 h older than D's last one.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from e2e_hq import AGREEMENT, HQ, add_user, run_cli, start_server

LAST_DAY = date(2026, 12, 4)
#: the newest incident of the history HQ (D 20:00 UTC)
NEWEST = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
#: the Zaporizhzhia NPP (R10's exclusion zone is 10 km around it)
ZNPP = (34.5858, 47.5118)
#: a source name longer than any real one: the panel must wrap it, not widen
LONG_SOURCE = "observation-post-zaporizhzhia-npp-north-gate-camera-array-7"


def _at(day: date, hour: int) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00Z"


def history_reports() -> list[dict[str, Any]]:
    """Ten reports, each its own incident (sources, places or hours apart); six on D."""
    d, d1, d2 = LAST_DAY, LAST_DAY - timedelta(days=1), LAST_DAY - timedelta(days=2)
    base: dict[str, Any] = {"source_type": "observation_post", "uncertainty_m": 500}
    rows: list[dict[str, Any]] = [
        {"id": "h-d2", "source": "op-h-1", "observed_at": _at(d2, 12), "lat": 48.28,
         "lon": 37.18, "category": "explosion", "count": 2},
        {"id": "h-d1-a", "source": "op-h-2", "observed_at": _at(d1, 6), "lat": 48.58,
         "lon": 38.0, "category": "shots", "count": 5},
        {"id": "h-d1-b", "source": "op-h-3", "observed_at": _at(d1, 14), "lat": 46.64,
         "lon": 32.61, "category": "explosion", "count": 1},
    ]  # fmt: skip
    # D: four explosions at the plant, two hours apart (four incidents, one cluster)
    for k, (dx, dy) in enumerate(((0.0, 0.0), (0.03, 0.01), (-0.02, 0.02), (0.01, -0.03))):
        rows.append(
            {"id": f"h-znpp-{k}", "source": LONG_SOURCE if k == 0 else f"op-znpp-{k}",
             "observed_at": _at(d, 3 + 2 * k), "lat": ZNPP[1] + dy, "lon": ZNPP[0] + dx,
             "category": "explosion", "count": 3}
        )  # fmt: skip
    rows += [
        {"id": "h-monitors", "source": "patrol-h-1", "observed_at": _at(d, 12), "lat": 49.99,
         "lon": 36.23, "category": "attack_on_monitors", "count": 1},
        {"id": "h-kyiv", "source": "op-h-kyiv", "observed_at": _at(d, 20), "lat": 50.45,
         "lon": 30.52, "category": "troop_movement", "count": 20},
    ]  # fmt: skip
    return [{**base, **row} for row in rows]


#: incidents per day of the history HQ
ON_LAST_DAY = 6
ON_DAY_BEFORE = 2


def start_history_hq(folder: Path) -> tuple[subprocess.Popen[bytes], HQ]:
    """The history HQ: schema, one analyst and one monitor, the agreement, the coalition
    (registry, pledges, CJSOR), the reports."""
    db = folder / "history.db"
    run_cli(db, "init")
    accounts = {
        "fra": add_user(db, "fra-historian", "FRA", "analyst"),
        "monitor": add_user(db, "monitor-h", "FRA", "monitor"),
    }
    run_cli(db, "agreement", "load", str(AGREEMENT))
    run_cli(db, "coalition", "load", str(AGREEMENT.parent))  # the force layer's plan
    reports = folder / "history.ndjson"
    rows = history_reports()
    reports.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    summary = json.loads(run_cli(db, "ingest", str(reports), "--json"))
    if summary["accepted"] != len(rows):
        raise RuntimeError(f"history reports not all accepted: {summary}")
    process, url = start_server(db, folder / "serve.log")
    return process, HQ(url=url, db=db, accounts=accounts)
