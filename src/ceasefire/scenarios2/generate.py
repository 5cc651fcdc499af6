"""One scenario from a family and a seed: true events, observers, reports, and their truth.

The same family, seed and size always give the same scenario (one ``numpy`` generator,
``default_rng(seed)``, drawn in a fixed order). Reports come out in *arrival* order, as a
feed would deliver them, with ids unique per source.

>>> s = generate("bursts", seed=3, n_events=40)
>>> len(s.events), s.n_reports > 0
(40, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ceasefire.scenarios2.columns import Columns, concat, size, take
from ceasefire.scenarios2.events import Sectors, TruthEvents, draw_events, draw_sectors
from ceasefire.scenarios2.families import Family, FamilySpec, spec_of
from ceasefire.scenarios2.geometry import Polyline, contact_line, destination
from ceasefire.scenarios2.noise import forwarded_copies, resent_copies, skew_clocks
from ceasefire.scenarios2.observers import (
    Stations,
    acoustic_reports,
    post_reports,
    satellite_reports,
    uav_reports,
)
from ceasefire.scenarios2.places import osint_place_reports, settlements_near


@dataclass(frozen=True)
class Scenario:
    """A generated scenario: the truth and the reports observers sent (columns).

    ``reports['event']`` is the true event of each report (``-1``: false); ``kind`` and
    ``copy_of`` say which reports are relays or re-sends of which (``columns`` module).
    ``clock_skew_s`` maps each source with a wrong clock to its offset, s.
    """

    family: Family
    seed: int
    events: TruthEvents
    reports: Columns
    clock_skew_s: dict[str, float]

    @property
    def n_reports(self) -> int:
        """Reports in the feed, re-sends included."""
        return size(self.reports)


def generate(family: Family | str, *, seed: int, n_events: int | None = None) -> Scenario:
    """Generate the scenario of ``family`` with ``seed`` (``n_events`` overrides the size)."""
    fam = Family(family)
    spec = spec_of(fam, n_events=n_events)
    rng = np.random.default_rng(seed)
    line = contact_line()
    sectors = draw_sectors(line, spec.events, rng)
    events = draw_events(line, sectors, spec.events, rng)
    posts = _stations(line, sectors, spacing_m=spec.post_spacing_m, prefix="op", rng=rng)
    sensors = _stations(
        line,
        sectors,
        spacing_m=sectors.length_m / max(spec.acoustic_per_sector, 1),
        prefix="acoustic",
        rng=rng,
    )
    first = _observe(events, spec, posts, sensors, rng)
    ghosts = draw_events(line, sectors, spec.events, rng)
    n_false = round(spec.false_share * size(first))
    false = _false_reports(ghosts, spec, (posts, sensors), rng, n=n_false)
    table = concat([first, false])
    table, skews = skew_clocks(table, rng, share=spec.skew_share)
    table = concat([table, forwarded_copies(table, rng, share=spec.forward_share)])
    table = _with_ids(table)
    table = concat([table, resent_copies(table, rng, share=spec.resend_share)])
    table = _arrival_order(table)
    return Scenario(family=fam, seed=seed, events=events, reports=table, clock_skew_s=skews)


def _observe(
    events: TruthEvents,
    spec: FamilySpec,
    posts: Stations,
    sensors: Stations,
    rng: np.random.Generator,
) -> Columns:
    blocks = [post_reports(events, posts, spec.posts, rng)]
    if spec.uav_share:
        blocks.append(uav_reports(events, rng, share=spec.uav_share, delay_s=spec.uav_delay_s))
    if spec.satellite_share:
        blocks.append(
            satellite_reports(
                events, rng, share=spec.satellite_share, delay_s=spec.satellite_delay_s
            )
        )
    if spec.osint_share:
        places = settlements_near(events.lon, events.lat)
        blocks.append(osint_place_reports(events, places, rng, share=spec.osint_share))
    if spec.acoustic_per_sector:
        blocks.append(acoustic_reports(events, sensors, rng))
    return concat(blocks)


def _false_reports(
    ghosts: TruthEvents,
    spec: FamilySpec,
    stations: tuple[Stations, Stations],
    rng: np.random.Generator,
    *,
    n: int,
) -> Columns:
    """``n`` reports of events that never happened: one report of each of ``n`` ghosts."""
    if n == 0:
        return concat([])
    seen = _observe(ghosts, spec, *stations, rng)
    # one report per ghost, the first drawn in a random order
    order = rng.permutation(size(seen))
    _, firsts = np.unique(seen["event"][order], return_index=True)
    rows = order[firsts][:n]
    out = take(seen, rows)
    out["event"] = np.full(len(rows), -1, dtype=np.int64)
    out["kind"] = np.full(len(rows), "false", dtype=object)
    return out


def _stations(
    line: Polyline, sectors: Sectors, *, spacing_m: float, prefix: str, rng: np.random.Generator
) -> Stations:
    """Fixed observers every ``spacing_m`` along each sector, 2-6 km off the line, both sides."""
    per = max(int(sectors.length_m // spacing_m), 1)
    s_m = (sectors.start_m[:, None] + (np.arange(per)[None, :] + 0.5) * spacing_m).ravel()
    lon0, lat0, heading = line.at(s_m)
    side = np.where(np.arange(len(s_m)) % 2 == 0, 90.0, -90.0)
    lon, lat = destination(lon0, lat0, heading + side, rng.uniform(2_000.0, 6_000.0, len(s_m)))
    names = np.array([f"{prefix}-{k:03d}" for k in range(1, len(s_m) + 1)], dtype=object)
    return Stations(name=names, lon=lon, lat=lat)


def _with_ids(table: Columns) -> Columns:
    """Give every report without one an id, unique per source (``r000123``)."""
    out = dict(table)
    ids = np.array([f"r{k:06d}" for k in range(size(table))], dtype=object)
    out["id"] = np.where(table["id"] == None, ids, table["id"]).astype(object)  # noqa: E711
    return out


def _arrival_order(table: Columns) -> Columns:
    """Rows sorted by arrival; ``copy_of`` renumbered to the new rows."""
    order = np.argsort(table["arrival"], kind="stable")
    out = take(table, order)
    new_row: NDArray[np.int64] = np.empty(len(order), dtype=np.int64)
    new_row[order] = np.arange(len(order))
    copy_of = out["copy_of"].astype(np.int64)
    out["copy_of"] = np.where(copy_of >= 0, new_row[np.maximum(copy_of, 0)], -1)
    return out
