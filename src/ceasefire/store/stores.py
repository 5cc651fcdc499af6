"""Every port of one database, bundled: what the HQ, the CLI and the gateways carry instead
of an engine (issue 14: no engine or connection outside the store).

``stores_for(store)`` binds the ports to an open backend's engine; ``open_stores(settings)``
opens the backend of ``settings.db`` first. Closing the bundle closes the backend.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine, inspect

from ceasefire.access.model import Viewer
from ceasefire.assessment.attribution_service import AttributionStore
from ceasefire.errors import StoreError
from ceasefire.guarantees.ports import GuaranteesStore
from ceasefire.ledger.ports import LedgerStore
from ceasefire.reporting.reads import ReportReads
from ceasefire.settings import Settings
from ceasefire.store.access_port import SqlAccess
from ceasefire.store.attribution_sql import SqlAttributions
from ceasefire.store.base import Store, open_store
from ceasefire.store.coalition import SqlCoalition
from ceasefire.store.coalition_port import SqlCoalitionReads
from ceasefire.store.guarantees_sql import SqlGuarantees
from ceasefire.store.incidents_port import SqlIncidents
from ceasefire.store.ledger import SqlLedger
from ceasefire.store.ports import (
    AccessPort,
    CoalitionReads,
    IncidentsPort,
    ReadModelPort,
    ReportFilter,
    StreamPort,
)
from ceasefire.store.queries import engine_of
from ceasefire.store.read_port import SqlReadModel, SqlStream
from ceasefire.store.report_reads import SqlReportReads


@dataclass(frozen=True)
class Stores:
    """The ports of one database, per subject (docs/store.md, "Ports per subject")."""

    #: the ingest's port (reports, chunks, agreement versions): ``store.base.Store``
    store: Store
    access: AccessPort
    read_model: ReadModelPort
    stream: StreamPort
    incidents: IncidentsPort
    coalition: SqlCoalition
    coalition_reads: CoalitionReads
    guarantees: GuaranteesStore
    ledger: LedgerStore
    _engine: Engine = field(repr=False)

    def attributions(
        self, *, visible: Callable[[Viewer], ReportFilter] | None = None
    ) -> AttributionStore:
        """The attribution workflow's port; ``visible`` is the caller's per-viewer cache of
        releasability conditions (built from the stored labels when None)."""
        return SqlAttributions(self._engine, visible=visible)

    def report_reads(self, visible: ReportFilter | None = None) -> ReportReads:
        """The daily and flash reports' reads, limited to ``visible`` (None: the system's
        whole view)."""
        return SqlReportReads(self._engine, visible)

    def has_table(self, name: str) -> bool:
        """Whether the schema has table ``name`` (a command's "run ``init`` first")."""
        return inspect(self._engine).has_table(name)

    def close(self) -> None:
        """Close the backend (its connections)."""
        self.store.close()


def stores_for(store: Store) -> Stores:
    """The ports over an open backend (``StoreError`` if it has no SQLAlchemy engine)."""
    engine = engine_of(store)
    return Stores(
        store=store,
        access=SqlAccess(engine),
        read_model=SqlReadModel(engine),
        stream=SqlStream(engine),
        incidents=SqlIncidents(engine),
        coalition=SqlCoalition(engine),
        coalition_reads=SqlCoalitionReads(engine),
        guarantees=SqlGuarantees(engine),
        ledger=SqlLedger(engine),
        _engine=engine,
    )


def open_stores(settings: Settings) -> Stores:
    """Open the backend of ``settings.db`` and bind every port to it."""
    store = open_store(settings)
    try:
        return stores_for(store)
    except StoreError:
        store.close()
        raise
