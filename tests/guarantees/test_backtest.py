"""Backtests: one replay cut into steps says, at every step, exactly what a replay at that
moment says (the evaluator is causal), and the steps are whole: every alert lands in one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from guarantee_builders import instruments
from test_guarantees_surge import START, SURGE_RULES, february_2022

from ceasefire.errors import InputError
from ceasefire.guarantees.backtest import parse_step, run_backtest
from ceasefire.guarantees.evaluate import replay

STEP = timedelta(hours=6)


def test_each_step_names_what_a_replay_at_its_end_names() -> None:
    facts = february_2022(seed=3)
    surge = instruments(SURGE_RULES, ceasefire=datetime(2021, 12, 1, tzinfo=UTC))
    start, end = START + timedelta(days=20), START + timedelta(days=40)
    result = run_backtest(surge, facts, start=start, end=end, step=STEP)
    assert len(result.steps) == 80
    assert all(s.end - s.start == STEP for s in result.steps)
    fired = sum(len(s.alerts) for s in result.steps)
    assert fired > 5  # the surge: amber and red in both oblasts
    assert {a.level for s in result.steps for a in s.alerts} == {"amber", "red"}
    seen = {a.id for a in result.earlier}
    for step in result.steps:
        assert all(step.start <= a.fired_at <= step.end for a in step.alerts)
        seen |= {a.id for a in step.alerts}
        if step.alerts or step is result.steps[-1]:
            assert seen == {a.id for a in replay(surge, facts, at=step.end)}
    first = result.first_firings()
    assert first[("test", "amber")].fired_at < first[("test", "red")].fired_at


def test_the_last_step_is_cut_at_the_end_and_bad_input_is_refused() -> None:
    facts = february_2022(seed=3)[:50]
    surge = instruments(SURGE_RULES)
    start = START
    result = run_backtest(surge, facts, start=start, end=start + timedelta(hours=15), step=STEP)
    assert [s.end - s.start for s in result.steps] == [STEP, STEP, timedelta(hours=3)]
    with pytest.raises(InputError):
        run_backtest(surge, facts, start=start, end=start - STEP, step=STEP)


@pytest.mark.parametrize(
    ("text", "seconds"), [("6h", 21_600), ("30m", 1_800), ("1d", 86_400), ("90s", 90)]
)
def test_steps_parse(text: str, seconds: int) -> None:
    assert parse_step(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "6", "0h", "-1h", "6 hours", "h"])
def test_bad_steps_are_refused(text: str) -> None:
    with pytest.raises(InputError):
        parse_step(text)
