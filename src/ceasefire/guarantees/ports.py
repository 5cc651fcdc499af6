"""What the guarantees services need from a store, in plain values (no SQL, no engine).

The store reads and writes rows (``store/guarantees_sql.py`` implements ``GuaranteesStore``
on either backend); the decisions — how a monitoring fact is built from an incident and its
life, what a refresh evaluates, which obligations and cases an alert creates, how fusion's
attribution records move the cases — live in ``guarantees.fact_build`` and
``guarantees.refresh``, which the store never imports (import-linter, ``pyproject.toml``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from ceasefire.clock import Clock
from ceasefire.guarantees.alerts import Alert
from ceasefire.guarantees.commission import AttributionStep, Case, CaseEvent
from ceasefire.guarantees.model import InstrumentSet
from ceasefire.guarantees.obligations import Obligation, ObligationEvent
from ceasefire.guarantees.ratification import RecordedRatification


@dataclass(frozen=True, slots=True)
class IncidentRow:
    """An active incident as stored, with what its reports say together.

    ``first_received``: the earliest ``received_at`` of its reports; ``sources``: distinct
    sources among them; ``first_hand``: how many are not second-hand (fusion's grading).
    """

    pk: int
    observed_at_s: float
    lon: float | None
    lat: float | None
    category: str
    count: int
    weapon_class: str | None
    first_received: datetime
    sources: int
    first_hand: int


@dataclass(frozen=True, slots=True)
class FirstReport:
    """What the incident's first received report says of side, distance, claim and fire."""

    party: str | None
    distance_to_line_km: float | None
    attributed_to: str | None
    fire_direction: str | None


@dataclass(frozen=True, slots=True)
class DecisionRow:
    """A Special Commission decision on an attribution proposal about one of the incident's
    violations (``decision``: ``upheld`` or ``rejected``)."""

    incident_pk: int
    proposal_pk: int
    party: str
    decision: str
    decided_at: datetime


@dataclass(slots=True)
class FactRows:
    """The rows monitoring facts are built from, keyed by incident pk.

    ``worst``: the most severe active violation's ``(rule_id, severity)``; ``zones``: the
    zones its active violations name; ``states``: ``(state, author, at)`` in recording order
    (tearline verdicts left out); ``decisions`` in decision order; ``remedies``: when a remedy
    was recorded for an upheld decision.
    """

    incidents: list[IncidentRow] = field(default_factory=list)
    worst: dict[int, tuple[str, int]] = field(default_factory=dict)
    zones: dict[int, set[str]] = field(default_factory=dict)
    firsts: dict[int, FirstReport] = field(default_factory=dict)
    report_ids: dict[int, list[str]] = field(default_factory=dict)
    states: dict[int, list[tuple[str, str, datetime]]] = field(default_factory=dict)
    decisions: list[DecisionRow] = field(default_factory=list)
    remedies: list[tuple[int, datetime]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class EvaluationMarks:
    """What the record had seen at an evaluation: the guarantees file, ratifications, how many
    incidents were inactive, and the change log's ``seq`` read before the facts (every
    incident stated, state, decision and remedy committed later is logged after it, whatever
    its pk: several writers commit out of pk order)."""

    file_pk: int
    ratifications: int
    superseded: int
    change_seq: int


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One live evaluation: its marks, the moment it evaluated up to, the first fact's
    recording (None: no fact yet) and when it was recorded."""

    marks: EvaluationMarks
    evaluated_until: datetime
    monitoring_since: datetime | None
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class LiveCheckpoint:
    """The live evaluator's saved state (``guarantees.live``): the marks of what it had been
    told, the instant it had evaluated up to, its bytes, and when it was saved. ``token``:
    random per checkpoint, so a process holding an evaluator in memory can tell that the
    database it caches is still the one that holds its checkpoint."""

    token: str
    marks: EvaluationMarks
    evaluated_until: datetime
    state: bytes
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class StoredGuarantees:
    """The latest guarantees file as loaded, and the ceasefire date resolved at load."""

    pk: int
    source_text: str
    ceasefire_in_force_from: datetime | None


@dataclass(frozen=True, slots=True)
class RecordSummary:
    """What recording alerts added (alerts already stored are not counted)."""

    alerts: int
    obligations: int
    cases: int


class GuaranteesStore(Protocol):
    """The guarantees record and the monitoring rows it reads, on one database."""

    def require_tables(self) -> None:
        """StoreError unless the guarantees tables exist at the current revision."""
        ...

    def latest_file(self) -> StoredGuarantees | None:
        """The latest loaded guarantees file (None: none loaded)."""
        ...

    def read_ratifications(self) -> list[RecordedRatification]:
        """Every recorded ratification, in recording order."""
        ...

    def touched_incidents(self, since: datetime) -> set[int]:
        """Active incidents that may have a revision recorded from ``since`` (a superset)."""
        ...

    def fact_rows(self, pks: Sequence[int] | None) -> FactRows:
        """The rows of the active incidents among ``pks`` (all when None)."""
        ...

    def evaluation_marks(self) -> EvaluationMarks:
        """What the record has seen now."""
        ...

    def last_evaluation(self) -> Evaluation | None:
        """The latest live evaluation (None: none yet)."""
        ...

    def add_evaluation(self, evaluation: Evaluation) -> None:
        """Record a live evaluation."""
        ...

    def successors_cover(self, last: Evaluation, superseded_now: int) -> bool:
        """Whether every incident superseded since ``last`` was replaced by incidents created
        since then holding all its reports, none amended or withdrawn."""
        ...

    def changed_since(self, last: Evaluation) -> list[datetime]:
        """The earliest time at which what changed since ``last`` may count ([]: nothing)."""
        ...

    def first_receipts_since(self, since: datetime) -> list[tuple[datetime, datetime]]:
        """(observed, first received) of active incidents that may be first recorded from
        ``since`` on (a superset, a day's margin on the text times)."""
        ...

    def touched_after(self, marks: EvaluationMarks) -> set[int]:
        """Active incidents created, or given a state, decision or remedy, after ``marks``."""
        ...

    def inactive_among(self, pks: Sequence[int]) -> set[int]:
        """Those of ``pks`` whose incident is no longer active."""
        ...

    def latest_checkpoint(self) -> LiveCheckpoint | None:
        """The live evaluator's latest checkpoint (None: none)."""
        ...

    def checkpoint_token(self) -> str | None:
        """The latest checkpoint's token (None: none), without reading its state."""
        ...

    def save_checkpoint(self, checkpoint: LiveCheckpoint) -> None:
        """Keep ``checkpoint`` as the live evaluator's (older ones are dropped)."""
        ...

    def save_file(
        self, text: str, source_path: str, instruments: InstrumentSet, *, clock: Clock
    ) -> None:
        """Keep a validated guarantees file as the one in force."""
        ...

    def record_ratification(self, record: RecordedRatification, *, clock: Clock) -> None:
        """Record a party's ratification status (history, chained)."""
        ...

    def read_alert(self, alert_id: str) -> Alert:
        """One stored alert (NotFoundError when unknown)."""
        ...

    def read_alerts(self, *, until: datetime | None = None) -> list[Alert]:
        """Stored alerts fired by ``until`` (all when None), in firing order."""
        ...

    def alert_ids(self) -> set[str]:
        """Ids of every stored alert."""
        ...

    def add_alerts(
        self,
        alerts: Sequence[Alert],
        obligations: Sequence[Obligation],
        cases: Sequence[tuple[Case, CaseEvent]],
        *,
        clock: Clock,
    ) -> RecordSummary:
        """Store alerts with the obligations (opened) and cases they create, chained into the
        ledger, in one transaction; those stored meanwhile are skipped."""
        ...

    def read_obligations(self) -> list[tuple[Obligation, list[ObligationEvent]]]:
        """Every obligation with its history, by deadline."""
        ...

    def append_obligation_events(self, events: Sequence[ObligationEvent], *, clock: Clock) -> None:
        """Append obligation events, chained into the ledger."""
        ...

    def attribution_steps(self) -> Mapping[str, list[AttributionStep]]:
        """Fact id (``I-<incident pk>``) → fusion's attribution records on its violations."""
        ...

    def read_cases(self) -> list[tuple[Case, list[CaseEvent]]]:
        """Every Special Commission case with its events, by opening."""
        ...

    def append_case_events(self, events: Sequence[CaseEvent], *, clock: Clock) -> None:
        """Append case events, chained into the ledger."""
        ...
