"""Writing fusion's result: SQLAlchemy Core on the store's engine, on both backends.

``replace_incidents`` writes fusion's incidents, the only ones there are (the ingest's chunks store
reports alone): incidents whose report set fusion no longer produces are marked ``superseded``
(their violations inactive); new report sets become new incidents with their fusion details,
violations and a first verification state (``fusion.carryover`` decides it). Incidents whose report
set is unchanged are kept as they are; one without fusion details (a 1:1 incident written by the
ingest of a store from before issue 14) gets them. New incidents and violations take
database-assigned ids (``store.dialect.draw_ids``). Reading reports for fusion is
``store.fusion_reads``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import Connection, Engine, Table, select

from ceasefire.access.marking import decode_marking, encode_marking, pairs_of
from ceasefire.access.releasability import Pairs
from ceasefire.fusion.carryover import Decision, first_states, standing_decision
from ceasefire.fusion.model import Incident
from ceasefire.fusion.verification import StateChange
from ceasefire.ledger.canonical import JsonValue
from ceasefire.ledger.model import EventType, LedgerEvent
from ceasefire.store import schema
from ceasefire.store.changes import INCIDENT, STATE, SUPERSEDED, log_changes
from ceasefire.store.dialect import deadlocks_as_conflicts, draw_ids, insert_rows, raw_cursor
from ceasefire.store.fusion import incident_fusion, incident_states
from ceasefire.store.ledger import record_in
from ceasefire.store.ledger_marking import incident_markings
from ceasefire.store.read_model_write import TearlineJudge, refresh_read_model
from ceasefire.store.slices import pk_slices


@dataclass(frozen=True)
class NewIncident:
    """A fused incident to write: its reports' pks, judgement and its violations."""

    incident: Incident
    report_pks: frozenset[int]
    agreement_version_pk: int
    violations: Sequence[tuple[str, str, int, str, str | None]]  # rule, article, sev, cert, zone


def replace_incidents(
    engine: Engine,
    *,
    keep: Sequence[tuple[int, NewIncident]],
    add: Sequence[NewIncident],
    supersede: Sequence[int],
    at: datetime,
    at_iso: str,
    judge: TearlineJudge | None = None,
) -> None:
    """One transaction: supersede, add, and complete kept incidents that lack fusion rows.

    The HQ's read model of every incident touched is rewritten in the same transaction
    (``store.read_model_write``; ``judge`` computes the tearlines it stores).

    On PostgreSQL an ingest amending a report of an incident this run supersedes can
    deadlock with it; the loser's transaction is rolled back and ``WriteConflictError``
    raised, and the caller fuses again (``pipeline.ingest``).

    The incidents stated (new ones, and the ingest's one-report incidents fusion keeps),
    their first states and the superseded incidents go on the change log
    (``store/changes.py``), last but the ledger, so its lock is held briefly.
    The changes go on the ledger in the same transaction as one ``incident.state`` entry
    (subject ``incidents``) listing the superseded incident pks and ``[pk, state, author]`` of
    every first state; a run that changes nothing chains nothing. Rows are written one
    statement per table (``executemany``), never one round trip per incident: the first
    fusion of the 112,000-report demo adds every incident at once.
    """
    i, ir, v = schema.incidents, schema.incident_reports, schema.violations
    with deadlocks_as_conflicts("incidents"), engine.begin() as conn:
        for ids in pk_slices(supersede):
            conn.execute(i.update().where(i.c.pk.in_(ids)).values(status="superseded"))
            conn.execute(v.update().where(v.c.incident_pk.in_(ids)).values(active=False))
        fused: set[int] = set()
        for ids in pk_slices([pk for pk, _ in keep]):
            fused.update(
                conn.execute(
                    select(incident_fusion.c.incident_pk).where(
                        incident_fusion.c.incident_pk.in_(ids)
                    )
                ).scalars()
            )
        carried = _carried_states(conn, supersede)
        first = [(pk, new) for pk, new in keep if pk not in fused]
        cur = raw_cursor(conn)
        incident_pks = draw_ids(cur, "incidents", len(add)).tolist()
        violation_pks = iter(
            draw_ids(cur, "violations", sum(len(new.violations) for new in add)).tolist()
        )
        cur.close()
        incident_rows: list[dict[str, object]] = []
        member_rows: list[dict[str, object]] = []
        violation_rows: list[dict[str, object]] = []
        for pk, new in zip(incident_pks, add, strict=True):
            inc = new.incident
            incident_rows.append(
                {
                    "pk": pk,
                    "status": "active",
                    "observed_at": inc.observed_at_s,
                    # an unlocated report (unknown place) is an incident without position:
                    # NULL, as on its report (PostgreSQL would store NaN, and fail its grid)
                    "lon": _finite(inc.lon),
                    "lat": _finite(inc.lat),
                    "uncertainty_m": _finite(inc.uncertainty_m),
                    "category": inc.category.value,
                    "weapon_class": inc.weapon_class.value if inc.weapon_class else None,
                    "count": inc.count_best,
                    "agreement_version_pk": new.agreement_version_pk,
                }
            )
            member_rows.extend({"incident_pk": pk, "report_pk": r} for r in new.report_pks)
            for rule_id, article, severity, certainty, zone_id in new.violations:
                violation_rows.append(
                    {
                        "pk": next(violation_pks),
                        "incident_pk": pk,
                        "rule_id": rule_id,
                        "article": article,
                        "severity": severity,
                        "certainty": certainty,
                        "zone_id": zone_id,
                        "agreement_version_pk": new.agreement_version_pk,
                        "observed_at": inc.observed_at_s,
                        "active": True,
                    }
                )
            first.append((pk, new))
        kinds = _report_kinds(conn, [r for _, new in first for r in new.report_pks])
        state_rows = [
            row
            for pk, new in first
            for row in _first_states(
                pk, new, pairs_of(kinds[r] for r in new.report_pks), carried, at_iso
            )
        ]
        for table, rows in (
            (i, incident_rows),
            (ir, member_rows),
            (incident_fusion, [_fusion_row(pk, new.incident) for pk, new in first]),
            (v, violation_rows),
            (incident_states, state_rows),
        ):
            _insert_many(conn, table, rows)
        touched = [*supersede, *(int(str(row["incident_pk"])) for row in state_rows)]
        refresh_read_model(conn, touched, judge=judge)
        # last: the change log's lock, then the ledger's, are held from here to the commit
        stated = [pk for pk, _ in first]
        state_pks = _state_pks(conn, stated)
        log_changes(
            conn,
            {INCIDENT: stated, STATE: state_pks, SUPERSEDED: sorted(supersede)},
            at_iso,
        )
        if supersede or state_rows:
            record_in(conn, _state_events(conn, supersede, state_rows), at=at)


