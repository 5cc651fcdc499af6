"""``IncidentsPort`` in SQLAlchemy Core: the analyst's incident reads and state changes,
the flash report's read and the attribution list, over one engine on either backend."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from ceasefire.access.releasability import Pairs
from ceasefire.fusion.verification import StateChange
from ceasefire.store import fusion_queries
from ceasefire.store.attribution_sql import list_attributions
from ceasefire.store.fusion_sql import record_state
from ceasefire.store.queries import fetch_incident

if TYPE_CHECKING:
    from ceasefire.monitoring.flash import FlashIncident, FlashReportLine, FlashViolation
    from ceasefire.store.fusion_queries import IncidentFilter
    from ceasefire.store.read_model_write import TearlineJudge


class SqlIncidents:
    """The incidents subject of one database (``store.ports.IncidentsPort``)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def matching(self, flt: IncidentFilter) -> list[dict[str, Any]]:
        """Incidents matching ``flt``."""
        return fusion_queries.list_incidents(self._engine, flt)

    def detail(self, pk: int) -> dict[str, Any]:
        """One incident with its reports; ``NotFoundError`` when missing."""
        return fusion_queries.incident_detail(self._engine, pk)

    def current_state(self, pk: int) -> str | None:
        """The incident's verification state."""
        return fusion_queries.current_state(self._engine, pk)

    def marking(self, pk: int) -> Pairs:
        """The pairs of every report of the incident."""
        return fusion_queries.incident_marking(self._engine, pk)

    def verdicts(self, pks: Sequence[int]) -> dict[int, list[tuple[str, Pairs]]]:
        """Verdicts per incident with the pairs they rest on."""
        return fusion_queries.incident_verdicts(self._engine, pks)

    def record_state(
        self,
        incident_pk: int,
        change: StateChange,
        at_iso: str,
        *,
        marking: Pairs,
        tearline: bool = False,
        judge: TearlineJudge | None = None,
    ) -> None:
        """Store a verification state change (chained on the ledger)."""
        record_state(
            self._engine,
            incident_pk,
            change,
            at_iso,
            marking=marking,
            tearline=tearline,
            judge=judge,
        )

    def flash(
        self, pk: int
    ) -> tuple[FlashIncident, tuple[FlashReportLine, ...], tuple[FlashViolation, ...]]:
        """What a flash report on incident ``pk`` shows; ``NotFoundError`` when missing."""
        with self._engine.connect() as conn:
            return fetch_incident(conn, pk)

    def attributions(self) -> list[dict[str, Any]]:
        """Attribution proposals with their decisions."""
        return list_attributions(self._engine)
