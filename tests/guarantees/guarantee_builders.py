"""Builders for the guarantees tests: facts with sensible defaults, instrument files as text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ceasefire.guarantees.facts import MonitoringFact, VerificationState
from ceasefire.guarantees.loader import parse_instruments
from ceasefire.guarantees.model import InstrumentSet
from ceasefire.reports.model import Category

#: A fixed ceasefire instant for the tests (the paris-2026 scenario's, hypothetical).
CEASEFIRE = datetime(2026, 12, 1, tzinfo=UTC)


def make_fact(**overrides: Any) -> MonitoringFact:
    """A verified severity-3 explosion violation an hour into the ceasefire, recorded at once."""
    observed = overrides.pop("observed_at", CEASEFIRE + timedelta(hours=1))
    values: dict[str, Any] = {
        "id": "V-1",
        "observed_at": observed,
        "recorded_at": observed,
        "category": Category.EXPLOSION,
        "rule_id": "R1",
        "severity": 3,
        "sector": "UA-14",
        "verification": VerificationState.VERIFIED,
        "report_ids": ("op-12/r1",),
    }
    values.update(overrides)
    return MonitoringFact(**values)


def instruments(body: str, *, ceasefire: datetime | None = CEASEFIRE) -> InstrumentSet:
    """An instrument set from the YAML of one instrument's triggers and obligations.

    ``body`` is indented under the instrument (start each line with 4 spaces).
    """
    in_force = "null" if ceasefire is None else f'"{ceasefire.isoformat()}"'
    text = f"""
version: 1
ceasefire: {{in_force_from: {in_force}}}
airspaces:
  - {{id: hub, name: hub, polygon: [[23.4, 49.5], [24.6, 49.5], [24.6, 50.2], [23.4, 50.2]]}}
instruments:
  - id: test
    title: Test instrument
    parties: {{guarantors: [GBR, FRA], beneficiary: UKR}}
    legal_form: legally_binding
    entry_into_force:
      - kind: ceasefire_in_force
{body}
"""
    return parse_instruments(text)
