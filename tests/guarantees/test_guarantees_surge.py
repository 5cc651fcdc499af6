"""Early warning: a February-2022-shaped surge raises amber and red on the right days; a quiet
month of ordinary noise raises no red; live evaluation and replay give the same alerts.

The series follows the OSCE SMM's counts (research notes §5): about 100 violations a day in
Donetsk and Luhansk oblasts, then 101 on 7 Feb 2022 rising to 1,566 on 18 Feb, Luhansk taking
a growing share (975 of 1,566). Expected alert days are computed here from the generated
series with plain Python, independently of the evaluator's numpy code.
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from guarantee_builders import instruments, make_fact

from ceasefire.clock import FixedClock
from ceasefire.guarantees.evaluate import TriggerEvaluator, replay
from ceasefire.guarantees.facts import MonitoringFact, VerificationState
from ceasefire.guarantees.model import InstrumentSet
from ceasefire.reports.model import Category

DAY = timedelta(days=1)
START = datetime(2022, 1, 10, tzinfo=UTC)
SECTORS = ("UA-14", "UA-09")  # Donetsk, Luhansk (ISO 3166-2)

SURGE_RULES = """
    triggers:
      - {id: amber, kind: surge, k: 3, level: amber}
      - {id: red, kind: surge, k: 10, level: red}
