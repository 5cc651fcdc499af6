"""When a report counts as received: the clock of the ingest, or its own observation time.

Live, a report is received when the ingest stores it (``received_at`` = the ingest clock),
and that is when the guarantees may act on it. A historical file (the OSCE mission's reports
of February 2022, a simulated month) replayed today would then be "received" years after it
happened, and every trigger's timing would be the replay's, not history's. With
``ReceiptTime.OBSERVED`` each report of the run is stamped as received at its own
``observed_at``: the guarantees then see the history as it unfolded, and
``ceasefire guarantees backtest`` can say when each trigger would have fired.

Only the reports the run stored are restamped (a re-sent report keeps its first receipt);
the run's own bookkeeping, quarantine rows and ledger entries keep the real time of the
ingest — the record of what was done when stays true.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Engine, bindparam, select, update

from ceasefire.store.schema import reports


class ReceiptTime(StrEnum):
    """``clock``: received when ingested (live); ``observed``: when observed (history)."""

    CLOCK = "clock"
    OBSERVED = "observed"


def stamp_received_as_observed(engine: Engine, run_pk: int) -> int:
    """Set ``received_at`` = ``observed_at`` for every report ingest run ``run_pk`` stored;
    returns how many."""
    r = reports
    with engine.begin() as conn:
        rows = conn.execute(select(r.c.pk, r.c.observed_at).where(r.c.ingest_run_pk == run_pk))
        values = [
            {"b_pk": pk, "b_received": datetime.fromtimestamp(observed, UTC).isoformat()}
            for pk, observed in rows
        ]
        if values:
            conn.execute(
                update(r)
                .where(r.c.pk == bindparam("b_pk"))
                .values(received_at=bindparam("b_received")),
                values,
            )
    return len(values)
