"""``SqlGuarantees``: the ``GuaranteesStore`` port on one database, either backend.

Each method reads or writes rows through the store's guarantees modules; the services that
decide (``guarantees.refresh``) take this object. The CLI, the ingest pipeline and the API
build it from their engine: ``SqlGuarantees(engine)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import Engine

from ceasefire.clock import Clock
from ceasefire.guarantees.alerts import Alert
from ceasefire.guarantees.commission import AttributionStep, Case, CaseEvent
from ceasefire.guarantees.model import InstrumentSet
from ceasefire.guarantees.obligations import Obligation, ObligationEvent
from ceasefire.guarantees.ports import (
    Evaluation,
    EvaluationMarks,
    FactRows,
    LiveCheckpoint,
    RecordSummary,
    StoredGuarantees,
)
from ceasefire.guarantees.ratification import RecordedRatification
from ceasefire.store import guarantee_cases, guarantee_checkpoints, guarantee_facts, guarantees
from ceasefire.store.queries import engine_of


class SqlGuarantees:
    """The guarantees record and the monitoring rows, on ``engine``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @classmethod
    def of(cls, store: object) -> SqlGuarantees:
        """The guarantees record of an open ``Store`` (the CLI holds no engine)."""
        return cls(engine_of(store))

    @property
    def engine(self) -> Engine:
        """The database (for the CLI's row reads that need no decision)."""
        return self._engine

    def require_tables(self) -> None:
        guarantees.require_tables(self._engine)

    def latest_file(self) -> StoredGuarantees | None:
        return guarantees.latest_file(self._engine)

    def read_ratifications(self) -> list[RecordedRatification]:
        return guarantees.read_ratifications(self._engine)

    def touched_incidents(self, since: datetime) -> set[int]:
        return guarantee_facts.touched_incidents(self._engine, since)

    def fact_rows(self, pks: Sequence[int] | None) -> FactRows:
        return guarantee_facts.fact_rows(self._engine, pks)

    def evaluation_marks(self) -> EvaluationMarks:
        return guarantee_facts.evaluation_marks(self._engine)

    def last_evaluation(self) -> Evaluation | None:
        return guarantee_facts.last_evaluation(self._engine)

    def add_evaluation(self, evaluation: Evaluation) -> None:
        guarantee_facts.add_evaluation(self._engine, evaluation)

    def successors_cover(self, last: Evaluation, superseded_now: int) -> bool:
        return guarantee_facts.covered_by_successors(self._engine, last, superseded_now)

    def changed_since(self, last: Evaluation) -> list[datetime]:
        return guarantee_facts.changed_since(self._engine, last)

    def first_receipts_since(self, since: datetime) -> list[tuple[datetime, datetime]]:
        return guarantee_facts.first_receipts_since(self._engine, since)

    def touched_after(self, marks: EvaluationMarks) -> set[int]:
        return guarantee_checkpoints.touched_after(self._engine, marks)

    def inactive_among(self, pks: Sequence[int]) -> set[int]:
        return guarantee_checkpoints.inactive_among(self._engine, pks)

    def latest_checkpoint(self) -> LiveCheckpoint | None:
        return guarantee_checkpoints.latest_checkpoint(self._engine)

    def checkpoint_token(self) -> str | None:
        return guarantee_checkpoints.checkpoint_token(self._engine)

    def save_checkpoint(self, checkpoint: LiveCheckpoint) -> None:
        guarantee_checkpoints.save_checkpoint(self._engine, checkpoint)

    def save_file(
        self, text: str, source_path: str, instruments: InstrumentSet, *, clock: Clock
    ) -> None:
        guarantees.save_instrument_file(self._engine, text, source_path, instruments, clock=clock)

    def record_ratification(self, record: RecordedRatification, *, clock: Clock) -> None:
        guarantees.record_ratification(self._engine, record, clock=clock)

    def read_alert(self, alert_id: str) -> Alert:
        return guarantees.read_alert(self._engine, alert_id)

    def read_alerts(self, *, until: datetime | None = None) -> list[Alert]:
        return guarantees.read_alerts(self._engine, until=until)

    def alert_ids(self) -> set[str]:
        return guarantees.alert_ids(self._engine)

    def add_alerts(
        self,
        alerts: Sequence[Alert],
        obligations: Sequence[Obligation],
        cases: Sequence[tuple[Case, CaseEvent]],
        *,
        clock: Clock,
    ) -> RecordSummary:
        return guarantees.add_alerts(self._engine, alerts, obligations, cases, clock=clock)

    def read_obligations(self) -> list[tuple[Obligation, list[ObligationEvent]]]:
        return guarantees.read_obligations(self._engine)

    def append_obligation_events(self, events: Sequence[ObligationEvent], *, clock: Clock) -> None:
        guarantees.append_obligation_events(self._engine, events, clock=clock)

    def attribution_steps(self) -> Mapping[str, list[AttributionStep]]:
        return guarantee_cases.attribution_steps(self._engine)

    def read_cases(self) -> list[tuple[Case, list[CaseEvent]]]:
        return guarantee_cases.read_cases(self._engine)

    def append_case_events(self, events: Sequence[CaseEvent], *, clock: Clock) -> None:
        guarantee_cases.append_case_events(self._engine, events, clock=clock)
