"""Whether re-fusion since the last live evaluation leaves the incremental window sound.

Fusion supersedes incidents when reports join, split or leave them. An incremental
evaluation replays from the earliest first receipt among the incidents created since the last
run (``guarantee_facts.changed_since``). That covers a superseded incident exactly when each
of its reports is still active and now belongs to an incident created since that run: the
successor then carries the same reports, received no later than the superseded incident's,
so nothing before the window's start changed. A report amended or withdrawn, or one left in
an older incident, could change the past before the window: then the whole history is
replayed, as before.
"""

from __future__ import annotations

from datetime import datetime

import orjson
from sqlalchemy import Engine, func, select

from ceasefire.guarantees.ports import Evaluation
from ceasefire.ledger.model import EventType
from ceasefire.store.ledger import ledger_entries
from ceasefire.store.schema import incident_reports, incidents, reports


def _parse(at: str) -> datetime:
    return datetime.fromisoformat(at.replace("Z", "+00:00"))


def superseded_since(engine: Engine, since: datetime) -> set[int]:
    """Incident pks fusion superseded after ``since`` (from its ledger entries). An entry at
    exactly ``since`` belongs to the run the mark closed; should one be missed, the count
    check of ``successors_cover`` falls back to the whole history."""
    e = ledger_entries
    found: set[int] = set()
    query = (
        select(e.c.at, e.c.payload)
        .where(e.c.event_type == EventType.INCIDENT_STATE.value)
        .order_by(e.c.seq.desc())
    )
    with engine.connect() as conn:
        for at, payload in conn.execute(query):
            if _parse(at) <= since:
                break
            found.update(int(pk) for pk in orjson.loads(payload).get("superseded", ()))
    return found


def successors_cover(engine: Engine, last: Evaluation, superseded_now: int) -> bool:
    """True when every incident superseded since the evaluation ``last`` was replaced by
    incidents created since then, holding all its reports, none amended or withdrawn."""
    gone = superseded_since(engine, last.recorded_at)
    if superseded_now - last.marks.superseded != len(gone):
        return False  # could not account for every superseded incident
    if not gone:
        return True
    ir, r, i = incident_reports, reports, incidents
    with engine.connect() as conn:
        members = conn.execute(
            select(r.c.pk, r.c.status)
            .join(ir, ir.c.report_pk == r.c.pk)
            .where(ir.c.incident_pk.in_(sorted(gone)))
        ).all()
        if any(status != "active" for _, status in members):
            return False
        report_pks = sorted({pk for pk, _ in members})
        newest = dict(
            conn.execute(
                select(ir.c.report_pk, func.max(i.c.pk))
                .join(i, i.c.pk == ir.c.incident_pk)
                .where(ir.c.report_pk.in_(report_pks), i.c.status == "active")
                .group_by(ir.c.report_pk)
            ).all()
        )
    return all(newest.get(pk, 0) > last.marks.incidents_max for pk in report_pks)
