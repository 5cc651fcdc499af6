"""Monitoring facts from the monitoring rows: the rules, on plain values (``ports.FactRows``).

One fact per active incident: its time, place, category, weapon class and count; the most
severe of its active violations (rule, severity) and the zones they name; from its reports the
first moment it was known (``received_at``), the side of the line and distance, the attribution
a source gave, fire direction, and the report ids. The sector is the oblast (ISO 3166-2) the
incident lies in. A fact is never known before it happened: when ``received_at`` precedes the
observation (a simulated or replayed stream ingested in bulk), the observation time is taken
as the time it became known.

The incident's later life becomes revisions of the fact, each recorded at its own time
(``guarantees.revisions``), so a replay at a past moment sees the incident as it stood then:

- verification: fusion's first automatic state (reported/corroborated) holds from the
  moment the fact is known; every later state (an analyst's verified, disputed, rejected;
  fusion's demotion) from its ``at``. A first state that is an analyst's decision carried
  over from a superseded incident holds from its ``at``, fusion's rule on distinct sources
  (two or more: ``corroborated``) before it; so does an incident with no state at all
  (ingested with fusion off).
- attribution: a Special Commission decision *upholding* a proposal on one of the
  incident's violations sets ``attributed_to`` (the party) and ``attribution_id``
  (``attribution-<pk>``, the proposal) from ``decided_at``; a later rejection withdraws it
  (the source's claim applies again). Proposals alone change nothing.
- remedy: the first remedy recorded for such a decision sets ``remedied_at``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import numpy as np

from ceasefire.fusion.verification import SYSTEM as FUSION_AUTHOR
from ceasefire.fusion.verification import automatic_state
from ceasefire.guarantees.facts import MonitoringFact, VerificationState
from ceasefire.guarantees.ports import DecisionRow, FactRows
from ceasefire.guarantees.revisions import FactChange, revisions_of
from ceasefire.monitoring.oblasts import Oblasts
from ceasefire.reports.model import Category, FireDirection, WeaponClass


def build_facts(
    rows: FactRows, *, until: datetime | None = None, touched_since: datetime | None = None
) -> list[MonitoringFact]:
    """Revisions of the facts of ``rows``' incidents recorded by ``until`` (all when None),
    in recording order; with ``touched_since``, only the facts with a revision recorded from
    then on (with all their revisions, as an incremental replay needs them)."""
    incidents = rows.incidents
    lon = np.array([np.nan if x.lon is None else x.lon for x in incidents], dtype=np.float64)
    lat = np.array([np.nan if x.lat is None else x.lat for x in incidents], dtype=np.float64)
    oblasts = Oblasts.default()
    sector = oblasts.assign(lon, lat)
    claims = {pk: first.attributed_to for pk, first in rows.firsts.items()}
    attribution = attribution_changes(rows.decisions, rows.remedies, claims)
    facts = []
    for k, row in enumerate(incidents):
        observed = datetime.fromtimestamp(row.observed_at_s, UTC)
        # Never known before it happened: a simulated or replayed stream ingested in bulk
        # counts as received when observed.
        recorded = max(row.first_received, observed)
        if until is not None and recorded > until:
            continue
        first = rows.firsts.get(row.pk)
        violation = rows.worst.get(row.pk)
        base_state, changes = verification_changes(rows.states.get(row.pk, []), row.sources)
        base = MonitoringFact(
            id=f"I-{row.pk}",
            observed_at=observed,
            recorded_at=recorded,
            category=Category(row.category),
            count=int(row.count),
            weapon_class=WeaponClass(row.weapon_class) if row.weapon_class else None,
            fire_direction=(
                FireDirection(first.fire_direction) if first and first.fire_direction else None
            ),
            rule_id=violation[0] if violation is not None else None,
            severity=violation[1] if violation is not None else 0,
            zone_ids=frozenset(rows.zones.get(row.pk, ())),
            side_party=first.party if first else None,
            distance_to_line_km=first.distance_to_line_km if first else None,
            sector=oblasts.iso[sector[k]] if sector[k] >= 0 else None,
            lon=row.lon,
            lat=row.lat,
            verification=base_state,
            attributed_to=first.attributed_to if first else None,
            report_ids=tuple(rows.report_ids.get(row.pk, ())),
            first_hand=bool(row.first_hand),
        )
        revisions = revisions_of(base, [*changes, *attribution.get(row.pk, ())])
        if touched_since is not None and revisions[-1].recorded_at < touched_since:
            continue
        facts += [f for f in revisions if until is None or f.recorded_at <= until]
    facts.sort(key=lambda f: (f.recorded_at, f.id, f.revision))
    return facts


def verification_changes(
    history: list[tuple[str, str, datetime]], sources: int
) -> tuple[VerificationState, list[FactChange]]:
    """The state the fact starts with, and the later states as changes at their times.

    Fusion's own first state holds from the start (it was assigned when the incident was
    formed); an analyst's state (carried over from a superseded incident, or any later one)
    holds from when it was recorded.
    """
    if history and history[0][1] == FUSION_AUTHOR:
        start, later = VerificationState(history[0][0]), history[1:]
    else:
        start, later = initial_verification(sources), history
    return start, [FactChange(at, verification=VerificationState(state)) for state, _, at in later]


def initial_verification(sources: int) -> VerificationState:
    """Fusion's automatic rule for an incident with no state yet, the one corroboration rule
    (``fusion.verification.automatic_state``), in the guarantees' vocabulary."""
    return VerificationState(automatic_state(sources).value)


def attribution_changes(
    decisions: list[DecisionRow],
    remedies: list[tuple[int, datetime]],
    claims: dict[int, str | None],
) -> dict[int, list[FactChange]]:
    """Incident pk → the changes the Special Commission's decisions and remedies make.

    ``decisions`` in decision order; ``claims``: the attribution a source gave, per incident,
    which applies while no proposal is upheld.
    """
    upheld: dict[int, dict[int, str]] = defaultdict(dict)
    out: dict[int, list[FactChange]] = defaultdict(list)
    for d in decisions:
        mine = upheld[d.incident_pk]
        mine.pop(d.proposal_pk, None)
        if d.decision == "upheld":
            mine[d.proposal_pk] = d.party  # the latest upheld decision names the party
        current: tuple[str | None, str | None] = (claims.get(d.incident_pk), None)
        if mine:
            last = next(reversed(mine))
            current = (mine[last], f"attribution-{last}")
        out[d.incident_pk].append(FactChange(d.decided_at, attribution=current))
    for incident_pk, at in remedies:
        out[incident_pk].append(FactChange(at, remedied_at=at))
    return out
