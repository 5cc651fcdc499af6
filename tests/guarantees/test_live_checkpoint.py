"""The live evaluator's checkpoint is plain data: it round-trips, and anything else is refused.

A checkpoint row is read from a shared database, so one holding a pickle (which would run
code when loaded) or garbage must be refused without being executed, with a warning, and the
evaluator rebuilt from the store's history with the same alerts (both backends, ``db``).
"""

from __future__ import annotations

import logging
import pickle
import random
import zlib
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select, update
from test_guarantees_refresh import GUARANTEES, START, ingest, seed_base

from ceasefire.clock import FixedClock
from ceasefire.errors import InputError
from ceasefire.guarantees.facts import MonitoringFact, VerificationState
from ceasefire.guarantees.live import FactDelta, LiveEvaluator
from ceasefire.guarantees.live_checkpoint import (
    CHECKPOINT_FORMAT,
    FACT_FIELDS,
    KIND,
    decode_state,
    encode_state,
)
from ceasefire.guarantees.live_service import catch_up
from ceasefire.guarantees.loader import parse_instruments
from ceasefire.reports.model import Category, FireDirection, WeaponClass
from ceasefire.store.guarantee_checkpoints import guarantee_checkpoints
from ceasefire.store.guarantees import save_instrument_file
from ceasefire.store.guarantees_sql import SqlGuarantees

#: Calls made by unpickling :class:`_Payload`: must stay empty.
RAN: list[str] = []


def _run(what: str) -> None:
    RAN.append(what)


