"""Mappers between the guarantees' domain values and their rows (``store/guarantees.py``).

Times as ISO 8601 UTC text (``iso``), lists and mappings as JSON text, enums by value; what
``row_of`` writes, ``…_of`` reads back equal.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from ceasefire.guarantees.alerts import Alert
from ceasefire.guarantees.commission import Case
from ceasefire.guarantees.model import ObligationKind
from ceasefire.guarantees.obligations import Obligation
from ceasefire.guarantees.triggers import AlertLevel, TriggerKind


def iso(moment: datetime) -> str:
    """ISO 8601 UTC text with microseconds (sorts as time)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_iso(text: str) -> datetime:
    """Back from :func:`iso`."""
    return datetime.fromisoformat(text).astimezone(UTC)


def alert_row(alert: Alert, now: str) -> dict[str, object]:
    return {
        "id": alert.id,
        "instrument_id": alert.instrument_id,
        "trigger_id": alert.trigger_id,
        "kind": str(alert.kind),
        "level": str(alert.level),
        "fired_at": iso(alert.fired_at),
        "key": alert.key,
        "sector": alert.sector,
        "clause": orjson.dumps(dict(alert.clause)).decode(),
        "measures": orjson.dumps(dict(alert.measures)).decode(),
        "fact_ids": orjson.dumps(list(alert.fact_ids)).decode(),
        "report_ids": orjson.dumps(list(alert.report_ids)).decode(),
        "child_alert_ids": orjson.dumps(list(alert.child_alert_ids)).decode(),
        "recorded_at": now,
    }


def alert_of(row: object) -> Alert:
    r: Any = row
    return Alert(
        id=r.id,
        instrument_id=r.instrument_id,
        trigger_id=r.trigger_id,
        kind=TriggerKind(r.kind),
        level=AlertLevel(r.level),
        fired_at=from_iso(r.fired_at),
        key=r.key,
        clause=orjson.loads(r.clause),
        measures=orjson.loads(r.measures),
        fact_ids=tuple(orjson.loads(r.fact_ids)),
        report_ids=tuple(orjson.loads(r.report_ids)),
        child_alert_ids=tuple(orjson.loads(r.child_alert_ids)),
        sector=r.sector,
    )


def obligation_row(o: Obligation) -> dict[str, object]:
    return {
        "id": o.id,
        "alert_id": o.alert_id,
        "instrument_id": o.instrument_id,
        "template_id": o.template_id,
        "owner": o.owner,
        "kind": str(o.kind),
        "level": o.level,
        "text": o.text,
        "created_at": iso(o.created_at),
        "deadline": iso(o.deadline),
    }


def obligation_of(r: Any) -> Obligation:
    return Obligation(
        id=r.id,
        alert_id=r.alert_id,
        instrument_id=r.instrument_id,
        template_id=r.template_id,
        owner=r.owner,
        kind=ObligationKind(r.kind),
        level=r.level,
        text=r.text,
        created_at=from_iso(r.created_at),
        deadline=from_iso(r.deadline),
    )


def case_row(case: Case) -> dict[str, object]:
    return {
        "id": case.id,
        "instrument_id": case.instrument_id,
        "fact_id": case.fact_id,
        "alert_id": case.alert_id,
        "opened_at": iso(case.opened_at),
    }
