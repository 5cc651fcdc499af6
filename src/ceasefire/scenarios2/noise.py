"""What real feeds add to honest observation: wrong clocks, relays, re-sends.

* **Clock skew**: an observer's clock is off by a constant for the whole scenario, usually
  minutes (a watch set by hand), sometimes whole hours (local Kyiv time written as UTC).
* **Forwarded copies**: another source relays a report (a channel reposting a post's
  sighting): same content and event, a new source name and id, later.
* **Re-sends**: the very same line delivered again (a retry); the store keeps one.

Each returns new columns; the truth of every copy names the row it copies (``copy_of``).
"""

from __future__ import annotations

import numpy as np

from ceasefire.scenarios2.columns import Columns, size, take


def skew_clocks(
    table: Columns,
    rng: np.random.Generator,
    *,
    share: float,
    minutes_sigma: float = 5.0,
    hours_share: float = 0.15,
) -> tuple[Columns, dict[str, float]]:
    """Shift the times of a ``share`` of sources by a per-source constant; return the skews.

    Of the skewed sources, ``hours_share`` are off by whole hours (+-1 h or +2 h: a
    time zone mistaken for UTC), the rest by a normal of ``minutes_sigma`` minutes.
    Arrival (the receiver's clock) is not shifted.
    """
    sources = np.unique(table["source"].astype(str))
    chosen = sources[rng.uniform(size=len(sources)) < share]
    hours = rng.uniform(size=len(chosen)) < hours_share
    skew = np.where(
        hours,
        rng.choice([-3600.0, 3600.0, 7200.0], size=len(chosen)),
        np.round(rng.normal(0.0, minutes_sigma * 60.0, size=len(chosen))),
    )
    skews = {str(s): float(k) for s, k in zip(chosen, skew, strict=True)}
    shift = np.array([skews.get(str(s), 0.0) for s in table["source"]])
    out = dict(table)
    out["observed_at"] = table["observed_at"] + shift
    out["observed_until"] = table["observed_until"] + shift
    return out, skews


def forwarded_copies(
    table: Columns, rng: np.random.Generator, *, share: float, n_relays: int = 5
) -> Columns:
    """Relays of a ``share`` of first-hand reports by other sources (new name and id)."""
    rows = np.flatnonzero((table["kind"] == "first") & (rng.uniform(size=size(table)) < share))
    copies = take(table, rows)
    n = len(rows)
    copies["source"] = np.array(
        [f"osint:relay-{k}" for k in rng.integers(1, n_relays + 1, size=n)], dtype=object
    )
    copies["source_type"] = np.full(n, "osint", dtype=object)
    copies["reliability"] = np.full(n, "F", dtype=object)
    copies["credibility"] = np.full(n, 6, dtype=np.int64)
    copies["kind"] = np.full(n, "forwarded", dtype=object)
    copies["copy_of"] = rows.astype(np.int64)
    copies["arrival"] = copies["arrival"] + rng.uniform(600.0, 14_400.0, size=n)
    copies["id"] = np.full(n, None, dtype=object)
    return copies


def resent_copies(table: Columns, rng: np.random.Generator, *, share: float) -> Columns:
    """Exact re-deliveries (same source, id and content) of a ``share`` of reports."""
    rows = np.flatnonzero((table["kind"] != "resent") & (rng.uniform(size=size(table)) < share))
    copies = take(table, rows)
    copies["kind"] = np.full(len(rows), "resent", dtype=object)
    copies["copy_of"] = rows.astype(np.int64)
    copies["arrival"] = copies["arrival"] + rng.uniform(60.0, 7200.0, size=len(rows))
    return copies
