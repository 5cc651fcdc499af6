"""Incremental evaluation records exactly what full replays record, ingest after ingest.

The reference is what live evaluation did before: after each ingest, replay the whole
history and record the alerts not yet on record (ids are deterministic, the first record of
an id stays). The incremental way replays only the window the new revisions can affect,
seeded with the alerts on record. Ingests are random: facts in several sectors over six
weeks, late reports, later revisions (verified, remedied), surges, persistence, combinators.
Revisions arrive in recording order, as live (see test_guarantees_refresh.py for why).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from itertools import pairwise

from guarantee_builders import CEASEFIRE, instruments, make_fact
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ceasefire.guarantees.alerts import Alert
from ceasefire.guarantees.evaluate import replay
from ceasefire.guarantees.facts import MonitoringFact, VerificationState
from ceasefire.guarantees.incremental import replay_window, window_start
from ceasefire.guarantees.model import InstrumentSet
from ceasefire.reports.model import Category

RULES = instruments(
    """
    triggers:
      - {id: breach, kind: breach, min_severity: 3}
      - {id: persists, kind: persistent_breach, hours: 24, min_severity: 3}
      - {id: surge, kind: surge, k: 2, baseline_days: 5, level: amber}
      - {id: both, kind: all, of: [persists, surge], window_h: 48}
      - {id: either, kind: any, of: [breach, surge]}
    obligations:
      - {id: consult, trigger: breach, owner: GBR, kind: consult, level: 0, due_h: 24, text: C}
""",
    ceasefire=CEASEFIRE + timedelta(days=3),
)
#: Without a rate trigger the window is bounded by persistence alone.
NO_RATES = instruments(
    """
    triggers:
      - {id: breach, kind: breach, min_severity: 3}
      - {id: persists, kind: persistent_breach, hours: 72, min_severity: 3}
      - {id: again, kind: all, of: [breach, persists], window_h: 40}
""",
    ceasefire=CEASEFIRE + timedelta(days=3),
)
START = CEASEFIRE - timedelta(days=10)
SPAN_H = 24 * 40


@st.composite
def histories(draw: st.DrawFn) -> list[list[MonitoringFact]]:
    """Ingests: consecutive runs of revisions in recording order (some observed long before
    they are recorded: late reports count towards old days)."""
    n = draw(st.integers(min_value=1, max_value=60))
    revisions: list[MonitoringFact] = []
    for k in range(n):
        observed_h = draw(st.integers(min_value=0, max_value=SPAN_H))
        late_h = draw(st.sampled_from([0, 0, 0, 1, 30, 200]))
        observed = START + timedelta(hours=observed_h)
        severity = draw(st.sampled_from([0, 0, 3]))
        first = make_fact(
            id=f"F-{k}",
            observed_at=observed,
            recorded_at=observed + timedelta(hours=late_h),
            sector=draw(st.sampled_from(["UA-14", "UA-09"])),
            severity=severity,
            rule_id="R1" if severity else None,
            count=draw(st.integers(min_value=1, max_value=6)),
            category=Category.EXPLOSION,
            verification=VerificationState.CORROBORATED,
        )
        revisions.append(first)
        later = first
        for rev, (change, after_h) in enumerate(
            draw(
                st.lists(
                    st.tuples(st.sampled_from(["verified", "remedied"]), st.integers(1, 60)),
                    max_size=2,
                )
            ),
            start=1,
        ):
            at = later.recorded_at + timedelta(hours=after_h)
            if change == "verified":
                later = replace(later, verification=VerificationState.VERIFIED)
            else:
                later = replace(later, remedied_at=at)
            later = replace(later, recorded_at=at, revision=rev)
            revisions.append(later)
    arrival = sorted(revisions, key=lambda f: (f.recorded_at, f.id, f.revision))
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(arrival) - 1)), max_size=8)))
    bounds = [0, *cuts, len(arrival)]
    return [arrival[a:b] for a, b in pairwise(bounds)]


def record(stored: dict[str, Alert], alerts: list[Alert]) -> None:
    for alert in alerts:
        stored.setdefault(alert.id, alert)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    histories(),
    st.lists(st.integers(0, 30), min_size=10, max_size=10),
    st.sampled_from([RULES, NO_RATES, NO_RATES]),
)
def test_window_replays_record_what_full_replays_record(
    ingests: list[list[MonitoringFact]], pauses_h: list[int], rules: InstrumentSet
) -> None:
    full: dict[str, Alert] = {}
    incremental: dict[str, Alert] = {}
    known: list[MonitoringFact] = []
    horizon = None
    for step, batch in enumerate(ingests):
        if not batch:
            continue
        known += batch
        # The clock runs on after the batch, but not past the next batch's first recording.
        at = max(f.recorded_at for f in known) + timedelta(hours=pauses_h[step % 10])
        if step + 1 < len(ingests) and ingests[step + 1]:
            at = min(at, ingests[step + 1][0].recorded_at)
        since = min(f.recorded_at for f in known)
        record(full, replay(rules, known, at=at))

        emit_from = min(f.recorded_at for f in batch)
        if horizon is not None:
            emit_from = min(emit_from, horizon)
        fresh = [f for f in known if f.recorded_at >= emit_from]
        firsts = [min(f.observed_at, f.recorded_at) for f in fresh if f.revision == 0]
        observed_from = min(firsts, default=emit_from)
        start = window_start(rules, emit_from=emit_from, observed_from=observed_from)
        touched = {f.id for f in known if f.recorded_at >= start}
        earlier = [a for a in incremental.values() if a.fired_at < emit_from]
        record(
            incremental,
            replay_window(
                rules,
                [f for f in known if f.id in touched],
                at=at,
                emit_from=emit_from,
                monitoring_since=since,
                earlier=earlier,
            ),
        )
        horizon = at
        assert incremental == full, step


def test_a_persistence_deadline_beyond_the_last_run_is_kept_in_the_window() -> None:
    """A breach verified on day D, a run 50 h later, a run 80 h later: the 72 h deadline
    falls between them, so the last window must reach back to the breach itself."""
    breach_at = CEASEFIRE + timedelta(days=5, hours=1)
    breach = make_fact(id="B", observed_at=breach_at, verification=VerificationState.VERIFIED)
    quiet = [
        make_fact(id=f"Q-{h}", observed_at=breach_at + timedelta(hours=h), severity=0)
        for h in (50, 80)
    ]
    ingests = [[breach], [quiet[0]], [quiet[1]]]
    full: dict[str, Alert] = {}
    incremental: dict[str, Alert] = {}
    known: list[MonitoringFact] = []
    horizon = None
    for batch in ingests:
        known += batch
        at = batch[-1].recorded_at
        record(full, replay(NO_RATES, known, at=at))
        emit_from = min(batch[0].recorded_at, horizon or batch[0].recorded_at)
        start = window_start(NO_RATES, emit_from=emit_from, observed_from=batch[0].observed_at)
        window = [f for f in known if f.recorded_at >= start]
        earlier = [a for a in incremental.values() if a.fired_at < emit_from]
        record(
            incremental,
            replay_window(
                NO_RATES,
                window,
                at=at,
                emit_from=emit_from,
                monitoring_since=breach_at,
                earlier=earlier,
            ),
        )
        horizon = at
    assert incremental == full
    fired = {a.trigger_id: a.fired_at for a in incremental.values()}
    assert fired["persists"] == breach_at + timedelta(hours=72)
