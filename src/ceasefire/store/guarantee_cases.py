"""Special Commission cases moved along fusion's attribution records.

The Commission's work is recorded by fusion's attribution workflow (``attributions``,
``attribution_decisions``, ``remedies``: ``ceasefire attribution propose|decide|remedy``);
the guarantees' cases (``guarantee_cases``) follow it, each step an appended case event
naming the record it comes from (``guarantees.commission.link_steps``), chained in the ledger
(``case.stage``). Reading cases with their events lives here too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, inspect, select

from ceasefire.clock import Clock
from ceasefire.guarantees.commission import (
    AttributionStep,
    Case,
    CaseEvent,
    CaseStage,
    link_steps,
)
from ceasefire.ledger.marking import Marking
from ceasefire.ledger.model import LedgerEvent
from ceasefire.store.fusion import attribution_decisions, attributions, remedies
from ceasefire.store.guarantees import (
    append_case_events_in,
    chain_in,
    from_iso,
    guarantee_case_events,
    guarantee_cases,
    iso,
)
from ceasefire.store.ledger_marking import case_marking
from ceasefire.store.schema import violations


def link_attribution_records(engine: Engine, *, clock: Clock, until: datetime | None = None) -> int:
    """Move the Special Commission cases along fusion's attribution records made by ``until``
    (all when None): a proposal on a violation of the case's incident → ``attribution_proposed``,
    an upheld decision → ``attributed``, a remedy → ``remedy_determined``; each linked once,
    naming the record. Returns the number of case events appended.
    """
    steps = _attribution_steps(engine)
    events = []
    for case, history in read_cases(engine):
        mine = steps.get(case.fact_id, [])
        if until is not None:
            mine = [s for s in mine if s.at <= until]
        events += link_steps(case, history, mine)
    # marking: each step's record has a ``marking`` column (attributions, decisions,
    # remedies); pass it to these case events once ledger events carry one
    append_case_events(engine, events, clock=clock)
    return len(events)


def _attribution_steps(engine: Engine) -> dict[str, list[AttributionStep]]:
    """Fact id (``I-<incident pk>``) → the attribution records on its violations."""
    if not inspect(engine).has_table("attribution_decisions"):
        return {}
    a, d, m, v = attributions, attribution_decisions, remedies, violations
    query = (
        select(
            v.c.incident_pk,
            a.c.pk,
            a.c.party,
            a.c.proposed_by,
            a.c.proposed_at,
            d.c.pk.label("decision_pk"),
            d.c.decision,
            d.c.decided_by,
            d.c.decided_at,
            m.c.pk.label("remedy_pk"),
            m.c.remedy,
            m.c.recorded_by,
            m.c.recorded_at,
        )
        .join(a, a.c.violation_pk == v.c.pk)
        .join(d, d.c.attribution_pk == a.c.pk, isouter=True)
        .join(m, m.c.decision_pk == d.c.pk, isouter=True)
    )
    found: dict[str, AttributionStep] = {}
    fact_of: dict[str, str] = {}
    with engine.connect() as conn:
        for r in conn.execute(query):
            proposal = f"attribution-{r.pk}"
            steps = [AttributionStep(proposal, from_iso(r.proposed_at), r.proposed_by, r.party)]
            if r.decision_pk is not None:
                decision = f"{proposal}/decision-{r.decision_pk}"
                at = from_iso(r.decided_at)
                steps.append(AttributionStep(decision, at, r.decided_by, r.party, r.decision))
                if r.remedy_pk is not None:
                    steps.append(
                        AttributionStep(
                            f"{decision}/remedy-{r.remedy_pk}",
                            from_iso(r.recorded_at),
                            r.recorded_by,
                            r.party,
                            r.decision,
                            r.remedy,
                        )
                    )
            for step in steps:
                found[step.ref] = step
                fact_of[step.ref] = f"I-{r.incident_pk}"
    out: dict[str, list[AttributionStep]] = defaultdict(list)
    for ref, step in found.items():
        out[fact_of[ref]].append(step)
    return out


def append_case_events(engine: Engine, events: Sequence[CaseEvent], *, clock: Clock) -> None:
    """Append Special Commission case events, chained into the ledger (``case.stage``)."""
    with engine.begin() as conn:
        append_case_events_in(conn, events)
        chain_in(
            conn, [_case_ledger_event(e, case_marking(conn, e.case_id)) for e in events], clock
        )


def read_cases(engine: Engine) -> list[tuple[Case, list[CaseEvent]]]:
    """Every Special Commission case with its events (in recording order), by opening."""
    c, e = guarantee_cases, guarantee_case_events
    with engine.connect() as conn:
        rows = conn.execute(select(c).order_by(c.c.opened_at, c.c.id)).all()
        history: dict[str, list[CaseEvent]] = {}
        for r in conn.execute(select(e).order_by(e.c.pk)):
            history.setdefault(r.case_id, []).append(
                CaseEvent(
                    r.case_id,
                    CaseStage(r.stage),
                    from_iso(r.at),
                    r.by,
                    r.party,
                    r.attribution_id,
                    r.remedy,
                    r.note,
                )
            )
    cases = [
        Case(r.id, r.instrument_id, r.fact_id, r.alert_id, from_iso(r.opened_at)) for r in rows
    ]
    return [(case, history.get(case.id, [])) for case in cases]


def _case_ledger_event(event: CaseEvent, marking: Marking) -> LedgerEvent:
    payload: dict[str, str | None] = {
        "stage": str(event.stage),
        "at": iso(event.at),
        "by": event.by,
        "party": event.party,
        "attribution": event.attribution_id,
        "remedy": event.remedy,
        "note": event.note,
    }
    return LedgerEvent("case.stage", event.case_id, payload, marking=marking)