"""


def february_2022(seed: int = 7) -> list[MonitoringFact]:
    """28 baseline days around 100 a day, then 101 → 1,566 over 11 days (7-18 Feb 2022)."""
    rng = np.random.default_rng(seed)
    totals = [int(rng.poisson(100)) for _ in range(28)]
    totals += [round(101 * (1566 / 101) ** (i / 11)) for i in range(12)]
    facts: list[MonitoringFact] = []
    for day_index, total in enumerate(totals):
        ramp = max(0, day_index - 28) / 11
        luhansk_share = 0.28 + ramp * (0.62 - 0.28)  # 114/406 on 2 Feb; 975/1566 on 18 Feb
        day = START + day_index * DAY
        for _ in range(total):
            sector = SECTORS[int(rng.random() < luhansk_share)]
            observed = day + timedelta(seconds=float(rng.uniform(0, 86_400)))
            lag = timedelta(seconds=float(rng.exponential(3_600)))  # some cross midnight
            facts.append(
                make_fact(
                    id=f"V-{len(facts)}",
                    observed_at=observed,
                    recorded_at=observed + lag,
                    sector=sector,
                    severity=2,
                    verification=VerificationState.REPORTED,
                    report_ids=(f"r-{len(facts)}",),
                )
            )
    facts.sort(key=lambda f: f.recorded_at)
    return facts


def expected_days(facts: list[MonitoringFact], k: float) -> set[tuple[str, date]]:
    """(sector, day) pairs whose day count exceeds k x the 14-day median known at day start.

    "Known at the start of day d" = observed on that earlier day and recorded before d began.
    """
    first = START.date()
    seen: Counter[tuple[str, date, date]] = Counter(
        (f.sector or "", f.observed_at.date(), f.recorded_at.date()) for f in facts
    )
    days = sorted({f.observed_at.date() for f in facts})
    out = set()
    for sector in SECTORS:
        for day in days:
            if (day - first).days < 14:
                continue
            window = [day - timedelta(days=i) for i in range(1, 15)]
            known = [
                sum(n for (s, o, r), n in seen.items() if s == sector and o == d and r < day)
                for d in window
            ]
            total = sum(n for (s, o, _), n in seen.items() if s == sector and o == day)
            if total > k * max(statistics.median(known), 1.0):
                out.add((sector, day))
    return out


def alert_days(alerts: list, trigger_id: str) -> set[tuple[str, date]]:  # type: ignore[type-arg]
    return {
        (a.sector, date.fromisoformat(str(a.measures["day"])))
        for a in alerts
        if a.trigger_id == trigger_id
    }


@pytest.fixture(scope="module")
def surge_set() -> InstrumentSet:
    return instruments(SURGE_RULES, ceasefire=datetime(2021, 12, 1, tzinfo=UTC))


@pytest.fixture(scope="module")
def series() -> list[MonitoringFact]:
    return february_2022()


def test_february_2022_raises_amber_and_red_on_the_right_days(
    surge_set: InstrumentSet, series: list[MonitoringFact]
) -> None:
    end = series[-1].recorded_at
    alerts = replay(surge_set, series, at=end, monitoring_since=START)
    amber, red = expected_days(series, 3), expected_days(series, 10)
    assert alert_days(alerts, "amber") == amber
    assert alert_days(alerts, "red") == red
    # The shape itself: nothing during the baseline weeks; amber before red; red by 18 Feb.
    ramp_start = date(2022, 2, 7)
    assert amber
    assert red
    assert min(d for _, d in amber) >= ramp_start
    assert min(d for _, d in amber) < min(d for _, d in red) <= date(2022, 2, 18)
    for alert in alerts:
        # Evidence: exactly the facts counted, all in that sector and day.
        assert len(alert.fact_ids) == alert.measures["count"]
        assert alert.fired_at.date() >= date.fromisoformat(str(alert.measures["day"]))
    by_id = {f.id: f for f in series}
    first_red = min((a for a in alerts if a.trigger_id == "red"), key=lambda a: a.fired_at)
    assert {by_id[i].sector for i in first_red.fact_ids} == {first_red.sector}
    assert len(first_red.report_ids) == len(first_red.fact_ids)


def test_live_in_random_batches_equals_replay(
    surge_set: InstrumentSet, series: list[MonitoringFact]
) -> None:
    rng = np.random.default_rng(3)
    clock = FixedClock(START)
    live = TriggerEvaluator(surge_set, clock=clock, monitoring_since=START)
    i = 0
    while i < len(series):
        batch = series[i : i + int(rng.integers(1, 400))]
        i += len(batch)
        clock.set(batch[-1].recorded_at)
        live.ingest(batch)
    end = series[-1].recorded_at
    replayed = replay(surge_set, series, at=end, monitoring_since=START)
    assert [(a.id, a.fired_at, a.fact_ids) for a in live.alerts] == [
        (a.id, a.fired_at, a.fact_ids) for a in replayed
    ]
    # A replay at a past moment names exactly the alerts the live evaluator had fired by then.
    middle = datetime(2022, 2, 15, 12, tzinfo=UTC)
    at_middle = replay(surge_set, series, at=middle, monitoring_since=START)
    assert [a.id for a in at_middle] == [a.id for a in live.alerts if a.fired_at <= middle]
    assert 0 < len(at_middle) < len(live.alerts)


def test_quiet_month_of_poisson_noise_raises_no_red() -> None:
    rng = np.random.default_rng(11)
    rates = rng.uniform(0.2, 40.0, size=12)  # twelve sectors, from near-silent to busy
    facts: list[MonitoringFact] = []
    for day_index in range(14 + 30):
        day = START + day_index * DAY
        for sector, rate in enumerate(rates):
            for _ in range(int(rng.poisson(rate))):
                observed = day + timedelta(seconds=float(rng.uniform(0, 86_400)))
                facts.append(
                    make_fact(
                        id=f"Q-{len(facts)}",
                        observed_at=observed,
                        recorded_at=observed + timedelta(minutes=float(rng.uniform(1, 90))),
                        sector=f"S{sector}",
                        verification=VerificationState.REPORTED,
                    )
                )
    facts.sort(key=lambda f: f.recorded_at)
    rules = instruments(SURGE_RULES, ceasefire=datetime(2021, 12, 1, tzinfo=UTC))
    alerts = replay(rules, facts, at=facts[-1].recorded_at, monitoring_since=START)
    assert [a for a in alerts if a.trigger_id == "red"] == []
    # Amber is a warning and may ring on noise, but rarely: at most a few of 360 sector-days.
    assert len(alerts) <= 4


def test_zero_median_sector_needs_more_than_k_times_the_floor() -> None:
    """A silent sector (median 0) warns above k x floor (3), not on its first shot."""
    rules = instruments(SURGE_RULES, ceasefire=datetime(2021, 12, 1, tzinfo=UTC))
    day = START + 20 * DAY
    shots = [
        make_fact(
            id=f"Z-{i}",
            observed_at=day + timedelta(minutes=i),
            sector="UA-23",
            verification=VerificationState.REPORTED,
        )
        for i in range(12)
    ]
    alerts = replay(rules, shots, at=day + DAY, monitoring_since=START)
    amber = [a for a in alerts if a.trigger_id == "amber"]
    red = [a for a in alerts if a.trigger_id == "red"]
    assert [a.measures["count"] for a in amber] == [4]  # 4 > 3 x max(0, 1)
    assert [a.measures["count"] for a in red] == [11]
    assert amber[0].fired_at == shots[3].recorded_at


def test_surge_counts_the_count_field_and_ignores_rejected_and_revisions() -> None:
    rules = instruments(SURGE_RULES, ceasefire=datetime(2021, 12, 1, tzinfo=UTC))
    day = START + 20 * DAY
    base = {"sector": "UA-14", "verification": VerificationState.REPORTED}
    facts = [
        make_fact(id="a", observed_at=day, count=3, **base),
        make_fact(
            id="b",
            observed_at=day + timedelta(minutes=1),
            **{**base, "verification": VerificationState.REJECTED},
            count=50,
        ),
        make_fact(
            id="a",
            observed_at=day,
            recorded_at=day + timedelta(minutes=2),
            count=3,
            revision=1,
            **{**base, "verification": VerificationState.VERIFIED},
        ),
    ]
    alerts = replay(rules, facts, at=day + DAY, monitoring_since=START)
    assert alerts == []  # 3 is not > 3; the rejected 50 and the revision of "a" do not count
    more = make_fact(
        id="c", observed_at=day + timedelta(minutes=3), category=Category.SHOTS, **base
    )
    alerts = replay(rules, [*facts, more], at=day + DAY, monitoring_since=START)
    assert [(a.trigger_id, a.fact_ids) for a in alerts] == [("amber", ("a", "c"))]


def test_first_hand_only_surge_ignores_claims_that_inflate_the_baseline() -> None:
    """Party claims every day (second-hand) lift the baseline so that a ten-fold rise in
    the mission's own counts stays under 10 x; counted first-hand only, it fires red."""
    rules = """
    triggers:
      - {id: all, kind: surge, k: 10, level: red}
      - {id: own, kind: surge, k: 10, level: red, first_hand_only: true}
"""
    surge_set = instruments(rules, ceasefire=datetime(2021, 12, 1, tzinfo=UTC))
    facts: list[MonitoringFact] = []
    for day in range(16):
        at = START + day * DAY + timedelta(hours=12)
        own = 50 if day < 15 else 600  # the mission's own count: x12 on the last day
        for first_hand, count in ((True, own), (False, 60)):  # 60 claimed every day
            facts.append(
                make_fact(
                    id=f"V-{len(facts)}",
                    observed_at=at,
                    count=count,
                    first_hand=first_hand,
                    verification=VerificationState.REPORTED,
                )
            )
    end = START + 16 * DAY
    fired = {a.trigger_id for a in replay(surge_set, facts, at=end, monitoring_since=START)}
    assert fired == {"own"}  # 660 < 10 x 110 with the claims; 600 > 10 x 50 without