class _Payload:
    """A pickle that calls ``_run`` when loaded: what an attacker's row would do."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (_run, ("code ran",))


PICKLE = zlib.compress(pickle.dumps(_Payload()), 1)


@pytest.mark.parametrize(
    "payload",
    [PICKLE, pickle.dumps(_Payload()), b"garbage", zlib.compress(b"{not json", 1)],
    ids=["zlib-pickle", "pickle", "garbage", "bad-json"],
)
def test_a_checkpoint_that_is_not_plain_data_is_refused_and_rebuilt(
    db: str, payload: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(3)
    engine = create_engine(db)
    store = SqlGuarantees(engine)
    seed_base(engine)
    save_instrument_file(
        engine, GUARANTEES, "g.yaml", parse_instruments(GUARANTEES), clock=FixedClock(START)
    )
    now = START
    for _ in range(24):
        now += timedelta(hours=rng.choice([6, 12, 20]))
        ingest(engine, rng, now)
    held, _ = catch_up(store, clock=FixedClock(now), checkpoint_every_s=0.0)
    before = [(a.id, a.fired_at, a.fact_ids) for a in held.evaluator.alerts]
    assert before  # the scenario fires
    with engine.begin() as conn:
        conn.execute(update(guarantee_checkpoints).values(state=payload))
    RAN.clear()
    with caplog.at_level(logging.WARNING, logger="ceasefire.guarantees.live_service"):
        again, _ = catch_up(store, clock=FixedClock(now), checkpoint_every_s=1e9)
    assert RAN == []  # never unpickled
    assert "refused, rebuilt from history" in caplog.text
    assert [(a.id, a.fired_at, a.fact_ids) for a in again.evaluator.alerts] == before
    with engine.connect() as conn:
        state = conn.execute(select(guarantee_checkpoints.c.state)).scalar_one()
    assert decode_state(state)[1] == again.evaluator.at  # the rebuild checkpointed afresh


def test_a_restored_checkpoint_names_the_same_alerts() -> None:
    """The evaluator restored (a replay from memory) equals the one that was saved."""
    instruments = parse_instruments(GUARANTEES)
    rng = random.Random(5)
    live = LiveEvaluator(instruments)
    now = START
    for k in range(40):
        now += timedelta(hours=2)
        facts = [
            MonitoringFact(
                f"I-{k}-{j}",
                now - timedelta(hours=rng.choice([0, 1, 30])),
                now,
                rng.choice([Category.EXPLOSION, Category.SHOTS]),
                count=rng.randint(1, 40),
                rule_id="R1",
                severity=2,
                sector=rng.choice(["donetsk", "zaporizhzhia"]),
            )
            for j in range(rng.randint(0, 6))
        ]
        live.apply(FactDelta(facts), at=now)
    again = LiveEvaluator.restore(live.checkpoint(), instruments)
    assert again.at == live.at
    assert again.facts() == live.facts()
    assert again.alerts == live.alerts


_instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
)
_texts = st.text(max_size=12)
_maybe_text = st.none() | _texts
_maybe_float = st.none() | st.floats(allow_nan=False, allow_infinity=False)
_facts = st.builds(
    MonitoringFact,
    id=_texts,
    observed_at=_instants,
    recorded_at=_instants,
    category=st.sampled_from(Category),
    count=st.integers(-(2**40), 2**40),
    weapon_class=st.none() | st.sampled_from(WeaponClass),
    fire_direction=st.none() | st.sampled_from(FireDirection),
    rule_id=_maybe_text,
    severity=st.integers(0, 5),
    zone_ids=st.frozensets(_texts, max_size=3),
    side_party=_maybe_text,
    distance_to_line_km=_maybe_float,
    sector=_maybe_text,
    lon=_maybe_float,
    lat=_maybe_float,
    verification=st.sampled_from(VerificationState),
    attributed_to=_maybe_text,
    attribution_id=_maybe_text,
    remedied_at=st.none() | _instants,
    target=_maybe_text,
    report_ids=st.lists(_texts, max_size=3).map(tuple),
    revision=st.integers(0, 50),
    first_hand=st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(facts=st.lists(_facts, max_size=8), at=st.none() | _instants)
def test_the_state_round_trips(facts: list[MonitoringFact], at: datetime | None) -> None:
    assert decode_state(encode_state(facts, at)) == (facts, at)


def _document(**changes: object) -> bytes:
    document = orjson.loads(zlib.decompress(encode_state([_one()], START)))
    document.update(changes)
    return zlib.compress(orjson.dumps(document), 1)


def _one() -> MonitoringFact:
    return MonitoringFact("I-1", START, START, Category.EXPLOSION)


def _columns(**changes: object) -> dict[str, object]:
    document = orjson.loads(zlib.decompress(encode_state([_one()], START)))
    columns = document["facts"]
    assert isinstance(columns, dict)
    return columns | changes


@pytest.mark.parametrize(
    ("blob", "rule"),
    [
        (_document(format=CHECKPOINT_FORMAT - 1), "format"),
        (_document(format=CHECKPOINT_FORMAT + 1), "format"),
        (_document(kind="something else"), "kind"),
        (_document(facts={k: v for k, v in _columns().items() if k != "target"}), "fields"),
        (_document(facts=_columns(extra=[1])), "fields"),
        (_document(facts=[["I-1"]]), "fields"),
        (_document(facts=_columns(id=["I-1", "I-2"])), "values"),  # lengths differ
        (_document(facts=_columns(id="I-1")), "values"),
        (_document(at="2027-01-01T00:00:00"), "values"),  # naive: no offset
        (_document(facts=_columns(observed_at=["2027-01-01T00:00:00"])), "values"),
        (_document(facts={k: [None] for k in FACT_FIELDS}), "values"),
        (zlib.compress(orjson.dumps([KIND, CHECKPOINT_FORMAT]), 1), "kind"),
        (b"", "readable"),
    ],
)
def test_a_checkpoint_breaking_a_rule_is_refused_naming_it(blob: bytes, rule: str) -> None:
    with pytest.raises(InputError, match="checkpoint") as raised:
        LiveEvaluator.restore(blob, parse_instruments(GUARANTEES))
    assert raised.value.rule == rule


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("category", "no-such-category"),
        ("weapon_class", "no-such-weapon"),
        ("verification", 2),
        ("count", "7"),
        ("count", True),
        ("revision", 1.5),
        ("first_hand", 1),
        ("zone_ids", "z1"),
        ("zone_ids", [1]),
        ("report_ids", [None]),
        ("lon", "37.5"),
        ("remedied_at", "yesterday"),
        ("id", None),
    ],
)
def test_a_bad_value_in_a_fact_is_refused(field: str, bad: object) -> None:
    blob = _document(facts=_columns(**{field: [bad]}))
    with pytest.raises(InputError, match="checkpoint") as raised:
        decode_state(blob)
    assert raised.value.rule == "values"
