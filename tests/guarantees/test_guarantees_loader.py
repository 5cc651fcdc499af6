"""Guarantees files: errors name the key path and the rule; the parser never crashes."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ceasefire.guarantees.loader import InstrumentError, load_instruments, parse_instruments
from ceasefire.guarantees.triggers import Surge

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "paris-2026" / "guarantees.yaml"

GOOD: dict[str, Any] = {
    "version": 1,
    "ceasefire": {"in_force_from": "2026-12-01T00:00:00Z"},
    "airspaces": [{"id": "hub", "polygon": [[23, 49], [24, 49], [24, 50], [23, 50]]}],
    "instruments": [
        {
            "id": "a",
            "title": "A",
            "parties": {"guarantors": ["GBR"], "beneficiary": "UKR"},
            "legal_form": "political",
            "entry_into_force": [{"kind": "ceasefire_in_force"}],
            "triggers": [
                {"id": "t1", "kind": "surge", "k": 3},
                {"id": "t2", "kind": "breach", "min_severity": 3},
                {"id": "both", "kind": "all", "of": ["t1", "t2"]},
            ],
            "obligations": [
                {"id": "o", "trigger": "t2", "owner": "GBR", "kind": "consult", "due_h": 24}
            ],
        }
    ],
}


def _with(path: list[str | int], value: object) -> str:
    doc = copy.deepcopy(GOOD)
    node: Any = doc
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return yaml.safe_dump(doc)


def test_the_good_document_loads() -> None:
    loaded = parse_instruments(yaml.safe_dump(GOOD))
    trigger = loaded.instruments[0].triggers[0]
    assert isinstance(trigger, Surge)
    assert trigger.k == 3
    assert trigger.baseline_days == 14


@pytest.mark.parametrize(
    ("path", "value", "field", "rule"),
    [
        (["instruments", 0, "triggers", 0, "k"], "three", "instruments[0].triggers[0].k", "type"),
        (["instruments", 0, "triggers", 0, "k"], 0.5, "instruments[0].triggers[0].k", "range"),
        (
            ["instruments", 0, "triggers", 1, "kind"],
            "treason",
            "instruments[0].triggers[1].kind",
            "enum",
        ),
        (
            ["instruments", 0, "triggers", 0, "kk"],
            3,
            "instruments[0].triggers[0].kk",
            "unknown_key",
        ),
        (
            ["instruments", 0, "obligations", 0, "trigger"],
            "t9",
            "instruments[0].obligations[0].trigger",
            "reference",
        ),
        (
            ["instruments", 0, "obligations", 0, "due_h"],
            KeyError,
            "instruments[0].obligations[0].due_h",
            "required",
        ),
        (
            ["instruments", 0, "triggers", 2, "of", 1],
            "nope",
            "instruments[0].triggers[2].of[1]",
            "reference",
        ),
        (["instruments", 0, "triggers", 1, "id"], "t1", "instruments[0].triggers[1].id", "unique"),
        (["instruments", 0, "legal_form"], "binding-ish", "instruments[0].legal_form", "enum"),
        (
            ["ceasefire", "in_force_from"],
            "2026-12-01T00:00:00",
            "ceasefire.in_force_from",
            "timestamp",
        ),
        (
            ["airspaces", 0, "polygon"],
            [[23, 49], [24, 50], [24, 49], [23, 50]],
            "airspaces[0].polygon",
            "valid",
        ),
        (
            ["instruments", 0, "entry_into_force"],
            [{"kind": "ratification"}],
            "instruments[0].entry_into_force[0].parties",
            "non_empty",
        ),
    ],
)
def test_errors_name_the_path_and_the_rule(
    path: list[str | int], value: object, field: str, rule: str
) -> None:
    with pytest.raises(InstrumentError) as error:
        parse_instruments(_with(path, value))
    assert (error.value.field, error.value.rule) == (field, rule)


def test_a_combinator_cycle_is_refused() -> None:
    doc = copy.deepcopy(GOOD)
    doc["instruments"][0]["triggers"].append({"id": "loop", "kind": "any", "of": ["both", "loop"]})
    with pytest.raises(InstrumentError) as error:
        parse_instruments(yaml.safe_dump(doc))
    assert error.value.rule == "acyclic"
    assert error.value.field == "instruments[0].triggers[3].of"


def test_the_scenario_file_loads_and_reads_the_agreement_ceasefire() -> None:
    loaded = load_instruments(SCENARIO)
    assert loaded.ceasefire_in_force_from is not None
    assert {a.id for a in loaded.airspaces} == {"mnf-hub-west", "nato-pl-southeast"}


def _leaves(doc: Any, prefix: list[str | int]) -> list[list[str | int]]:
    if isinstance(doc, dict):
        return [p for k, v in doc.items() for p in _leaves(v, [*prefix, k])]
    if isinstance(doc, list):
        return [p for i, v in enumerate(doc) for p in _leaves(v, [*prefix, i])]
    return [prefix]


LEAVES = _leaves(GOOD, [])
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=True),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(LEAVES), JUNK)
def test_any_leaf_replaced_by_junk_loads_or_names_a_path(
    path: list[str | int], junk: object
) -> None:
    """Whatever the junk, the result is an instrument set or an error naming path and rule."""
    errors: list[InstrumentError] = []
    try:
        parse_instruments(_with(path, junk))
    except InstrumentError as error:
        errors.append(error)
    assert all(e.field and e.rule for e in errors)
