"""The store's ports per subject, as the edges (API, CLI, interop, reporting) use them.

Issue 14, point 1: the edges hold these ports (bundled in ``store.stores.Stores``), never an
engine or a connection. Each protocol has one SQLAlchemy Core implementation that runs on
both backends (``store/access_port.py``, ``read_port.py``, ``incidents_port.py``,
``coalition_port.py``); the subjects that already had a port keep it: the ingest's
``store.base.Store``, ``guarantees.ports.GuaranteesStore``, ``coalition.service``'s
``CoalitionStore``, ``assessment.attribution_service``'s store and ``ledger.ports``.

Their row types are the store's read shapes (``PageQuery``, ``StoredPage``, ``ShownRow``…),
which is why these protocols live beside them and not in a domain package. A
``ReportFilter`` is the releasability condition on reports, built by
``ReadModelPort.visible_filter``; the edges pass it back unopened.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from sqlalchemy import ColumnElement

from ceasefire.access.model import User, Viewer
from ceasefire.access.releasability import Pairs
from ceasefire.coalition.model import Pledge, Registry, Requirement
from ceasefire.fusion.verification import StateChange
from ceasefire.reports.model import Classification
from ceasefire.store.base import Submitter

if TYPE_CHECKING:
    from ceasefire.access.model import Role
    from ceasefire.guarantees.alerts import Alert
    from ceasefire.monitoring.flash import FlashIncident, FlashReportLine, FlashViolation
    from ceasefire.store.coverage_sql import FloatColumns
    from ceasefire.store.fusion_queries import IncidentFilter
    from ceasefire.store.hq_queries import PageQuery
    from ceasefire.store.read_model_read import StoredPage
    from ceasefire.store.read_model_write import TearlineJudge
    from ceasefire.store.shown_sql import Judgment, ShownRow

#: The releasability condition on reports of one viewer (opaque to the edges).
ReportFilter: TypeAlias = ColumnElement[bool]


class AccessPort(Protocol):
    """Accounts, credentials (tokens, sessions), login throttling, release groups, and who
    sends reports for whom (``store/access_sql.py``, ``store/ownership.py``)."""

    def release_groups(self) -> dict[str, frozenset[str]]:
        """Stored release groups (the shipped table stored on first use)."""
        ...

    def labels(self) -> list[str]:
        """Releasability labels stored on reports."""
        ...

    def add_user(
        self,
        *,
        name: str,
        nation: str | None,
        organisation: str | None,
        clearance: Classification,
        roles: Iterable[Role],
        password_hash: str | None,
        now: datetime,
    ) -> User:
        """Store a user; ``InputError`` on a taken name."""
        ...

    def users(self) -> list[User]:
        """Every user (never their secrets)."""
        ...

    def user_by_name(self, name: str) -> tuple[User, str | None] | None:
        """A user and their password hash, or None."""
        ...

    def add_credential(
        self,
        *,
        user_pk: int,
        digest: str,
        kind: str,
        now: datetime,
        csrf: str | None = None,
        expires_s: float | None = None,
    ) -> None:
        """Store a token's or session's digest (never the secret)."""
        ...

    def user_for_credential(
        self, digest: str, *, now_s: float
    ) -> tuple[User, str, str | None] | None:
        """The user of an unexpired credential, its kind and CSRF token, or None."""
        ...

    def delete_credential(self, digest: str) -> None:
        """Forget a credential (logout)."""
        ...

    def reserve_login_attempt(
        self, keys: Sequence[tuple[str, int]], *, now_s: float, max_wait_s: float
    ) -> tuple[str, float] | None:
        """Count a login attempt on every key, or the key and seconds to wait."""
        ...

    def forgive_login_attempt(self, *, clear: str, give_back: Sequence[str]) -> None:
        """After a good login: clear one key's failures, give back others' attempt."""
        ...

    def submitter_of(self, user: User) -> Submitter:
        """Who ``user`` sends reports as (their account and principal)."""
        ...

    def submitter_named(self, name: str | None) -> Submitter:
        """The submitter of account ``name`` (the HQ system for None)."""
        ...

    def set_delegation(self, *, principal: str, name: str, granted: bool, now: datetime) -> bool:
        """Grant or revoke a nation's delegation to an account; whether anything changed."""
        ...


