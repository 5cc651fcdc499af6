"""Alerts: a trigger firing, with the clause and the evidence that made it true.

An alert's id is a hash of (instrument, trigger, key), so the live evaluator and a replay
name the same firing the same way, and ``ceasefire guarantees explain ID`` works on either.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ceasefire.guarantees.triggers import AlertLevel, TriggerKind


@dataclass(frozen=True, slots=True)
class Alert:
    """One firing of one trigger of one instrument.

    ``key`` is what the trigger fired on (a fact id; ``sector@YYYY-MM-DD`` for rate
    triggers; an episode number for ``all``). ``clause`` is the trigger's parameters as
    written; ``measures`` the numbers compared (count, median, threshold ...).
    ``fact_ids``/``report_ids`` are the evidence; ``child_alert_ids`` for combinators.
    """

    id: str
    instrument_id: str
    trigger_id: str
    kind: TriggerKind
    level: AlertLevel
    fired_at: datetime
    key: str
    clause: Mapping[str, object]
    measures: Mapping[str, float | str]
    fact_ids: tuple[str, ...]
    report_ids: tuple[str, ...] = ()
    child_alert_ids: tuple[str, ...] = ()
    sector: str | None = None
    evidence_note: str | None = field(default=None)


def alert_id(instrument_id: str, trigger_id: str, key: str) -> str:
    """Deterministic id: ``A-`` and 16 hex digits of SHA-256 of the three parts.

    >>> alert_id("paris", "breach", "V-1") == alert_id("paris", "breach", "V-1")
    True
    """
    digest = hashlib.sha256(f"{instrument_id}\x1f{trigger_id}\x1f{key}".encode()).hexdigest()
    return f"A-{digest[:16]}"


def explain(alert: Alert, *, instrument_title: str | None = None, max_ids: int = 20) -> str:
    """A plain-text explanation: the clause, the measured values, the evidence.

    Long evidence lists are cut at ``max_ids`` with the total given.
    """
    title = f" ({instrument_title})" if instrument_title else ""
    lines = [
        f"Alert {alert.id}: {alert.level.upper()} {alert.kind} fired {alert.fired_at.isoformat()}",
        f"Instrument {alert.instrument_id}{title}, trigger {alert.trigger_id!r}",
        "Clause: " + ", ".join(f"{k}={v}" for k, v in alert.clause.items() if k != "id"),
    ]
    if alert.measures:
        lines.append("Measured: " + ", ".join(f"{k}={v}" for k, v in alert.measures.items()))
    if alert.child_alert_ids:
        lines.append("Made true by alerts: " + ", ".join(alert.child_alert_ids))
    lines.append(_ids("Facts (incidents/violations)", alert.fact_ids, max_ids))
    if alert.report_ids:
        lines.append(_ids("Reports", alert.report_ids, max_ids))
    if alert.evidence_note:
        lines.append(alert.evidence_note)
    return "\n".join(lines)


def _ids(label: str, ids: tuple[str, ...], max_ids: int) -> str:
    shown = ", ".join(ids[:max_ids])
    more = f" … and {len(ids) - max_ids} more" if len(ids) > max_ids else ""
    return f"{label} ({len(ids)}): {shown}{more}"
