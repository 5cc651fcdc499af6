"""The HQ's read model: each stated, active incident's list item, written ahead of reading.

Why: the HQ's commonest question, "what happened in this box in these days", is asked by
every open map, many times a minute, and each answer shows a hundred incidents. Computing an
item at read time means four correlated subqueries per incident (state, rules, severity,
reports), two tests of its reports' releasability, and, for an incident some of whose reports
the reader may not see, a tearline judged again against the agreement's geography. That cost
~11 ms of CPU per page (bench/api.py), so 50 map clients saturated two cores. Here the
writers (fusion, an analyst's verdict, an amendment) store what a reader will be shown, in
the transaction that changes it, and a page becomes one indexed read of stored JSON.

* ``release_signatures``: every distinct set of ``(classification, releasable_to)`` an
  incident's reports carry. A reader's releasability on a signature is one bit mask
  (``access.releasability.signature_mask``): 0 hidden, all bits whole, else a tearline.
* ``incident_items``: one row per active incident fusion has stated, with the item shown to a
  reader who sees all its reports, its signature, and the columns the filters read; the rows
  are kept in (grid cell, time) order, so a box + time page is one range read per cell.
* ``incident_tearlines``: the item shown through each partial mask a reader can have
  (``possible_masks``), computed when the incident is written. A mask without a row (release
  groups changed since, or the row's ``tearlines_ready`` is false after a migration) is
  computed at read time by the same code (``fusion.items``), so the rows are a cache of a
  pure function of the stored reports, never a second truth.

Nothing here is authoritative: ``store.read_model_write.refresh_read_model`` rebuilds any
incident's rows from the assessment tables, and tests compare the rows with a rebuild.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    text,
)

from ceasefire.store.metadata import metadata

release_signatures = Table(
    "release_signatures",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column(
        "pairs",
        Text,
        nullable=False,
        unique=True,
        comment='JSON [["CLASSIFICATION", "releasable_to or empty"], ...], sorted',
    ),
)

#: Cell of an incident without a position (``cells_in_box`` never yields it).
UNLOCATED_CELL = -1

incident_items = Table(
    "incident_items",
    metadata,
    # clustered by (cell, time): a box + time page reads its candidates and their items from
    # the same pages, in one statement (0.24 ms a page against 0.27 ms for a rowid table with
    # a covering index and a second statement for the items, on bench/api.py's store)
    Column("cell", Integer, primary_key=True, comment="store/grid.py cell; -1: unlocated"),
    Column("observed_at", Float, primary_key=True, comment="epoch seconds UTC"),
    Column("incident_pk", Integer, ForeignKey("incidents.pk"), primary_key=True),
    Column("lon", Float),
    Column("lat", Float),
    Column("signature_pk", Integer, ForeignKey("release_signatures.pk"), nullable=False),
    Column("category", String(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("rules", Text, nullable=False, comment="';R1;R2;', '' for none"),
    Column("tearlines_ready", Boolean, nullable=False, comment="every possible mask stored"),
    Column("item", LargeBinary, nullable=False, comment="the whole item, JSON"),
    # one row per incident; the lookups by incident (refresh, stream, panel)
    Index("ix_incident_items_incident_pk", "incident_pk", unique=True),
    # the few rows whose tearlines are not all stored (after a rebuild or a change of
    # release groups): found without scanning the table
    Index(
        "ix_incident_items_unready",
        "incident_pk",
        sqlite_where=text("NOT tearlines_ready"),
        postgresql_where=text("NOT tearlines_ready"),
    ),
    # time alone (no box, or a box of too many cells): covers the candidate search
    Index("ix_incident_items_observed_at", "observed_at", "lon", "lat", "signature_pk"),
    sqlite_with_rowid=False,
)

incident_tearlines = Table(
    "incident_tearlines",
    metadata,
    # clustered by (cell, time) like the items: a reader's tearlines are found by the place
    # and time *they* show, never the whole incident's (issue 13: a box around a hidden
    # report's fix must not find the incident for a reader who sees only an open report)
    Column("cell", Integer, primary_key=True, comment="cell of the tearline; -1: unlocated"),
    Column("observed_at", Float, primary_key=True, comment="the tearline's time, epoch s"),
    Column("incident_pk", Integer, ForeignKey("incidents.pk"), primary_key=True),
    Column("mask", Integer, primary_key=True, comment="visible bits of the signature"),
    Column("signature_pk", Integer, ForeignKey("release_signatures.pk"), nullable=False),
    Column("lon", Float),
    Column("lat", Float),
    Column("category", String(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("rules", Text, nullable=False, comment="';R1;R2;', '' for none"),
    Column("item", LargeBinary, nullable=False, comment="the tearline item, JSON"),
    # the lookups by incident and mask (refresh, stream, panel)
    Index("ix_incident_tearlines_incident_mask", "incident_pk", "mask", unique=True),
    # time alone (no box, or a box of too many cells)
    Index("ix_incident_tearlines_observed_at", "observed_at", "signature_pk", "mask"),
    sqlite_with_rowid=False,
)

#: One row: the format of the stored items. ``store.read_model_write.ensure_read_model``
#: rebuilds the rows when it differs from the code's (a new field in the items, say).
read_model_meta = Table(
    "read_model_meta",
    metadata,
    Column("format", Integer, nullable=False, comment="READ_MODEL_FORMAT the rows follow"),
)

READ_MODEL_TABLES: tuple[Table, ...] = (
    release_signatures,
    incident_items,
    incident_tearlines,
    read_model_meta,
)
