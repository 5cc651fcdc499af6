"""Amending or withdrawing a stored report, in SQL both backends take."""

from __future__ import annotations

from ceasefire.store.base import INCIDENT_STATUS_FOR, ReportStatus
from ceasefire.store.dialect import RawCursor
from ceasefire.store.read_model_write import forget_incidents_of_report


def apply_status(cur: RawCursor, report_pk: int, status: ReportStatus) -> None:
    """Amend or withdraw a report: its incidents stop counting, and their violations with them.

    Withdrawal is final: a withdrawn report is never turned back into an amended one.
    """
    incidents_of = "SELECT incident_pk FROM incident_reports WHERE report_pk = ?"
    cur.execute(
        "UPDATE reports SET status = ? WHERE pk = ? AND status != 'withdrawn'",
        (str(status), report_pk),
    )
    cur.execute(
        f"UPDATE incidents SET status = ? WHERE pk IN ({incidents_of}) AND status != 'withdrawn'",
        (str(INCIDENT_STATUS_FOR[status]), report_pk),
    )
    cur.execute(
        f"UPDATE violations SET active = FALSE WHERE incident_pk IN ({incidents_of})",
        (report_pk,),
    )
    forget_incidents_of_report(cur, report_pk)