class ReadModelPort(Protocol):
    """The HQ's reads with releasability: items, members, counts, violations, coverage."""

    def visible_filter(self, viewer: Viewer | None, labels: Iterable[str]) -> ReportFilter:
        """The condition on reports ``viewer`` may see, given the stored ``labels``."""
        ...

    def new_signatures(self, known: Collection[int]) -> dict[int, Pairs]:
        """Release signatures stored beyond ``known`` (pk → pairs)."""
        ...

    def agreement_version_pks(self) -> tuple[int, ...]:
        """The stored agreement versions' pks, in order (cheap: no geography read)."""
        ...

    def item_page(
        self,
        query: PageQuery,
        *,
        whole_signatures: Sequence[int],
        partial_masks: Mapping[int, int],
        known_count: int | None,
    ) -> StoredPage:
        """A page of the read model's incidents for one reader's masks."""
        ...

    def whole_shown(
        self,
        signatures: Sequence[int],
        start_s: float,
        end_s: float,
        *,
        detail: bool = True,
        first_reports: bool = False,
    ) -> tuple[list[ShownRow], list[Judgment]]:
        """Incidents of wholly visible signatures in a window, and their judgments."""
        ...

    def whole_daily_counts(
        self, signatures: Sequence[int], since_s: float, until_s: float
    ) -> dict[str, tuple[int, int]]:
        """Incidents and violations per day of wholly visible signatures."""
        ...

    def whole_violations_by_hour(
        self, signatures: Sequence[int], start_s: float, end_s: float
    ) -> list[tuple[float, int, int]]:
        """Violations per hour of wholly visible signatures."""
        ...

    def visible_members(
        self, visible: ReportFilter, incident_pks: Sequence[int]
    ) -> list[dict[str, Any]]:
        """The visible member reports of incidents."""
        ...

    def report_page(self, visible: ReportFilter, query: PageQuery) -> list[dict[str, Any]]:
        """A page of visible reports."""
        ...

    def daily_report_counts(
        self, visible: ReportFilter, since_s: float, until_s: float
    ) -> dict[str, int]:
        """Visible reports per day."""
        ...

    def zone_bits(self) -> dict[int, dict[int, str]]:
        """Zone names per agreement version pk and bit."""
        ...

    def violation_page(self, visible: ReportFilter, query: PageQuery) -> list[dict[str, Any]]:
        """Active violations of wholly visible incidents, by (observed_at, pk)."""
        ...

    def violation_observed_at(self, pk: int) -> float:
        """The stored time of violation ``pk`` (the list's cursor is on it)."""
        ...

    def violation_visible(self, visible: ReportFilter, pk: int) -> bool:
        """Whether the violation list shows violation ``pk`` under ``visible``."""
        ...

    def coverage_rows(
        self,
        start_s: float,
        end_s: float,
        *,
        visible_reports: ReportFilter | None = None,
        with_incidents: bool = True,
    ) -> dict[str, FloatColumns]:
        """Observation coverage columns per source in a window."""
        ...

    def add_coverage(self, objects: Iterable[Mapping[str, object]], declared_at: str) -> int:
        """Declare observers' windows; how many were stored."""
        ...

    def complete_tearlines(self, judge: TearlineJudge) -> int:
        """Judge the read model's tearlines left unjudged (after an upgrade rebuilt it)."""
        ...

    def busiest_day(self, *, since: datetime | None = None) -> date | None:
        """The day with most reports (mission time zone), from ``since``."""
        ...


class StreamPort(Protocol):
    """The live stream's and the CoT feed's reads (``api/routes_stream``, ``interop``)."""

    def tops(self) -> tuple[int, int]:
        """The change log's and the ledger's last seq now (both in commit order)."""
        ...

    def changes_since(
        self, after_seq: int, *, seen: Callable[[str], bool] | None = None
    ) -> tuple[list[int], int]:
        """Incidents stated or re-stated after the change-log cursor, and the new cursor."""
        ...

    def ledger_changes(self, after_seq: int) -> tuple[list[int], list[dict[str, Any]], int]:
        """Superseded incidents and fired alerts chained after ``after_seq``, and the seq."""
        ...

    def visible_among(self, visible: ReportFilter, pks: Sequence[int]) -> list[int]:
        """Those of ``pks`` with a visible report."""
        ...

    def alerts_shown(
        self, visible: ReportFilter, alerts: Sequence[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Those alerts whose evidence is visible."""
        ...

    def alerts(self) -> list[Alert]:
        """Every stored alert."""
        ...

    def stated_violations(
        self, visible: ReportFilter, *, after_seq: int, until_seq: int
    ) -> list[dict[str, Any]]:
        """Active, wholly visible violations of the incidents fusion stated between the two
        change-log seqs, by pk (commit order: none committed out of pk order is skipped)."""
        ...

    def incident_markings(self, incident_pks: Sequence[int]) -> dict[int, Pairs]:
        """Each incident's reports' pairs."""
        ...

    def incident_places(self, incident_pks: Collection[int]) -> dict[int, tuple[float, float]]:
        """Stored positions of incidents of any status (unplaced ones left out)."""
        ...


class IncidentsPort(Protocol):
    """Incidents for analysts: lists, details, verification states, flash reports."""

    def matching(self, flt: IncidentFilter) -> list[dict[str, Any]]:
        """Incidents matching ``flt``."""
        ...

    def detail(self, pk: int) -> dict[str, Any]:
        """One incident with its reports; ``NotFoundError`` when missing."""
        ...

    def current_state(self, pk: int) -> str | None:
        """The incident's verification state."""
        ...

    def marking(self, pk: int) -> Pairs:
        """The pairs of every report of the incident."""
        ...

    def verdicts(self, pks: Sequence[int]) -> dict[int, list[tuple[str, Pairs]]]:
        """Verdicts per incident with the pairs they rest on."""
        ...

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
        ...

    def flash(
        self, pk: int
    ) -> tuple[FlashIncident, tuple[FlashReportLine, ...], tuple[FlashViolation, ...]]:
        """What a flash report on incident ``pk`` shows."""
        ...

    def attributions(self) -> list[dict[str, Any]]:
        """Attribution proposals with their decisions."""
        ...


class CoalitionReads(Protocol):
    """The coalition's stored registry, pledges and requirements, read together."""

    def registry(self) -> Registry:
        """Members and declarations."""
        ...

    def pledges(self) -> list[Pledge]:
        """Pledges with their status ladders."""
        ...

    def requirements(self) -> list[Requirement]:
        """Force requirements."""
        ...

    def all(self) -> tuple[Registry, list[Pledge], list[Requirement]]:
        """The registry, pledges and requirements, read in one connection."""
        ...
