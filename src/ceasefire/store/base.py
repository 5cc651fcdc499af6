"""The store port: what the ingest service and the CLI need from a database, in plain types.

No SQLAlchemy type appears here, so a PostgreSQL/PostGIS backend can implement the same
``Store`` protocol later without any change to the domain or the services. Rows handed to
``write_chunk`` are plain tuples in the column orders defined below.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from ceasefire.access.model import SYSTEM_PRINCIPAL

if TYPE_CHECKING:
    from ceasefire.settings import Settings


class ReportStatus(StrEnum):
    """A stored report's standing: later reports of the same source may amend or withdraw it."""

    ACTIVE = "active"
    AMENDED = "amended"
    WITHDRAWN = "withdrawn"


class IncidentStatus(StrEnum):
    """An incident's standing; only ``active`` incidents' violations count."""

    ACTIVE = "active"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"


#: What happens to a report's incident when the report is amended or withdrawn.
INCIDENT_STATUS_FOR: Mapping[ReportStatus, IncidentStatus] = {
    ReportStatus.ACTIVE: IncidentStatus.ACTIVE,
    ReportStatus.AMENDED: IncidentStatus.SUPERSEDED,
    ReportStatus.WITHDRAWN: IncidentStatus.WITHDRAWN,
}


#: Column order of a report row passed to ``Store.write_chunk`` (``pk`` is assigned by the store).
REPORT_ROW_FIELDS: tuple[str, ...] = (
    "id",
    "source",
    "source_type",
    "reliability",
    "credibility",
    "lat",
    "lon",
    "uncertainty_m",
    "observer_lat",
    "observer_lon",
    "bearing_deg",
    "bearing_error_deg",
    "distance_min_m",
    "distance_max_m",
    "place",
    "category",
    "weapon_class",
    "count",
    "fire_direction",
    "heading_deg",
    "attributed_to",
    "description",
    "amends",
    "withdrawn",
    "classification",
    "releasable_to",
    "attachments",
    "observed_at",
    "observed_until",
    "raw",
    "content_hash",
    "located_lon",
    "located_lat",
    "located_uncertainty_m",
    "location_form",
    "party",
    "distance_to_line_km",
    "zones_inside",
    "zones_possibly_inside",
    "agreement_version_pk",
)

#: Column order of a quarantine row (``received_at`` and the run are added by the store).
QUARANTINE_ROW_FIELDS: tuple[str, ...] = (
    "reason_hash",
    "raw",
    "source_file",
    "line_no",
    "field",
    "rule",
    "message",
)


@dataclass(frozen=True, slots=True)
class AgreementVersionRecord:
    """One loaded version of an agreement: its YAML verbatim and the GeoJSON files it names.

    ``geojson`` maps each path as written in the YAML (relative to the YAML's folder) to the
    file's text, so the agreement can be rebuilt from the database alone. ``zone_ids`` fixes
    the bit of each zone in the reports' zone masks (bit ``i`` = ``zone_ids[i]``).
    """

    agreement_id: str
    version: int
    name: str
    in_force_from: datetime | None
    source_text: str
    geojson: Mapping[str, str]
    source_path: str
    zone_ids: tuple[str, ...]
    pk: int | None = None
    loaded_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Submitter:
    """Who sends a batch of reports: the key scope and the account (docs/spec: ownership).

    ``principal`` (the account's nation, else its organisation; ``SYSTEM_PRINCIPAL`` for the
    HQ itself) scopes report keys: a report is unique on ``(principal, source, id)``.
    ``user_pk`` is the submitting account (``None``: the HQ itself, ``ceasefire ingest``
    without ``--as``). ``delegate``: the principal has delegated this account to amend and
    withdraw any report of its scope, not only the account's own.
    """

    principal: str
    user_pk: int | None = None
    delegate: bool = False


#: The HQ itself: the CLI on the HQ's own database, without ``--as``.
SYSTEM_SUBMITTER = Submitter(SYSTEM_PRINCIPAL)


