"""Analyst decisions across re-fusion: what a new incident's first state is.

Re-fusion supersedes an incident whose report set changed and creates the incident the
reports now form. An analyst's decision (``verified``, ``disputed``, ``rejected``) on the old
incident was about the event its reports saw, so it follows those reports: the new incident
holding any of them inherits it. What the analyst saw matters (docs/fusion.md, Verdicts and
markings): when the new incident holds kinds of report the analyst never saw, the decision
cannot be the incident's own state; fusion's automatic state is, and the decision follows as
a verdict on the tearline the analyst saw (shown only to readers of that marking).

Pure functions of plain values: the store reads the histories and writes the rows
(``store.fusion_sql``); the rule is here, one place for every writer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ceasefire.access.releasability import Pairs
from ceasefire.fusion.verification import ANALYST, SYSTEM, VerificationState, automatic_state


@dataclass(frozen=True, slots=True)
class Decision:
    """An analyst's standing decision on a superseded incident, and what they saw of it."""

    state: VerificationState
    author: str
    incident_pk: int
    marking: Pairs


@dataclass(frozen=True, slots=True)
class FirstState:
    """One row of a new incident's first states (``previous`` is None for its first own one;
    ``tearline``: a verdict on ``marking``'s tearline, never the incident's state)."""

    state: VerificationState
    author: str
    note: str | None
    previous: VerificationState | None
    marking: Pairs
    tearline: bool


def standing_decision(
    incident_pk: int, history: Sequence[tuple[str, str, Pairs]]
) -> Decision | None:
    """The decision an incident's own history ends on, if an analyst made it.

    ``history``: the incident's own states (no tearline verdicts) as ``(state, author,
    marking)`` in recording order. A later automatic state (fusion demoting or promoting)
    means no analyst decision stands.

    >>> seen = (("UNCLASSIFIED", ""),)
    >>> standing_decision(7, [("reported", "fusion", seen), ("verified", "ana", seen)])
    Decision(state=<VerificationState.VERIFIED: 'verified'>, author='ana', incident_pk=7, \
marking=(('UNCLASSIFIED', ''),))
    >>> standing_decision(7, [("verified", "ana", seen), ("corroborated", "fusion", seen)])
    """
    if not history:
        return None
    state, author, marking = history[-1]
    if state not in {s.value for s in ANALYST}:
        return None
    return Decision(VerificationState(state), author, incident_pk, marking)


def first_states(
    independent_sources: int, signature: Pairs, inherited: Iterable[Decision]
) -> list[FirstState]:
    """A new incident's first state rows.

    ``independent_sources``: its witnesses (fusion's automatic state); ``signature``: the
    marking of all its reports; ``inherited``: the standing decisions of the superseded
    incidents that held any of its reports. Without one, fusion's automatic state. With
    several (re-fusion merged incidents decided differently), the first by (state, author,
    old incident pk as text): the order the store has always applied. The decision is the
    incident's own state when its author saw every kind of report the incident holds (same
    marking); otherwise the automatic state is, and the decision follows as a verdict on the
    author's tearline.

    >>> seen = (("UNCLASSIFIED", ""),)
    >>> [s.state.value for s in first_states(2, seen, [])]
    ['corroborated']
    >>> kept = first_states(1, seen, [Decision(VerificationState.VERIFIED, "ana", 7, seen)])
    >>> [(s.state.value, s.author, s.tearline, s.note) for s in kept]
    [('verified', 'ana', False, 'carried over from incident 7')]
    >>> wider = (("SECRET", "FRA"), ("UNCLASSIFIED", ""))
    >>> torn = first_states(1, wider, [Decision(VerificationState.VERIFIED, "ana", 7, seen)])
    >>> [(s.state.value, s.tearline, s.marking) for s in torn]
    [('reported', False, (('SECRET', 'FRA'), ('UNCLASSIFIED', ''))), \
('verified', True, (('UNCLASSIFIED', ''),))]
    """
    automatic = FirstState(
        automatic_state(independent_sources), SYSTEM, None, None, signature, tearline=False
    )
    candidates = sorted(set(inherited), key=lambda d: (d.state.value, d.author, str(d.incident_pk)))
    if not candidates:
        return [automatic]
    chosen = candidates[0]
    note = f"carried over from incident {chosen.incident_pk}"
    if chosen.marking == signature:
        return [FirstState(chosen.state, chosen.author, note, None, signature, tearline=False)]
    verdict = FirstState(
        chosen.state, chosen.author, note, automatic.state, chosen.marking, tearline=True
    )
    return [automatic, verdict]
