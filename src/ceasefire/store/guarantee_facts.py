"""The adapter from the monitoring tables to the guarantees' ``MonitoringFact``.

One fact per active incident: its time, place, category, weapon class and count; the most
severe of its active violations (rule, severity) and the zones they name; from its reports the
first moment it was known (``received_at``), the side of the line and distance, the attribution
a source gave, fire direction, and the report ids. The verification is the incident's latest
state in fusion's history (``incident_states``: reported, corroborated, verified, disputed,
rejected — an analyst's verification included); an incident without one (ingested with
fusion off) falls back to fusion's automatic rule on its distinct sources (two or more:
``corroborated``). The state is today's: a replay at a past moment sees the current
verification of the incidents known then. The sector is the oblast (ISO 3166-2)
the incident lies in. A fact is never known before it happened: when ``received_at``
precedes the observation (a simulated or replayed stream ingested in bulk), the observation
time is taken as the time it became known.

``refresh_guarantees`` is the service on top: evaluate, record, note what became overdue.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, inspect, select

from ceasefire.clock import Clock
from ceasefire.guarantees.evaluate import replay
from ceasefire.guarantees.facts import MonitoringFact, VerificationState
from ceasefire.guarantees.obligations import overdue_events
from ceasefire.monitoring.oblasts import Oblasts
from ceasefire.reports.model import Category, FireDirection, WeaponClass
from ceasefire.store.fusion import incident_states
from ceasefire.store.guarantees import (
    RecordSummary,
    append_obligation_events,
    guarantee_files,
    load_instrument_set,
    read_obligations,
    record_alerts,
    require_tables,
)
from ceasefire.store.schema import incident_reports, incidents, reports, violations


def read_facts(engine: Engine, *, until: datetime | None = None) -> list[MonitoringFact]:
    """Facts for every active incident first known by ``until`` (all when None), by that time.

    Returns an empty list when the monitoring tables do not exist yet.
    """
    if not inspect(engine).has_table("incidents"):
        return []
    i, ir, r, v = incidents, incident_reports, reports, violations
    known = (
        select(
            ir.c.incident_pk,
            func.min(r.c.received_at).label("recorded"),
            func.count(func.distinct(r.c.source)).label("sources"),
        )
        .join(r, r.c.pk == ir.c.report_pk)
        .group_by(ir.c.incident_pk)
        .subquery()
    )
    s = incident_states
    latest = select(func.max(s.c.pk).label("pk")).group_by(s.c.incident_pk).subquery()
    state = select(s.c.incident_pk, s.c.state).join(latest, latest.c.pk == s.c.pk).subquery()
    query = (
        select(i, known.c.recorded, known.c.sources, state.c.state.label("verification"))
        .join(known, known.c.incident_pk == i.c.pk)
        .join(state, state.c.incident_pk == i.c.pk, isouter=True)
        .where(i.c.status == "active")
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
        worst: dict[int, Any] = {}
        zones: dict[int, set[str]] = defaultdict(set)
        for row in conn.execute(select(v).where(v.c.active.is_(True))):
            if row.zone_id:
                zones[row.incident_pk].add(row.zone_id)
            if row.incident_pk not in worst or row.severity > worst[row.incident_pk].severity:
                worst[row.incident_pk] = row
        firsts: dict[int, Any] = {}
        report_ids: dict[int, list[str]] = defaultdict(list)
        for row in conn.execute(
            select(
                ir.c.incident_pk,
                r.c.source,
                r.c.id,
                r.c.party,
                r.c.distance_to_line_km,
                r.c.attributed_to,
                r.c.fire_direction,
            )
            .join(r, r.c.pk == ir.c.report_pk)
            .order_by(ir.c.incident_pk, r.c.received_at)
        ):
            firsts.setdefault(row.incident_pk, row)
            report_ids[row.incident_pk].append(f"{row.source}/{row.id}")
    lon = np.array([np.nan if x.lon is None else x.lon for x in rows], dtype=np.float64)
    lat = np.array([np.nan if x.lat is None else x.lat for x in rows], dtype=np.float64)
    oblasts = Oblasts.default()
    sector = oblasts.assign(lon, lat)
    facts = []
    for k, row in enumerate(rows):
        observed = datetime.fromtimestamp(row.observed_at, UTC)
        # Never known before it happened: a simulated or replayed stream ingested in bulk
        # counts as received when observed.
        recorded = max(datetime.fromisoformat(row.recorded).astimezone(UTC), observed)
        if until is not None and recorded > until:
            continue
        first = firsts.get(row.pk)
        violation = worst.get(row.pk)
        facts.append(
            MonitoringFact(
                id=f"I-{row.pk}",
                observed_at=observed,
                recorded_at=recorded,
                category=Category(row.category),
                count=int(row._mapping["count"]),
                weapon_class=WeaponClass(row.weapon_class) if row.weapon_class else None,
                fire_direction=(
                    FireDirection(first.fire_direction) if first and first.fire_direction else None
                ),
                rule_id=violation.rule_id if violation is not None else None,
                severity=violation.severity if violation is not None else 0,
                zone_ids=frozenset(zones.get(row.pk, ())),
                side_party=first.party if first else None,
                distance_to_line_km=first.distance_to_line_km if first else None,
                sector=oblasts.iso[sector[k]] if sector[k] >= 0 else None,
                lon=row.lon,
                lat=row.lat,
                verification=_verification(row.verification, row.sources),
                attributed_to=first.attributed_to if first else None,
                report_ids=tuple(report_ids.get(row.pk, ())),
            )
        )
    facts.sort(key=lambda f: (f.recorded_at, f.id))
    return facts


def _verification(state: str | None, sources: int) -> VerificationState:
    """Fusion's latest state, or its automatic rule when the incident has no state yet."""
    if state is not None:
        return VerificationState(state)
    return VerificationState.CORROBORATED if sources >= 2 else VerificationState.REPORTED


def guarantees_loaded(engine: Engine) -> bool:
    """True when the guarantees tables exist and a guarantees file has been loaded."""
    if not inspect(engine).has_table("guarantee_files"):
        return False
    with engine.connect() as conn:
        return conn.execute(select(guarantee_files.c.pk).limit(1)).first() is not None


@dataclass(frozen=True, slots=True)
class RefreshSummary:
    """What :func:`refresh_guarantees` found and added."""

    facts: int
    alerts: int
    new: RecordSummary
    overdue: int


def refresh_guarantees(
    engine: Engine, *, clock: Clock, until: datetime | None = None
) -> RefreshSummary:
    """Bring the guarantees record up to ``until`` (default: now, or the last fact's recording
    when a simulated stream runs ahead of the clock): evaluate every trigger over
    the monitoring facts known by then, store new alerts, obligations and cases, and note the
    obligations that became overdue. Safe to run again (nothing is recorded twice).

    Ingest calls this once per run, after fusion, when guarantees are loaded. It replays the
    whole history: surge baselines, persistence deadlines and ``all`` windows need the facts
    before any cut-off, and alert ids make the replay idempotent.
    """
    require_tables(engine)
    instruments = load_instrument_set(engine)
    facts = read_facts(engine, until=until)
    at = until or max([clock.now(), *(f.recorded_at for f in facts[-1:])])
    alerts = replay(instruments, facts, at=at)
    new = record_alerts(engine, alerts, instruments, clock=clock)
    stored = read_obligations(engine)
    due = overdue_events([o for o, _ in stored], [e for _, history in stored for e in history], at)
    append_obligation_events(engine, due, clock=clock)
    return RefreshSummary(len(facts), len(alerts), new, len(due))