@dataclass(frozen=True, slots=True)
class KnownReport:
    """What the ingest needs to know about an already stored ``(source, id)`` of one scope.

    ``submitter_pk`` is the account that sent it (``None``: the HQ itself).
    """

    pk: int
    content_hash: bytes
    status: ReportStatus
    submitter_pk: int | None = None


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A later report amends or withdraws an earlier one.

    Exactly one of ``target_pk`` (a report already stored) and ``target_local`` (an index into
    the same chunk's report rows, written just before) is set.
    """

    new_status: ReportStatus
    target_pk: int | None = None
    target_local: int | None = None


@dataclass(frozen=True, slots=True)
class ChunkWrite:
    """Everything one chunk adds, written by ``Store.write_chunk`` in one transaction.

    ``report_rows`` follow ``REPORT_ROW_FIELDS``: each report with its placement (located
    point, party, distance to the line, zone masks, agreement version), which the report
    views and fusion read. No incident and no violation: those are fusion's, written from the
    stored reports after the chunks (``pipeline.fuse``). Until fusion runs, a new report has
    no incident; the change log (``store.changes``) tells the fuser which reports are new.
    """

    run_pk: int
    received_at: datetime
    report_rows: Sequence[tuple[object, ...]]
    status_changes: Sequence[StatusChange] = ()
    quarantine_rows: Sequence[tuple[object, ...]] = ()
    counts: Mapping[str, int] = field(default_factory=dict)
    #: SHA-256 (hex) of each row's raw text when already computed (``chunk_ledger.raw_sha256``)
    raw_sha256: Sequence[str] | None = None
    #: who sent every report of the chunk (a column constant: one submitter per ingest)
    submitter: Submitter = SYSTEM_SUBMITTER


@dataclass(frozen=True, slots=True)
class ReportQuery:
    """Filters for ``Store.list_reports``; times are inclusive, UTC-aware."""

    since: datetime | None = None
    until: datetime | None = None
    source: str | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class StoredReport:
    """A stored report with its placement, as the analyst sees it."""

    pk: int
    id: str
    source: str
    source_type: str
    category: str
    weapon_class: str | None
    count: int
    observed_at: datetime
    amends: str | None
    withdrawn: bool
    status: ReportStatus
    located_lon: float | None
    located_lat: float | None
    located_uncertainty_m: float | None
    location_form: str | None
    party: str | None
    distance_to_line_km: float | None
    zones_inside: tuple[str, ...]
    zones_possibly_inside: tuple[str, ...]
    agreement_id: str
    agreement_version: int
    incident_pk: int | None


@dataclass(frozen=True, slots=True)
class ViolationQuery:
    """Filters for ``Store.list_violations``; only active incidents' violations by default."""

    since: datetime | None = None
    until: datetime | None = None
    zone: str | None = None
    rule: str | None = None
    include_inactive: bool = False
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class StoredViolation:
    """One rule broken by one incident, judged by one agreement version."""

    pk: int
    incident_pk: int
    rule_id: str
    article: str
    severity: int
    certainty: str
    zone_id: str | None
    observed_at: datetime
    active: bool
    agreement_id: str
    agreement_version: int
    lon: float | None
    lat: float | None
    reports: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class QuarantinedItem:
    """A bad input kept whole, as received, with the field and rule it broke."""

    pk: int
    raw: str
    source_file: str | None
    line_no: int | None
    field: str
    rule: str
    message: str
    received_at: datetime
    #: the principal that sent it (``HQ``: the HQ itself)
    submitter: str = SYSTEM_PRINCIPAL


class Store(Protocol):
    """The monitoring store; one writer at a time, every ``write_chunk`` atomic."""

    def init_schema(self) -> None:
        """Create or upgrade every table to the newest revision (idempotent)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...

    def add_agreement_version(self, record: AgreementVersionRecord) -> tuple[int, bool]:
        """Store a version; ``(pk, created)``. Same (id, version) with other text: StoreError."""
        ...

    def agreement_versions(self) -> list[AgreementVersionRecord]:
        """Every stored version, ordered by agreement id and version, with texts."""
        ...

    def start_ingest_run(self, files: Sequence[str], started_at: datetime) -> int:
        """Record the start of an ingest (committed at once, so a crash leaves a trace)."""
        ...

    def finish_ingest_run(self, run_pk: int, finished_at: datetime, *, status: str) -> None:
        """Mark a run done or failed."""
        ...

    def find_reports(
        self, principal: str, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], KnownReport]:
        """The stored reports among ``(source, id)`` keys in ``principal``'s scope (absent
        keys, and keys used only by other principals, are simply missing)."""
        ...

    def write_chunk(self, chunk: ChunkWrite) -> None:
        """Write one chunk's reports, status changes (closing the amended or withdrawn
        reports' incidents), quarantine, change-log rows and ledger entries, all or nothing.
        Incidents and violations are fusion's (``pipeline.fuse``)."""
        ...

    def list_reports(self, query: ReportQuery) -> list[StoredReport]:
        """Reports with placement, ordered by observation time then pk."""
        ...

    def list_violations(self, query: ViolationQuery) -> list[StoredViolation]:
        """Violations, ordered by observation time then pk."""
        ...

    def list_quarantine(self) -> list[QuarantinedItem]:
        """Quarantined inputs in arrival order."""
        ...

    def incidents_in_bbox(
        self, min_lon: float, min_lat: float, max_lon: float, max_lat: float
    ) -> list[int]:
        """Pks of incidents located inside the box (degrees, inclusive), via the spatial index.

        Callers who care about uncertainty pad the box by the largest radius they accept.
        """
        ...


def open_store(settings: Settings) -> Store:
    """The backend for ``settings.db``: SQLite for ``sqlite://`` URLs (the embedded default),
    PostgreSQL/PostGIS for ``postgresql+psycopg://`` ones (production; docs/store.md).

    Raises ``StoreError`` naming the URL's scheme for any other database.
    """
    from ceasefire.errors import StoreError  # noqa: PLC0415 - keep base import-light

    if settings.db.startswith("sqlite"):
        from ceasefire.store.sqlite import SQLiteStore  # noqa: PLC0415 - backend chosen at runtime

        return SQLiteStore(settings.db)
    if settings.db.startswith("postgresql+psycopg://"):
        from ceasefire.store.postgres import PostgresStore  # noqa: PLC0415

        return PostgresStore(settings.db)
    scheme = settings.db.split("://", 1)[0]
    raise StoreError(
        f"db: no store backend for {scheme!r} URLs; use sqlite:///FILE or "
        "postgresql+psycopg://HOST/DATABASE [unsupported_database]"
    )
