"""Where fusion stands: the reports logged since its cursor on the change log, and those they
reach (amended or withdrawn reports and their incidents' other members).

Kept apart from ``store/fusion_sql.py`` (fusion's reads and writes): this is fusion's progress
as one consumer of ``store/changes.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select, tuple_

from ceasefire.store import schema
from ceasefire.store.changes import REPORT, changed_since, cursor_of, last_seq
from ceasefire.store.slices import SLICE, pk_slices

#: The change log's consumer name of fusion (``store/changes.py``).
FUSION = "fusion"


@dataclass(frozen=True)
class ReportChanges:
    """What fusion must look at: the reports logged after its cursor, up to ``upto``.

    ``cursor`` is ``None`` when the store was never fused (fuse everything); ``seeds`` are the
    reports whose time spans seed windowed re-fusion (see ``changed_report_pks``).
    """

    cursor: int | None
    upto: int
    seeds: list[int]


def changed_report_pks(engine: Engine) -> ReportChanges:
    """The reports whose time spans seed windowed re-fusion: those logged since fusion's
    cursor (withdrawal notices excepted, being no observation), the reports they amend or
    withdraw, and the reports that shared an incident with those (their incident was closed
    when its member was amended or withdrawn).

    Progress is the change log's commit-ordered ``seq``, read *before* the reports: every
    report logged up to ``upto`` is then committed and seen by what follows, and one
    committed later is logged after ``upto`` and seen by the next fusion. (A report pk
    high-water mark missed reports that several writers committed out of pk order.)
    """
    r, ir = schema.reports, schema.incident_reports
    with engine.connect() as conn:
        upto = last_seq(conn)
        cursor = cursor_of(conn, FUSION)
        if cursor is None:  # never fused: everything is new, the caller fuses it all
            return ReportChanges(None, upto, [])
        logged = changed_since(conn, REPORT, cursor, upto)
        new = [
            row
            for part in pk_slices(logged)
            for row in conn.execute(
                select(r.c.pk, r.c.submitter, r.c.source, r.c.amends, r.c.withdrawn).where(
                    r.c.pk.in_(part)
                )
            ).all()
        ]
        seeds = {int(pk) for pk, _, _, _, withdrawn in new if not withdrawn}
        # an amendment names a report of its own scope
        amended = sorted({(source, amends, by) for _, by, source, amends, _ in new if amends})
        targets: set[int] = set()
        for start in range(0, len(amended), SLICE // 2):
            keys = amended[start : start + SLICE // 2]
            targets.update(
                conn.execute(
                    select(r.c.pk).where(tuple_(r.c.source, r.c.id, r.c.submitter).in_(keys))
                ).scalars()
            )
        for part in pk_slices(sorted(targets)):
            shared = select(ir.c.incident_pk).where(ir.c.report_pk.in_(part))
            seeds.update(
                conn.execute(select(ir.c.report_pk).where(ir.c.incident_pk.in_(shared))).scalars()
            )
    return ReportChanges(cursor, upto, sorted(seeds | targets))
