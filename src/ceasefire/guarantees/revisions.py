"""A fact's later life as revisions: verification states, attribution decisions, remedies.

Monitoring keeps the history of an incident as appended rows (fusion's ``incident_states``,
the Special Commission's ``attributions``/``attribution_decisions``/``remedies``), each with
its time. A replay at a past moment must see the incident as it stood then, not as it stands
today: an incident verified on Tuesday must not make a ``breach`` (verified) trigger fire in a
replay of Monday. So each change becomes a new revision of the fact, recorded at the change's
time; the evaluator takes revisions in recording order and a replay at T stops at the ones
recorded by T (see ``facts.MonitoringFact``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from ceasefire.guarantees.facts import MonitoringFact, VerificationState


@dataclass(frozen=True, slots=True)
class FactChange:
    """One change to a fact at ``at`` (UTC-aware); ``None`` fields are left as they were.

    ``attribution``: the complete attribution after the change, ``(party, record id)`` —
    ``(None, None)`` when a decision withdrew the only upheld one (the source's claim, if
    any, then applies again: pass it as the party with record id ``None``).
    ``remedied_at``: when a remedy was recorded for the fact.
    """

    at: datetime
    verification: VerificationState | None = None
    attribution: tuple[str | None, str | None] | None = None
    remedied_at: datetime | None = None


def revisions_of(base: MonitoringFact, changes: Sequence[FactChange]) -> list[MonitoringFact]:
    """The base fact (revision 0) followed by one revision per change that changes something.

    Changes are applied in time order (stable for ties). A change recorded before the base
    fact was known counts from the base's ``recorded_at`` (a fact cannot change before it
    exists). A change that leaves every field as it was makes no revision.

    >>> from datetime import UTC, timedelta
    >>> from ceasefire.reports.model import Category
    >>> t0 = datetime(2026, 12, 1, tzinfo=UTC)
    >>> fact = MonitoringFact("I-1", t0, t0, Category.EXPLOSION)
    >>> later = FactChange(t0 + timedelta(hours=5), verification=VerificationState.VERIFIED)
    >>> [(f.revision, str(f.verification)) for f in revisions_of(fact, [later])]
    [(0, 'reported'), (1, 'verified')]
    """
    out = [base]
    for change in sorted(changes, key=lambda c: c.at):
        last = out[-1]
        updated = last
        if change.verification is not None:
            updated = replace(updated, verification=change.verification)
        if change.attribution is not None:
            party, record = change.attribution
            updated = replace(updated, attributed_to=party, attribution_id=record)
        if change.remedied_at is not None and updated.remedied_at is None:
            updated = replace(updated, remedied_at=max(change.remedied_at, base.recorded_at))
        if updated == last:
            continue
        recorded = max(change.at, last.recorded_at)
        out.append(replace(updated, recorded_at=recorded, revision=last.revision + 1))
    return out
