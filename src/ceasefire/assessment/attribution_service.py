"""The attribution workflow, written once: propose, decide, remedy (issue 14, point 2).

The CLI (``ceasefire attribution …``, the HQ system) and the HQ API (an analyst or a Special
Commission member) both call ``AttributionService``; it holds every rule of the workflow and
the edges only translate arguments and errors. Storage is a port (``AttributionStore``), so
this module imports no database, web or command-line library.

The rules, for every author:

* a step is about a violation whose incident's reports the author sees *all* of; a hidden,
  partly hidden or missing violation, proposal or decision answers ``NotFoundError`` with
  the same message (an id must not tell whether it exists);
* a proposal names a party of the agreement version in force at the violation's time (else
  ``InputError`` on ``party``); without a party it is proposed from the observations
  (``assessment.attribution.propose_attribution``), which may find none (``InputError``
  ``party``/``no_proposal``);
* a decision is ``upheld`` or ``rejected``; a remedy is free text;
* every record carries the marking of its incident's reports (all of which the author saw)
  and is chained on the ledger by the store; the Special Commission cases move at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

import numpy as np
from numpy.typing import NDArray

from ceasefire.access.marking import sees_marking
from ceasefire.access.model import Viewer
from ceasefire.access.releasability import Pairs
from ceasefire.assessment.attribution import Basis, Decision, propose_attribution
from ceasefire.clock import Clock
from ceasefire.errors import InputError, NotFoundError
from ceasefire.reports.model import Category, FireDirection

if TYPE_CHECKING:
    from ceasefire.geo.zones import Geography


@dataclass(frozen=True)
class ViolationContext:
    """What the workflow reads about a violation and its incident.

    ``pairs`` are the ``(classification, releasable_to)`` kinds of all the incident's
    reports: the marking every record about it carries.
    """

    violation_pk: int
    incident_pk: int
    rule_id: str
    observed_at_s: float
    category: str
    lon: float | None
    lat: float | None
    uncertainty_m: float | None
    confidence: float
    fire_directions: frozenset[str]
    pairs: Pairs


@dataclass(frozen=True)
class RecordRef:
    """A stored proposal or decision: the violation it is about and its marking."""

    violation_pk: int
    marking: Pairs


@dataclass(frozen=True)
class Author:
    """Who records a step: the name written on the record, and what they may see (``None``:
    the HQ system itself, which sees every report)."""

    name: str
    viewer: Viewer | None = None


@dataclass(frozen=True)
class Stamp:
    """Who recorded a step, when, and the marking it carries (its incident's reports)."""

    by: str
    at: datetime
    marking: Pairs


@dataclass(frozen=True)
class Proposed:
    """A stored proposal: its number, and the party, basis and confidence recorded."""

    pk: int
    party: str
    basis: str
    confidence: float


class AttributionStore(Protocol):
    """What the workflow needs from the store (``store.attribution_sql.SqlAttributions``)."""

    def violation(self, violation_pk: int, viewer: Viewer | None) -> ViolationContext | None:
        """The violation, if it exists and ``viewer`` (``None``: everything) sees every
        report of its incident; else ``None``."""
        ...

    def proposal(self, attribution_pk: int) -> RecordRef | None:
        """A stored proposal, or ``None``."""
        ...

    def decision(self, decision_pk: int) -> RecordRef | None:
        """A stored decision (the violation of its proposal), or ``None``."""
        ...

    def add_proposal(
        self, *, violation_pk: int, party: str, basis: str, confidence: float, stamp: Stamp
    ) -> int:
        """Store and chain a proposal; its pk."""
        ...

    def add_decision(
        self, *, attribution_pk: int, decision: Decision, note: str | None, stamp: Stamp
    ) -> int:
        """Store and chain a decision; its pk."""
        ...

    def add_remedy(self, *, decision_pk: int, remedy: str, stamp: Stamp) -> int:
        """Store and chain a remedy; its pk."""
        ...


class _Version(Protocol):
    @property
    def geography(self) -> Geography: ...


class Agreements(Protocol):
    """The stored agreement versions, compiled (``pipeline.agreements.AgreementBook``)."""

    @property
    def versions(self) -> Sequence[_Version]: ...

    def assign(self, observed_at_s: NDArray[np.float64]) -> NDArray[np.intp]: ...


class CaseLink(Protocol):
    """Moves the Special Commission cases along the records just made (the guarantees'
    ``link_attribution_records`` on the same store), each step chained on the ledger."""

    def __call__(self, clock: Clock) -> object: ...


class AgreementSource(Protocol):
    """Gives the compiled agreement when a step needs it (compiling costs seconds)."""

    def __call__(self) -> Agreements: ...


class AttributionService:
    """Propose, decide and remedy attributions with one set of rules (module docstring).

    ``advance_cases`` moves the Commission's cases after each record (at once, not at the
    next ingest). ``write_lock`` serialises the record and the case update with the caller's
    other writes (the HQ's one writer lock on SQLite); ``None`` for a process of its own.
    """

    def __init__(
        self,
        store: AttributionStore,
        agreements: AgreementSource,
        clock: Clock,
        *,
        advance_cases: CaseLink,
        write_lock: AbstractContextManager[object] | None = None,
    ) -> None:
        self._store = store
        self._advance_cases = advance_cases
        self._agreements = agreements
        self._clock = clock
        self._lock: AbstractContextManager[object] = write_lock or nullcontext()

    def propose(
        self,
        violation_pk: int,
        author: Author,
        *,
        party: str | None = None,
        basis: str | None = None,
        confidence: float = 0.5,
    ) -> Proposed:
        """Propose who is responsible for a violation: ``party`` as stated (``basis`` says
        why), or without it the party the observations support, with their confidence."""
        context = self._store.violation(violation_pk, author.viewer)
        if context is None:
            raise NotFoundError(f"no violation {violation_pk}")
        geography = self._geography_at(context.observed_at_s)
        parties = geography.party_ids
        if party is None:
            party, basis_text, confidence = _from_observations(context, geography)
        elif party not in parties:
            names = ", ".join(sorted(parties))
            raise InputError("party", "enum", f"{party!r} is not a party: {names}")
        else:
            basis_text = f"{Basis.ANALYST.value}: {basis or 'stated by the proposer'}"
        chosen = party
        pk = self._record(
            author,
            context,
            lambda stamp: self._store.add_proposal(
                violation_pk=violation_pk,
                party=chosen,
                basis=basis_text,
                confidence=confidence,
                stamp=stamp,
            ),
        )
        return Proposed(pk, chosen, basis_text, confidence)

    def decide(
        self, attribution_pk: int, author: Author, *, decision: Decision, note: str | None = None
    ) -> int:
        """A Special Commission member upholds or rejects a proposal; the decision's pk."""
        context = self._seen(
            self._store.proposal(attribution_pk), author, f"no attribution {attribution_pk}"
        )
        return self._record(
            author,
            context,
            lambda stamp: self._store.add_decision(
                attribution_pk=attribution_pk, decision=decision, note=note, stamp=stamp
            ),
        )

    def remedy(self, decision_pk: int, author: Author, *, remedy: str) -> int:
        """The remedy the Commission determined for a decision; the remedy's pk."""
        context = self._seen(
            self._store.decision(decision_pk), author, f"no decision {decision_pk}"
        )
        return self._record(
            author,
            context,
            lambda stamp: self._store.add_remedy(
                decision_pk=decision_pk, remedy=remedy, stamp=stamp
            ),
        )

    def _record(
        self, author: Author, context: ViolationContext, add: Callable[[Stamp], int]
    ) -> int:
        """Store one step stamped with its author, the time and the incident's marking, then
        move the cases, under the writer lock; the step's pk."""
        with self._lock:
            pk = add(Stamp(author.name, self._clock.now(), context.pairs))
            self._advance_cases(self._clock)
        return pk

    def _seen(self, found: RecordRef | None, author: Author, missing: str) -> ViolationContext:
        """The violation of a record the author may see whole (the record's marking and every
        report of its incident); else ``NotFoundError``, the same for a missing record."""
        context = None
        if found is not None and sees_marking(found.marking, author.viewer):
            context = self._store.violation(found.violation_pk, author.viewer)
        if context is None:
            raise NotFoundError(missing)
        return context

    def _geography_at(self, observed_at_s: float) -> Geography:
        """The geography of the agreement version in force at ``observed_at_s``."""
        book = self._agreements()
        index = int(book.assign(np.array([observed_at_s]))[0])
        return book.versions[index].geography


def _from_observations(context: ViolationContext, geography: Geography) -> tuple[str, str, float]:
    """``(party, basis text, confidence)`` the observations support; ``InputError`` on
    ``party`` (rule ``no_proposal``) when they support none or the incident has no place."""
    from ceasefire.geo.placement import place_points  # noqa: PLC0415 - shapely, for proposals only

    lon, lat = context.lon, context.lat
    if lon is None or lat is None:
        raise InputError("party", "no_proposal", "no proposal: the incident is not located")
    uncertainty_m = context.uncertainty_m or 0.0
    placed = place_points(geography, np.array([lon]), np.array([lat]), np.array([uncertainty_m]))
    index = int(placed.party_index[0])
    proposal = propose_attribution(
        category=Category(context.category),
        directions=frozenset(FireDirection(d) for d in context.fire_directions),
        side=geography.party_ids[index] if index >= 0 else None,
        side_certain=float(placed.distance_to_line_km[0]) * 1000.0 > uncertainty_m,
        parties=geography.party_ids,
        incident_confidence=context.confidence,
    )
    if proposal is None:
        raise InputError("party", "no_proposal", "no proposal: the observations support no party")
    return proposal.party, f"{proposal.basis.value}: {proposal.explanation}", proposal.confidence
