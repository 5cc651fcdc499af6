"""Fusion's tables and queries: what fusion adds to an incident, and who decided what, when.

Observation (``reports``), assessment (``incidents``, ``incident_fusion``, ``violations``,
``incident_states``) and attribution (``attributions``, ``attribution_decisions``,
``remedies``) live in separate tables: monitors never attribute, and the Special Commission's
decisions never edit an observation. Every state change and decision is a new row (author,
time, note); nothing is updated in place except an incident's ``status`` when re-fusion
supersedes it (the old row, its reports and its history stay).

Every state, decision and remedy carries a ``marking`` (``access.marking``): the release
signature of the incident's reports its author saw, so that a note is shown only to readers
who see everything it may quote. A state with ``tearline`` true is a verdict by an analyst who
saw only part of the incident: it is shown on tearlines its marking allows and never becomes
the incident's own state (docs/fusion.md, Verdicts and markings).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    false,
)

from ceasefire.store.metadata import metadata

_TS = 40
#: '' (the default) is read as no marking: shown to no reader, only to the HQ system (CLI)
_MARKING = 'JSON [["CLASSIFICATION", "releasable_to or empty"], ...] of what the author saw'

incident_fusion = Table(
    "incident_fusion",
    metadata,
    Column("incident_pk", Integer, ForeignKey("incidents.pk"), primary_key=True),
    Column("fusion_id", Text, nullable=False, comment="source/id of the anchoring report"),
    Column("observed_until", Float, nullable=False, comment="epoch seconds UTC"),
    Column("count_low", Integer, nullable=False),
    Column("count_best", Integer, nullable=False),
    Column("count_high", Integer, nullable=False),
    Column("sources", Integer, nullable=False),
    Column("independent_sources", Integer, nullable=False),
    Column("confidence", Float, nullable=False, comment="see fusion/grading.py"),
    Column("semi_major_m", Float, comment="2-sigma error ellipse"),
    Column("semi_minor_m", Float),
    Column("orientation_deg", Float, comment="major axis, clockwise from north"),
    Column("bearing_observers", Integer, nullable=False),
    Index("ix_incident_fusion_fusion_id", "fusion_id"),
)

incident_states = Table(
    "incident_states",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("incident_pk", Integer, ForeignKey("incidents.pk"), nullable=False),
    Column("state", String(16), nullable=False),
    Column("previous", String(16)),
    Column("author", Text, nullable=False, comment="analyst name, or 'fusion'"),
    Column("at", String(_TS), nullable=False, comment="ISO 8601 UTC"),
    Column("note", Text),
    Column("marking", Text, nullable=False, server_default="", comment=_MARKING),
    Column(
        "tearline",
        Boolean,
        nullable=False,
        server_default=false(),
        comment="a verdict on the author's tearline",
    ),
    Index("ix_incident_states_incident_pk", "incident_pk"),
)

attributions = Table(
    "attributions",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("violation_pk", Integer, ForeignKey("violations.pk"), nullable=False),
    Column("party", String(64), nullable=False),
    Column("basis", Text, nullable=False, comment="e.g. fire origin on the party's side"),
    Column("confidence", Float, nullable=False),
    Column("proposed_by", Text, nullable=False),
    Column("proposed_at", String(_TS), nullable=False),
    Column("marking", Text, nullable=False, server_default="", comment=_MARKING),
    Index("ix_attributions_violation_pk", "violation_pk"),
)

attribution_decisions = Table(
    "attribution_decisions",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("attribution_pk", Integer, ForeignKey("attributions.pk"), nullable=False),
    Column("decision", String(16), nullable=False, comment="upheld | rejected"),
    Column("decided_by", Text, nullable=False, comment="a Special Commission member"),
    Column("decided_at", String(_TS), nullable=False),
    Column("note", Text),
    Column("marking", Text, nullable=False, server_default="", comment=_MARKING),
    Index("ix_attribution_decisions_attribution_pk", "attribution_pk"),
)

remedies = Table(
    "remedies",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("decision_pk", Integer, ForeignKey("attribution_decisions.pk"), nullable=False),
    Column("remedy", Text, nullable=False),
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at", String(_TS), nullable=False),
    Column("marking", Text, nullable=False, server_default="", comment=_MARKING),
    Index("ix_remedies_decision_pk", "decision_pk"),
)

coverage_declarations = Table(
    "coverage_declarations",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("source", Text, nullable=False),
    Column("source_type", String(32), nullable=False),
    Column("start_s", Float, nullable=False, comment="epoch seconds UTC"),
    Column("end_s", Float, nullable=False, comment="epoch seconds UTC"),
    Column("lon", Float, nullable=False),
    Column("lat", Float, nullable=False),
    Column("radius_m", Float, nullable=False),
    Column("fov_az_deg", Float, comment="cameras: centre of the field of view"),
    Column("fov_deg", Float, comment="cameras: width of the field of view"),
    Column("declared_at", String(_TS), nullable=False),
    Index("ix_coverage_declarations_start_s", "start_s"),
)

#: fusion's tables, in creation order (revision 0005 creates exactly these)
FUSION_TABLES: tuple[Table, ...] = (
    incident_fusion,
    incident_states,
    attributions,
    attribution_decisions,
    remedies,
    coverage_declarations,
)
