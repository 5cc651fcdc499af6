"""Special Commission cases and fusion's attribution records, read and appended.

The Commission's work is recorded by fusion's attribution workflow (``attributions``,
``attribution_decisions``, ``remedies``: ``ceasefire attribution propose|decide|remedy``);
the guarantees' cases (``guarantee_cases``) follow it, each step an appended case event
naming the record it comes from, chained in the ledger (``case.stage``). Which steps a case
takes is decided by ``guarantees.refresh.link_attribution_records``; here the rows only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Engine, inspect, select

from ceasefire.clock import Clock
from ceasefire.guarantees.commission import AttributionStep, Case, CaseEvent, CaseStage
from ceasefire.ledger.marking import Marking
from ceasefire.ledger.model import LedgerEvent
from ceasefire.store.fusion import attribution_decisions, attributions, remedies
from ceasefire.store.guarantee_rows import from_iso, iso
from ceasefire.store.guarantees import (
    append_case_events_in,
    chain_in,
    guarantee_case_events,
    guarantee_cases,
)
from ceasefire.store.ledger_marking import case_marking
from ceasefire.store.schema import violations


def attribution_steps(engine: Engine) -> dict[str, list[AttributionStep]]:
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
