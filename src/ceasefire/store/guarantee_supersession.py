"""Whether re-fusion since the last live evaluation leaves the incremental window sound.

Fusion supersedes incidents when reports join, split or leave them. An incremental
evaluation replays from the earliest first receipt among the incidents stated since the last
run (``guarantee_facts.changed_since``). That covers a superseded incident exactly when each
of its reports is still active and now belongs to an incident stated since that run: the
successor then carries the same reports, received no later than the superseded incident's,
so nothing before the window's start changed. A report amended or withdrawn, or one left in
an older incident, could change the past before the window: then the whole history is
replayed, as before.

"Since that run" is the change log after the evaluation's mark (``store/changes.py``):
fusion logs the incidents it supersedes and states in the transaction that writes them, in
commit order, so neither a pk nor a clock decides what is new.
"""

from __future__ import annotations

from sqlalchemy import Engine, select

from ceasefire.guarantees.ports import Evaluation
from ceasefire.store.changes import INCIDENT, SUPERSEDED, changes_after, last_seq
from ceasefire.store.schema import incident_reports, incidents, reports
from ceasefire.store.slices import pk_slices


def successors_cover(engine: Engine, last: Evaluation, superseded_now: int) -> bool:
    """True when every incident superseded since the evaluation ``last`` was replaced by
    incidents stated since then, holding all its reports, none amended or withdrawn."""
    ir, r, i = incident_reports, reports, incidents
    with engine.connect() as conn:
        logged = changes_after(conn, [SUPERSEDED, INCIDENT], last.marks.change_seq, last_seq(conn))
        gone = sorted({pk for kind, pk in logged if kind == SUPERSEDED})
        if superseded_now - last.marks.superseded != len(gone):
            return False  # could not account for every superseded incident
        if not gone:
            return True
        stated = {pk for kind, pk in logged if kind == INCIDENT}
        members = [
            row
            for part in pk_slices(gone)
            for row in conn.execute(
                select(r.c.pk, r.c.status)
                .join(ir, ir.c.report_pk == r.c.pk)
                .where(ir.c.incident_pk.in_(part))
            ).all()
        ]
        if any(status != "active" for _, status in members):
            return False
        report_pks = sorted({int(pk) for pk, _ in members})
        holders: dict[int, set[int]] = {}
        for part in pk_slices(report_pks):
            for report_pk, incident_pk in conn.execute(
                select(ir.c.report_pk, i.c.pk)
                .join(i, i.c.pk == ir.c.incident_pk)
                .where(ir.c.report_pk.in_(part), i.c.status == "active")
            ):
                holders.setdefault(int(report_pk), set()).add(int(incident_pk))
    return all(holders.get(pk, set()) & stated for pk in report_pks)