def _state_pks(conn: Connection, incident_pks: Sequence[int]) -> list[int]:
    """The pks of the state rows of ``incident_pks`` (just written: their first states)."""
    s = incident_states
    return [
        int(pk)
        for part in pk_slices(sorted(incident_pks))
        for pk in conn.execute(select(s.c.pk).where(s.c.incident_pk.in_(part))).scalars()
    ]


def _state_events(
    conn: Connection, supersede: Sequence[int], state_rows: Sequence[dict[str, object]]
) -> list[LedgerEvent]:
    """One ``incident.state`` entry (subject ``incidents``) per marking group: the superseded
    pks and ``[pk, state, author]`` first states of the incidents of that marking (the pairs
    of all their reports), so no entry names an incident its readers may not see. Groups in
    sorted marking order; incidents without reports go to one entry withheld from all."""
    states = [
        (int(str(row["incident_pk"])), str(row["state"]), str(row["author"])) for row in state_rows
    ]
    markings = incident_markings(conn, [*supersede, *(pk for pk, _, _ in states)])
    groups: dict[Pairs | None, tuple[list[JsonValue], list[JsonValue]]] = {}
    for pk in supersede:
        groups.setdefault(markings.get(int(pk)), ([], []))[0].append(int(pk))
    for pk, state, author in states:
        groups.setdefault(markings.get(pk), ([], []))[1].append([pk, state, author])
    order = sorted(groups, key=lambda m: (m is None, m or ()))
    return [
        LedgerEvent(
            EventType.INCIDENT_STATE,
            "incidents",
            {"superseded": groups[m][0], "states": groups[m][1]},
            marking=m,
        )
        for m in order
    ]


def _insert_many(conn: Connection, table: Table, rows: Sequence[dict[str, object]]) -> None:
    """Insert ``rows`` (same keys, plain Python values) in one bulk statement: ``COPY`` on
    PostgreSQL, one DB-API ``executemany`` on SQLite (``dialect.insert_rows``).

    Never through SQLAlchemy's per-row parameter processing (~10 us a row, a second for the
    first fusion's 170,000 rows) nor one round trip per row. Values must need no bind
    processing (no dates).
    """
    if not rows:
        return
    columns = list(rows[0])
    cur = raw_cursor(conn)
    try:
        insert_rows(cur, table.name, columns, [tuple(row[c] for c in columns) for row in rows])
    finally:
        cur.close()


