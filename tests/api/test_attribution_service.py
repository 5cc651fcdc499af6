"""The attribution workflow's rules (``assessment.attribution_service``), once, on the real
store of each backend: the CLI and the HQ API only call it (their own tests cover the edges).

The service runs here on the HQ's store (``SqlAttributions``) with the mini agreement, as the
HQ system (sees everything) and as readers of some nations (see part of an incident).
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from api_helpers import HQ, report
from sqlalchemy import select

from ceasefire.access.model import Role, User
from ceasefire.assessment.attribution import Decision
from ceasefire.assessment.attribution_service import AttributionService, Author
from ceasefire.clock import FixedClock
from ceasefire.errors import InputError, NotFoundError
from ceasefire.guarantees.refresh import link_attribution_records
from ceasefire.reports.model import Classification
from ceasefire.store import schema
from ceasefire.store.attribution_sql import SqlAttributions, list_attributions
from ceasefire.store.guarantees_sql import SqlGuarantees
from ceasefire.store.ledger import ledger_entries
from ceasefire.store.queries import engine_of

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
#: One incident seen by an open report and a SECRET report released to FRA only.
EVENT = [
    report("open", source="OP-A", releasable_to=["USA", "FRA"], count=2),
    report("fra", source="OP-B", releasable_to=["FRA"], classification="SECRET", count=3),
]


def service(hq: HQ) -> AttributionService:
    engine = engine_of(hq.state.store)
    return AttributionService(
        SqlAttributions(engine),
        hq.state.book,
        FixedClock(NOW),
        advance_cases=lambda clock: link_attribution_records(SqlGuarantees(engine), clock=clock),
    )


def reader(hq: HQ, nation: str) -> Author:
    user = User(0, nation.lower(), nation, None, Classification.SECRET, frozenset({Role.ANALYST}))
    return Author(f"{nation.lower()}-1", hq.state.viewer(user))


def violation_of_event(hq: HQ) -> int:
    hq.ingest(EVENT)
    with engine_of(hq.state.store).connect() as conn:
        found = conn.execute(
            select(schema.violations.c.pk).where(schema.violations.c.active.is_(True))
        ).scalars()
        (pk,) = list(found)
    return int(pk)


def chained_steps(hq: HQ, proposal: int) -> list[dict[str, object]]:
    e = ledger_entries
    with engine_of(hq.state.store).connect() as conn:
        payloads = conn.execute(
            select(e.c.payload).where(e.c.subject_id == f"attribution-{proposal}").order_by(e.c.seq)
        ).scalars()
        return [orjson.loads(p) for p in payloads]


def test_the_system_proposes_from_observations_then_decides_and_remedies(hq: HQ) -> None:
    violation = violation_of_event(hq)
    work, system = service(hq), Author("staff")
    proposed = work.propose(violation, system)
    # an explosion west of the line with no origin observed: fire from across it
    assert (proposed.party, proposed.basis.split(":")[0]) == ("RUS", "impact_across")
    assert 0 < proposed.confidence <= 0.5
    decision = work.decide(proposed.pk, system, decision=Decision.UPHELD, note="n")
    remedy = work.remedy(decision, system, remedy="withdraw the battery")
    (record,) = list_attributions(engine_of(hq.state.store))
    assert (record["party"], record["proposed_by"], record["decision"]) == (
        "RUS",
        "staff",
        "upheld",
    )
    assert (record["remedy"], record["recorded_by"]) == ("withdraw the battery", "staff")
    assert record["proposed_at"].startswith("2026-03-10T12:00:00")
    steps = chained_steps(hq, proposed.pk)
    assert [(s["step"], s["pk"]) for s in steps] == [
        ("proposal", proposed.pk),
        ("decision", decision),
        ("remedy", remedy),
    ]
    # every record carries the marking of all the incident's reports
    pairs = [["SECRET", "FRA"], ["UNCLASSIFIED", "USA;FRA"]]
    for key in ("marking", "decision_marking", "remedy_marking"):
        assert sorted(orjson.loads(record[key])) == pairs


def test_a_stated_party_must_be_a_party_of_the_agreement(hq: HQ) -> None:
    violation = violation_of_event(hq)
    work = service(hq)
    with pytest.raises(InputError) as refused:
        work.propose(violation, Author("staff"), party="XYZ", basis="b")
    assert (refused.value.field, refused.value.rule) == ("party", "enum")
    assert list_attributions(engine_of(hq.state.store)) == []
    stated = work.propose(violation, reader(hq, "FRA"), party="UKR", confidence=0.7)
    assert (stated.party, stated.basis, stated.confidence) == (
        "UKR",
        "analyst: stated by the proposer",
        0.7,
    )


def test_what_the_author_may_not_see_whole_answers_like_what_does_not_exist(hq: HQ) -> None:
    violation = violation_of_event(hq)
    work = service(hq)
    usa, fra = reader(hq, "USA"), reader(hq, "FRA")  # USA sees only the open report
    for author, pk in ((usa, violation), (fra, 987654)):
        with pytest.raises(NotFoundError, match=f"^no violation {pk}$"):
            work.propose(pk, author, party="RUS", basis="b")
    proposal = work.propose(violation, fra, party="RUS", basis="b").pk
    for pk in (proposal, 987654):
        with pytest.raises(NotFoundError, match=f"^no attribution {pk}$"):
            work.decide(pk, usa if pk == proposal else fra, decision=Decision.REJECTED)
    decision = work.decide(proposal, fra, decision=Decision.REJECTED)
    for author, pk in ((usa, decision), (fra, 987654)):
        with pytest.raises(NotFoundError, match=f"^no decision {pk}$"):
            work.remedy(pk, author, remedy="r")
    assert [s["step"] for s in chained_steps(hq, proposal)] == ["proposal", "decision"]


def test_observations_that_support_no_party_give_no_proposal(hq: HQ) -> None:
    hq.ingest([report("blocked", category="movement_restriction")])  # a violation, no fire
    with engine_of(hq.state.store).connect() as conn:
        (violation,) = conn.execute(select(schema.violations.c.pk)).scalars()
    with pytest.raises(InputError) as none:
        service(hq).propose(int(violation), Author("staff"))
    assert (none.value.field, none.value.rule) == ("party", "no_proposal")
    assert list_attributions(engine_of(hq.state.store)) == []
