"""Monitoring tables (SQLAlchemy Core, no ORM): agreements, reports, quarantine, incidents, ...

Conventions, chosen for ingest speed and plain-SQL queryability:

* Observation times (``observed_at``, ``observed_until``) are REAL **epoch seconds UTC**: range
  filters and sorting are numeric and the ingest gets them straight from a numpy column.
  Bookkeeping times (``received_at``, ``loaded_at``, ``started_at``) are ISO 8601 UTC text.
* Every field of the observation-report spec is a column of ``reports`` under its spec name
  (``id`` is the source's own id; ``pk`` is ours). ``releasable_to`` is ``;``-joined (NULL =
  the spec default, every coalition member); ``attachments`` is JSON (NULL = none).
* Placement is stored on the report row: ``located_*`` (the resolved position, degrees, and its
  uncertainty radius, m), ``party`` (party id whose side it lies on), ``distance_to_line_km``,
  and the zones as two 63-bit masks, ``zones_inside`` and ``zones_possibly_inside``. Bit ``b``
  means the zone that ``agreement_zones`` maps to ``(agreement_version_pk, b)``. One row per
  report instead of a report × zone join table keeps the hot insert to one row; "inside zone Z"
  is ``zones_inside & (1 << bit) != 0`` (a scan, cheap on integers); violations, the usual way
  in, carry ``zone_id`` as an indexed column anyway.
* Ownership: ``submitter`` (the sending account's nation or organisation, ``HQ`` for the HQ
  itself) and ``submitter_pk`` (the account) are recorded on every report; a report's key is
  ``(submitter, source, id)``, so each principal has its own key space (docs/spec).
* Incidents have their own ids and a link table, so fusion can later merge reports into
  incidents without touching rules or violations. For now each report gets one incident.
* Spatial prefilter: an index on the incident's grid cell and time (``store/grid.py``; why not
  an R*Tree: store/sqlite.py and store/grid.py).
  PostGIS will add a geometry column with a GiST index in its own revision.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    cast,
    literal_column,
)

from ceasefire.access.model import SYSTEM_PRINCIPAL
from ceasefire.store.metadata import metadata

#: Bits usable in a zone mask (SQLite integers are signed 64-bit).
MAX_ZONES_PER_AGREEMENT = 63

agreement_versions = Table(
    "agreement_versions",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("agreement_id", String(128), nullable=False),
    Column("version", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("in_force_from", String(40), nullable=True, comment="ISO 8601 UTC; NULL: not in force"),
    Column("source_text", Text, nullable=False, comment="the YAML exactly as loaded"),
    Column("geojson", Text, nullable=False, comment='JSON {"relative/path": "file text"}'),
    Column("source_path", Text, nullable=False),
    Column("loaded_at", String(40), nullable=False),
    UniqueConstraint("agreement_id", "version"),
)

agreement_zones = Table(
    "agreement_zones",
    metadata,
    Column("agreement_version_pk", Integer, ForeignKey("agreement_versions.pk"), nullable=False),
    Column("bit", SmallInteger, nullable=False),
    Column("zone_id", String(128), nullable=False),
    PrimaryKeyConstraint("agreement_version_pk", "bit"),
)

ingest_runs = Table(
    "ingest_runs",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("started_at", String(40), nullable=False),
    Column("finished_at", String(40), nullable=True),
    Column("files", Text, nullable=False, comment="JSON list of paths as given"),
    Column("status", String(16), nullable=False, comment="running | done | failed"),
    Column("read", Integer, nullable=False, default=0),
    Column("accepted", Integer, nullable=False, default=0),
    Column("duplicates", Integer, nullable=False, default=0),
    Column("amended", Integer, nullable=False, default=0),
    Column("withdrawn", Integer, nullable=False, default=0),
    Column("quarantined", Integer, nullable=False, default=0),
)

reports = Table(
    "reports",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=False),
    # --- the spec's fields, under their spec names ---
    Column("id", String(128), nullable=False),
    Column("source", Text, nullable=False),
    Column("source_type", String(32), nullable=False),
    Column("reliability", String(1), nullable=False),
    Column("credibility", SmallInteger, nullable=False),
    Column("observed_at", Float, nullable=False, comment="epoch seconds UTC"),
    Column("observed_until", Float, nullable=True, comment="epoch seconds UTC"),
    Column("lat", Float),
    Column("lon", Float),
    Column("uncertainty_m", Float),
    Column("observer_lat", Float),
    Column("observer_lon", Float),
    Column("bearing_deg", Float),
    Column("bearing_error_deg", Float),
    Column("distance_min_m", Float),
    Column("distance_max_m", Float),
    Column("place", Text),
    Column("category", String(32), nullable=False),
    Column("weapon_class", String(32)),
    Column("count", Integer, nullable=False),
    Column("fire_direction", String(16)),
    Column("heading_deg", Float),
    Column("attributed_to", String(64)),
    Column("description", Text),
    Column("amends", String(128)),
    Column("withdrawn", Boolean, nullable=False),
    Column("classification", String(16), nullable=False),
    Column("releasable_to", Text, comment="';'-joined; NULL: every coalition member"),
    Column("attachments", Text, comment="JSON list of {sha256, media_type, name}"),
    # --- as received ---
    Column("raw", Text, nullable=False, comment="the text exactly as received"),
    Column("content_hash", LargeBinary(16), nullable=False),
    Column("received_at", String(40), nullable=False),
    Column("ingest_run_pk", Integer, ForeignKey("ingest_runs.pk"), nullable=False),
    # --- placement, against the agreement version in force at observed_at ---
    Column("located_lon", Float),
    Column("located_lat", Float),
    Column("located_uncertainty_m", Float),
    Column("location_form", String(16), comment="point | bearing | place; NULL: unlocated"),
    Column("party", String(64), comment="party whose side it lies on; NULL: neither/unknown"),
    Column("distance_to_line_km", Float),
    Column("zones_inside", BigInteger, nullable=False),
    Column("zones_possibly_inside", BigInteger, nullable=False),
    Column("agreement_version_pk", Integer, ForeignKey("agreement_versions.pk"), nullable=False),
    Column("status", String(16), nullable=False, comment="active | amended | withdrawn"),
    # --- who sent it (revision 0012): the key is unique per submitting principal ---
    Column(
        "submitter",
        String(16),
        nullable=False,
        server_default=SYSTEM_PRINCIPAL,
        comment="nation or organisation of the sending account; HQ: the HQ itself",
    ),
    Column("submitter_pk", Integer, comment="users.pk of the sending account; NULL: the HQ"),
    # (source, id) first: lookups come with both, and a scope alone would select most rows
    UniqueConstraint("source", "id", "submitter"),
    Index("ix_reports_observed_at", "observed_at"),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("reason_hash", LargeBinary(16), nullable=False, comment="hash of raw + field + rule"),
    Column("raw", Text, nullable=False, comment="the text exactly as received"),
    Column("source_file", Text),
    Column("line_no", Integer),
    Column("field", String(128), nullable=False),
    Column("rule", String(128), nullable=False),
    Column("message", Text, nullable=False),
    Column("received_at", String(40), nullable=False),
    Column("ingest_run_pk", Integer, ForeignKey("ingest_runs.pk"), nullable=False),
    Column(
        "submitter",
        String(16),
        nullable=False,
        server_default=SYSTEM_PRINCIPAL,
        comment="principal that sent it (revision 0012); HQ: the HQ itself",
    ),
    UniqueConstraint("reason_hash"),
)

incidents = Table(
    "incidents",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=False),
    Column("status", String(16), nullable=False, comment="active | superseded | withdrawn"),
    Column("observed_at", Float, nullable=False, comment="epoch seconds UTC"),
    Column("lon", Float),
    Column("lat", Float),
    Column("uncertainty_m", Float),
    Column("category", String(32), nullable=False),
    Column("weapon_class", String(32)),
    Column("count", Integer, nullable=False),
    Column("agreement_version_pk", Integer, ForeignKey("agreement_versions.pk"), nullable=False),
    # time first, then the box: a time query (or a box too large for the grid) reads the box
    # from the index alone
    Index("ix_incidents_observed_at_lon_lat", "observed_at", "lon", "lat"),
)

#: Grid cells per degree, each way (``store/grid.py`` computes the cells of a box from it).
INCIDENT_CELLS_PER_DEG = 4
_PER_DEG: ColumnElement[int] = literal_column(str(INCIDENT_CELLS_PER_DEG))
#: The grid cell of an incident's position (``store/grid.py`` says why and computes the cells).
#: Constants are literals, not bound parameters: SQLite uses an expression index only for the
#: very same expression text.
incident_cell = cast((incidents.c.lon + literal_column("180.0")) * _PER_DEG, Integer) * (
    literal_column("1000")
) + cast((incidents.c.lat + literal_column("90.0")) * _PER_DEG, Integer)
# the spatial prefilter: cells of the box, then the time window in each (store/grid.py)
Index("ix_incidents_cell_observed_at", incident_cell, incidents.c.observed_at)

incident_reports = Table(
    "incident_reports",
    metadata,
    Column("incident_pk", Integer, ForeignKey("incidents.pk"), nullable=False),
    Column("report_pk", Integer, ForeignKey("reports.pk"), nullable=False),
    PrimaryKeyConstraint("incident_pk", "report_pk"),
    Index("ix_incident_reports_report_pk", "report_pk"),
)

violations = Table(
    "violations",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=False),
    Column("incident_pk", Integer, ForeignKey("incidents.pk"), nullable=False),
    Column("rule_id", String(64), nullable=False),
    Column("article", Text, nullable=False),
    Column("severity", SmallInteger, nullable=False),
    Column("certainty", String(8), nullable=False, comment="certain | possible"),
    Column("zone_id", String(128), comment="NULL for rules that hold anywhere"),
    Column("agreement_version_pk", Integer, ForeignKey("agreement_versions.pk"), nullable=False),
    Column("observed_at", Float, nullable=False, comment="the incident's, epoch seconds UTC"),
    Column("active", Boolean, nullable=False, comment="false once its incident is superseded"),
    Index("ix_violations_observed_at", "observed_at"),
    Index("ix_violations_incident_pk", "incident_pk"),
)

#: The monitoring tables, in creation order (revision 0001 creates exactly these).
MONITORING_TABLES: tuple[Table, ...] = (
    agreement_versions,
    agreement_zones,
    ingest_runs,
    reports,
    quarantine,
    incidents,
    incident_reports,
    violations,
)