def _fusion_row(pk: int, inc: Incident) -> dict[str, object]:
    return {
        "incident_pk": pk,
        "fusion_id": inc.id.rsplit("\x1f", 1)[0],
        "observed_until": inc.observed_until_s,
        "count_low": inc.count_low,
        "count_best": inc.count_best,
        "count_high": inc.count_high,
        "sources": inc.sources,
        "independent_sources": inc.independent_sources,
        "confidence": inc.confidence,
        "semi_major_m": _finite(inc.ellipse.semi_major_m),
        "semi_minor_m": _finite(inc.ellipse.semi_minor_m),
        "orientation_deg": _finite(inc.ellipse.orientation_deg),
        "bearing_observers": inc.bearing_observers,
    }


def _finite(x: float) -> float | None:
    return x if np.isfinite(x) else None


def _report_kinds(conn: Connection, report_pks: Sequence[int]) -> dict[int, tuple[str, str]]:
    """Report pk → its ``(classification, releasable_to)`` (None as stored)."""
    r = schema.reports
    out: dict[int, tuple[str, str]] = {}
    for part in pk_slices(sorted(set(report_pks))):
        for pk, classification, label in conn.execute(
            select(r.c.pk, r.c.classification, r.c.releasable_to).where(r.c.pk.in_(part))
        ):
            out[int(pk)] = (str(classification), str(label or ""))
    return out


def _carried_states(conn: Connection, superseded: Sequence[int]) -> dict[int, Decision]:
    """Report pk → the analyst decision standing on a superseded incident holding it
    (``fusion.carryover.standing_decision`` of each incident's own history)."""
    if not superseded:
        return {}
    s, ir = incident_states, schema.incident_reports
    histories: dict[int, list[tuple[str, str, Pairs]]] = {}
    for part in pk_slices(superseded):  # an incident's states all fall in one slice
        for incident_pk, state, author, marking in conn.execute(
            select(s.c.incident_pk, s.c.state, s.c.author, s.c.marking)
            .where(s.c.incident_pk.in_(part), s.c.tearline.is_(False))
            .order_by(s.c.pk)
        ):
            histories.setdefault(int(incident_pk), []).append(
                (str(state), str(author), decode_marking(marking))
            )
    decided = {
        pk: decision
        for pk, history in histories.items()
        if (decision := standing_decision(pk, history)) is not None
    }
    out: dict[int, Decision] = {}
    for part in pk_slices(list(decided)):
        for incident_pk, report_pk in conn.execute(
            select(ir.c.incident_pk, ir.c.report_pk).where(ir.c.incident_pk.in_(part))
        ):
            out[int(report_pk)] = decided[int(incident_pk)]
    return out


def _first_states(
    pk: int,
    new: NewIncident,
    signature: Pairs,
    carried: dict[int, Decision],
    at_iso: str,
) -> list[dict[str, object]]:
    """The incident's first state rows (``fusion.carryover.first_states``), marked with all
    its reports (``signature``) unless a verdict on a tearline."""
    inherited = [carried[r] for r in new.report_pks if r in carried]
    return [
        {
            "incident_pk": pk,
            "at": at_iso,
            "previous": None if first.previous is None else first.previous.value,
            "state": first.state.value,
            "author": first.author,
            "note": first.note,
            "marking": encode_marking(first.marking) if first.marking else "",
            "tearline": first.tearline,
        }
        for first in first_states(new.incident.independent_sources, signature, inherited)
    ]


def record_state(
    engine: Engine,
    incident_pk: int,
    change: StateChange,
    at_iso: str,
    *,
    marking: Pairs,
    tearline: bool = False,
    judge: TearlineJudge | None = None,
) -> None:
    """Append an analyst's state change to the incident's history, to the change log, and to
    the ledger (subject ``I-<pk>``) in the same transaction when the ledger tables exist; the
    incident's read model follows in that transaction (``judge``: as for
    ``replace_incidents``).

    ``marking``: the pairs of the incident's reports the analyst saw (``access.marking``);
    ``tearline``: they saw only part of the incident, so the change is a verdict on their
    tearline and never the incident's own state.
    """
    payload: dict[str, JsonValue] = {
        "state": change.after.value,
        "previous": change.before.value if change.before else None,
        "by": change.by,
        "note": change.note,
    }
    if tearline:
        payload["tearline"] = True
    with engine.begin() as conn:
        result = conn.execute(
            incident_states.insert().values(
                incident_pk=incident_pk,
                state=change.after.value,
                previous=change.before.value if change.before else None,
                author=change.by,
                at=at_iso,
                note=change.note,
                marking=encode_marking(marking),
                tearline=tearline,
            )
        )
        refresh_read_model(conn, [incident_pk], judge=judge)
        key = result.inserted_primary_key
        assert key is not None
        log_changes(conn, {STATE: [int(key[0])]}, at_iso)
        record_in(
            conn,
            [LedgerEvent(EventType.INCIDENT_STATE, f"I-{incident_pk}", payload, marking=marking)],
            at=datetime.fromisoformat(at_iso),
        )
