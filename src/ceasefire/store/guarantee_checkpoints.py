"""The live guarantees evaluator's checkpoints, and the rows it is told about.

One table, ``guarantee_checkpoints`` (migration 0022): the evaluator's state as the bytes
``guarantees.live.LiveEvaluator.checkpoint`` gave, with the marks of what the record had seen
when it was taken (``ports.EvaluationMarks``). Only the latest is kept: a restore never needs
an older one, and each is a few MB. Rows only: which incidents were touched after the marks,
which are no longer active. What to make of them is ``guarantees.live_service``'s decision.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import (
    Column,
    Engine,
    Integer,
    LargeBinary,
    String,
    Table,
    delete,
    insert,
    inspect,
    select,
)

from ceasefire.guarantees.ports import EvaluationMarks, LiveCheckpoint
from ceasefire.store.changes import DECISION, INCIDENT, REMEDY, STATE, changes_after, last_seq
from ceasefire.store.fusion import attribution_decisions, attributions, incident_states, remedies
from ceasefire.store.guarantee_rows import from_iso, iso
from ceasefire.store.metadata import metadata
from ceasefire.store.schema import incidents, violations

_TS = 40
_MARK_KEYS = EvaluationMarks.__slots__
#: Incident pks per IN list.
_SLICE = 5_000

guarantee_checkpoints = Table(
    "guarantee_checkpoints",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("token", String(32), nullable=False, comment="random, per checkpoint"),
    Column("evaluated_until", String(_TS), nullable=False, comment="state evaluated up to"),
    Column("file_pk", Integer, nullable=False, comment="the guarantees file evaluated"),
    Column("ratifications", Integer, nullable=False, comment="ratification records seen"),
    Column("superseded", Integer, nullable=False, comment="incidents not active, seen"),
    Column("change_seq", Integer, nullable=False, comment="the change log's seq seen"),
    Column("state", LargeBinary, nullable=False, comment="LiveEvaluator.checkpoint() bytes"),
    Column("recorded_at", String(_TS), nullable=False),
)


def latest_checkpoint(engine: Engine) -> LiveCheckpoint | None:
    """The latest checkpoint (None: none, or a store from before migration 0022)."""
    if not inspect(engine).has_table("guarantee_checkpoints"):
        return None
    g = guarantee_checkpoints
    with engine.connect() as conn:
        row = conn.execute(select(g).order_by(g.c.pk.desc()).limit(1)).first()
    if row is None:
        return None
    return LiveCheckpoint(
        row.token,
        EvaluationMarks(**{key: int(row._mapping[key]) for key in _MARK_KEYS}),
        from_iso(row.evaluated_until),
        bytes(row.state),
        from_iso(row.recorded_at),
    )


def checkpoint_token(engine: Engine) -> str | None:
    """The latest checkpoint's token (None: none, or no table)."""
    if not inspect(engine).has_table("guarantee_checkpoints"):
        return None
    g = guarantee_checkpoints
    with engine.connect() as conn:
        return conn.execute(select(g.c.token).order_by(g.c.pk.desc()).limit(1)).scalar()


def save_checkpoint(engine: Engine, checkpoint: LiveCheckpoint) -> None:
    """Keep ``checkpoint`` as the only one (older ones deleted in the same transaction)."""
    g = guarantee_checkpoints
    with engine.begin() as conn:
        conn.execute(delete(g))
        conn.execute(
            insert(g).values(
                token=checkpoint.token,
                evaluated_until=iso(checkpoint.evaluated_until),
                state=checkpoint.state,
                recorded_at=iso(checkpoint.recorded_at),
                **{key: getattr(checkpoint.marks, key) for key in _MARK_KEYS},
            )
        )


def touched_after(engine: Engine, marks: EvaluationMarks) -> set[int]:
    """Active incidents stated after ``marks`` (new reports, re-fusion's successors) or
    given a state, an attribution decision or a remedy after them: "after" on the change
    log, in commit order, so a row another writer committed with a lower pk is not skipped
    (a pk high-water mark would)."""
    v = violations
    if not inspect(engine).has_table("incidents"):
        return set()
    s, a, d, m = incident_states, attributions, attribution_decisions, remedies
    decided = select(v.c.incident_pk).join(a, a.c.violation_pk == v.c.pk)
    decided = decided.join(d, d.c.attribution_pk == a.c.pk)
    to_incident = {
        STATE: (s.c.pk, select(s.c.incident_pk)),
        DECISION: (d.c.pk, decided),
        REMEDY: (m.c.pk, decided.join(m, m.c.decision_pk == d.c.pk)),
    }
    with engine.connect() as conn:
        logged = changes_after(
            conn, [INCIDENT, STATE, DECISION, REMEDY], marks.change_seq, last_seq(conn)
        )
        found = {pk for kind, pk in logged if kind == INCIDENT}
        for kind, (key, query) in to_incident.items():
            pks = sorted({pk for k, pk in logged if k == kind})
            for start in range(0, len(pks), _SLICE):
                part = pks[start : start + _SLICE]
                found |= {int(pk) for pk in conn.execute(query.where(key.in_(part))).scalars()}
    return found - _inactive(engine, sorted(found))


def inactive_among(engine: Engine, pks: Sequence[int]) -> set[int]:
    """Those of ``pks`` whose incident is no longer active (or no longer exists)."""
    return _inactive(engine, sorted(pks))


def _inactive(engine: Engine, pks: list[int]) -> set[int]:
    i = incidents
    active: set[int] = set()
    with engine.connect() as conn:
        for k in range(0, len(pks), _SLICE):
            part = pks[k : k + _SLICE]
            query = select(i.c.pk).where(i.c.pk.in_(part), i.c.status == "active")
            active |= {int(pk) for pk in conn.execute(query).scalars()}
    return set(pks) - active
