"""The markings ledger writers give their entries, read from the reports they concern.

The marking of an incident is the ``(classification, releasable_to)`` pairs of all its
reports (``ceasefire.ledger.marking``): an entry about it is released to a nation only if
that nation sees every one of its reports. An incident without reports has no marking
(``None``: the entry is withheld from every nation).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Connection, func, select

from ceasefire.access.releasability import Pairs
from ceasefire.ledger.marking import Marking, marking_of
from ceasefire.store import schema
from ceasefire.store.fusion import attributions
from ceasefire.store.slices import pk_slices


def incident_markings(conn: Connection, incident_pks: Sequence[int]) -> dict[int, Pairs]:
    """Marking of each incident that has reports (absent: none, so withheld)."""
    ir, r = schema.incident_reports, schema.reports
    found: defaultdict[int, set[tuple[str, str]]] = defaultdict(set)
    for part in pk_slices(sorted(set(incident_pks))):
        for incident_pk, classification, label in conn.execute(
            select(ir.c.incident_pk, r.c.classification, func.coalesce(r.c.releasable_to, ""))
            .distinct()
            .join(r, r.c.pk == ir.c.report_pk)
            .where(ir.c.incident_pk.in_(part))
        ):
            found[int(incident_pk)].add((str(classification), str(label)))
    return {pk: marking_of(pairs) for pk, pairs in found.items()}


def incident_marking(conn: Connection, incident_pk: int) -> Marking:
    """Marking of one incident (None: it has no reports; withheld)."""
    return incident_markings(conn, [incident_pk]).get(incident_pk)


def proposal_marking(conn: Connection, proposal_pk: int) -> Marking:
    """Marking of an attribution proposal: that of the incident of its violation."""
    a, v = attributions, schema.violations
    incident_pk = conn.execute(
        select(v.c.incident_pk).join(a, a.c.violation_pk == v.c.pk).where(a.c.pk == proposal_pk)
    ).scalar()
    return None if incident_pk is None else incident_marking(conn, int(incident_pk))
