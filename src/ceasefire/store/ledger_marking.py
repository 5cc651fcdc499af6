"""The markings ledger writers give their entries, read from the reports they concern.

The marking of an incident is the ``(classification, releasable_to)`` pairs of all its
reports (``ceasefire.ledger.marking``): an entry about it is released to a nation only if
that nation sees every one of its reports. An incident without reports has no marking
(``None``: the entry is withheld from every nation). Guarantee alerts, obligations and cases
take the union of the markings of their evidence incidents (``I-<pk>`` facts).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence

import orjson
from sqlalchemy import Connection, bindparam
from sqlalchemy import text as sa_text

from ceasefire.access.releasability import Pairs
from ceasefire.ledger.marking import Marking, marking_of, union
from ceasefire.store.slices import pk_slices

_INCIDENT_FACT = re.compile(r"I-(\d+)")


def incident_markings(conn: Connection, incident_pks: Sequence[int]) -> dict[int, Pairs]:
    """Marking of each incident that has reports (absent: none, so withheld).

    Called by fusion for every incident it adds or supersedes (the demo's first run: 120,000
    incidents, ~0.7 s of CPU), so the rows go through the driver unprocessed and equal
    markings are built once.
    """
    found: defaultdict[int, set[tuple[str, str]]] = defaultdict(set)
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    for part in pk_slices(sorted(set(incident_pks))):
        sql = _MARKINGS_SQL + f"({', '.join([mark] * len(part))})"
        for incident_pk, classification, label in conn.exec_driver_sql(sql, tuple(part)):
            found[int(incident_pk)].add((str(classification), str(label)))
    built: dict[frozenset[tuple[str, str]], Pairs] = {}
    out: dict[int, Pairs] = {}
    for pk, pairs in found.items():
        key = frozenset(pairs)
        marking = built.get(key)
        if marking is None:
            marking = built[key] = marking_of(pairs)
        out[pk] = marking
    return out


_MARKINGS_SQL = (
    "SELECT DISTINCT ir.incident_pk, r.classification, coalesce(r.releasable_to, '') "
    "FROM incident_reports AS ir JOIN reports AS r ON r.pk = ir.report_pk "
    "WHERE ir.incident_pk IN "
)


def incident_marking(conn: Connection, incident_pk: int) -> Marking:
    """Marking of one incident (None: it has no reports; withheld)."""
    return incident_markings(conn, [incident_pk]).get(incident_pk)


def fact_marking(conn: Connection, fact_ids: Sequence[str]) -> Marking:
    """Marking of guarantee evidence: the union of the markings of its monitoring facts
    (``I-<incident pk>``); withheld when there is none, or one is not an incident with reports
    (another kind of fact, or one since superseded and emptied)."""
    pks = []
    for fact_id in fact_ids:
        found = _INCIDENT_FACT.fullmatch(fact_id)
        if found is None:
            return None
        pks.append(int(found.group(1)))
    if not pks:
        return None
    markings = incident_markings(conn, pks)
    return union(markings.get(pk) for pk in pks)


def fact_markings(conn: Connection, evidence: Mapping[str, Sequence[str]]) -> dict[str, Marking]:
    """:func:`fact_marking` of many evidence lists at once (key → its facts' marking), with
    one read of the incidents' reports: recording the demo's 4,847 alerts one query each took
    seconds."""
    pks: dict[str, list[int] | None] = {}
    for key, fact_ids in evidence.items():
        found = [_INCIDENT_FACT.fullmatch(f) for f in fact_ids]
        ok = all(m is not None for m in found) and bool(found)
        pks[key] = [int(m.group(1)) for m in found if m is not None] if ok else None
    every = [pk for mine in pks.values() if mine for pk in mine]
    markings = incident_markings(conn, every) if every else {}
    return {
        key: None if mine is None else union(markings.get(pk) for pk in mine)
        for key, mine in pks.items()
    }


def obligation_markings(conn: Connection, obligation_ids: Sequence[str]) -> dict[str, Marking]:
    """:func:`obligation_marking` of many obligations, in a few statements."""
    alert_of: dict[str, str] = {}
    facts_of: dict[str, list[str]] = {}
    ids = sorted(set(obligation_ids))
    for k in range(0, len(ids), _IDS):
        rows = conn.execute(_ALERT_OF, {"ids": ids[k : k + _IDS]})
        alert_of |= {str(o): str(a) for o, a in rows}
    alerts = sorted(set(alert_of.values()))
    for k in range(0, len(alerts), _IDS):
        rows = conn.execute(_FACTS_OF, {"ids": alerts[k : k + _IDS]})
        facts_of |= {str(a): [str(f) for f in orjson.loads(text)] for a, text in rows}
    by_alert = fact_markings(conn, facts_of)
    return {o: by_alert.get(alert_of[o]) if o in alert_of else None for o in obligation_ids}


#: Ids per IN list.
_IDS = 500
_ALERT_OF = sa_text("SELECT id, alert_id FROM guarantee_obligations WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)
_FACTS_OF = sa_text("SELECT id, fact_ids FROM guarantee_alerts WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)


def alert_marking(conn: Connection, alert_id: str) -> Marking:
    """Marking of a stored guarantee alert: that of its evidence facts (withheld if unknown)."""
    text = conn.execute(
        sa_text("SELECT fact_ids FROM guarantee_alerts WHERE id = :id"), {"id": alert_id}
    ).scalar()
    return None if text is None else fact_marking(conn, [str(f) for f in orjson.loads(text)])


def obligation_marking(conn: Connection, obligation_id: str) -> Marking:
    """Marking of an obligation: that of the alert that created it."""
    alert_id = conn.execute(
        sa_text("SELECT alert_id FROM guarantee_obligations WHERE id = :id"), {"id": obligation_id}
    ).scalar()
    return None if alert_id is None else alert_marking(conn, str(alert_id))


def case_marking(conn: Connection, case_id: str) -> Marking:
    """Marking of a Special Commission case: that of the fact it is about."""
    fact_id = conn.execute(
        sa_text("SELECT fact_id FROM guarantee_cases WHERE id = :id"), {"id": case_id}
    ).scalar()
    return None if fact_id is None else fact_marking(conn, [str(fact_id)])
