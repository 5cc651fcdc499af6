"""The scenario families: each one stresses one thing that association has to survive.

Every family keeps observation posts as its backbone (the SMM's unit of observation) and turns
one difficulty up; ``mixed`` turns them all on at once. A family is only a ``FamilySpec``:
the generator (``generate.generate``) is the same for all.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from ceasefire.scenarios2.events import EventSpec
from ceasefire.scenarios2.observers import PostStyle


class Family(StrEnum):
    """The selectable families (``plain`` is the control: nothing turned up)."""

    PLAIN = "plain"
    BURSTS = "bursts"
    BEARING_ONLY = "bearing_only"
    UAV_SATELLITE = "uav_satellite"
    PLACE_NAMES = "place_names"
    FALSE_DUPLICATES = "false_duplicates"
    CLOCK_SKEW = "clock_skew"
    SENSOR_STREAM = "sensor_stream"
    MIXED = "mixed"


@dataclass(frozen=True)
class FamilySpec:
    """Knobs of one family; shares are per event (observers) or per report (noise).

    ``uav_delay_s``/``satellite_delay_s``: how long after the fire the fix is taken.
    ``false_share``: false reports per first-hand report. ``skew_share``: share of sources
    whose clock is off. ``acoustic_per_sector``: acoustic arrays streaming every few seconds.
    """

    events: EventSpec = field(default_factory=EventSpec)
    posts: PostStyle = field(default_factory=PostStyle)
    post_spacing_m: float = 8_000.0
    uav_share: float = 0.0
    uav_delay_s: tuple[float, float] = (60.0, 600.0)
    satellite_share: float = 0.0
    satellite_delay_s: tuple[float, float] = (3600.0, 12 * 3600.0)
    osint_share: float = 0.0
    false_share: float = 0.0
    forward_share: float = 0.0
    resend_share: float = 0.0
    skew_share: float = 0.0
    acoustic_per_sector: int = 0


_BASE = FamilySpec()

SPECS: dict[Family, FamilySpec] = {
    # the control: posts with 2 km bands, UAV fixes of a quarter of the explosions, 20 % bursts
    Family.PLAIN: replace(_BASE, uav_share=0.25),
    # several events within 1-2 km and minutes, heard by the same posts
    Family.BURSTS: replace(
        _BASE,
        events=EventSpec(burst_fraction=0.75, burst_radius_m=1_500.0, burst_window_s=480.0),
        uav_share=0.25,
    ),
    # posts only, 8-point compass, wide or missing range bands
    Family.BEARING_ONLY: replace(
        _BASE,
        posts=PostStyle(bracket="wide", no_range_share=0.3, compass_points=8),
    ),
    # fixes that come late: UAVs minutes after, satellites hours after (some with a window)
    Family.UAV_SATELLITE: replace(
        _BASE, uav_share=0.6, uav_delay_s=(120.0, 1800.0), satellite_share=0.3
    ),
    # open sources naming the nearest settlement, late or with a rounded time
    Family.PLACE_NAMES: replace(_BASE, osint_share=0.6),
    # reports of nothing, relays of real reports under other names, and exact re-sends
    Family.FALSE_DUPLICATES: replace(
        _BASE, uav_share=0.2, osint_share=0.3, false_share=0.1, forward_share=0.1, resend_share=0.05
    ),
    # a third of observers with a wrong clock (minutes; a few by whole hours)
    Family.CLOCK_SKEW: replace(_BASE, uav_share=0.3, skew_share=0.35),
    # an acoustic array per sector reporting every 2-6 s while fire lasts; long barrages
    Family.SENSOR_STREAM: replace(
        _BASE, events=EventSpec(n_events=250, barrage_fraction=0.1), acoustic_per_sector=1
    ),
    Family.MIXED: replace(
        _BASE,
        events=EventSpec(burst_fraction=0.4, barrage_fraction=0.05),
        posts=PostStyle(bracket="wide", no_range_share=0.2, compass_points=16),
        uav_share=0.3,
        satellite_share=0.15,
        osint_share=0.3,
        false_share=0.05,
        forward_share=0.05,
        resend_share=0.03,
        skew_share=0.2,
        acoustic_per_sector=1,
    ),
}


def spec_of(family: Family | str, *, n_events: int | None = None) -> FamilySpec:
    """The family's spec, with ``n_events`` overridden when given."""
    spec = SPECS[Family(family)]
    if n_events is None:
        return spec
    return replace(spec, events=replace(spec.events, n_events=n_events))
