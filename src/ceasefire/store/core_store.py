"""What both backends do alike: agreements, ingest runs and the analysts' queries in Core SQL.

``SQLiteStore`` and ``PostgresStore`` add what differs: engine set-up and the chunk write (the
hot path, written in each driver's fastest way) and the report lookup by key.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, inspect, select

from ceasefire.errors import StoreError
from ceasefire.store import schema
from ceasefire.store.base import (
    AgreementVersionRecord,
    ChunkWrite,
    KnownReport,
    QuarantinedItem,
    ReportQuery,
    StoredReport,
    StoredViolation,
    ViolationQuery,
)
from ceasefire.store.dialect import is_postgresql
from ceasefire.store.grid import incidents_in_box
from ceasefire.store.isotime import iso
from ceasefire.store.migrate import upgrade_to_head
from ceasefire.store.read_model_write import ensure_read_model
from ceasefire.store.sqlite_queries import list_reports, list_violations


class CoreStore(ABC):
    """The dialect-neutral part of the ``Store`` protocol, on one SQLAlchemy engine."""

    @abstractmethod
    def find_reports(
        self, principal: str, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], KnownReport]:
        """``Store.find_reports``, in the backend's fastest form."""

    @abstractmethod
    def write_chunk(self, chunk: ChunkWrite) -> None:
        """``Store.write_chunk``: the hot path, in the backend's bulk form."""

    def __init__(self, url: str, engine: Engine) -> None:
        self._url = url
        self._engine = engine
        self._schema_seen = False

    # -- lifecycle -----------------------------------------------------------------------
    def init_schema(self) -> None:
        upgrade_to_head(self._engine)
        ensure_read_model(self._engine)

    def close(self) -> None:
        self._engine.dispose()

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, for the store modules' queries."""
        return self._engine

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    def _require_schema(self) -> None:
        if self._schema_seen:
            return
        if not inspect(self._engine).has_table("reports"):
            raise StoreError(f"database {self._url} is not initialised: run `ceasefire init`")
        self._schema_seen = True

    # -- agreements ----------------------------------------------------------------------
    def add_agreement_version(self, record: AgreementVersionRecord) -> tuple[int, bool]:
        self._require_schema()
        if len(record.zone_ids) > schema.MAX_ZONES_PER_AGREEMENT:
            raise StoreError(
                f"zones: {len(record.zone_ids)} zones, at most "
                f"{schema.MAX_ZONES_PER_AGREEMENT} per agreement version [zone_limit]"
            )
        table = schema.agreement_versions
        geojson_text = json.dumps(dict(record.geojson), sort_keys=True, ensure_ascii=False)
        with self._engine.begin() as conn:
            existing = conn.execute(
                select(table.c.pk, table.c.source_text, table.c.geojson).where(
                    table.c.agreement_id == record.agreement_id,
                    table.c.version == record.version,
                )
            ).first()
            if existing is not None:
                if existing.source_text == record.source_text and existing.geojson == geojson_text:
                    return int(existing.pk), False
                raise StoreError(
                    f"version: agreement {record.agreement_id!r} version {record.version} is "
                    "already loaded with different content; give the new text a new version "
                    "[version_exists_with_different_content]"
                )
            pk = conn.execute(
                insert(table).values(
                    agreement_id=record.agreement_id,
                    version=record.version,
                    name=record.name,
                    in_force_from=iso(record.in_force_from) if record.in_force_from else None,
                    source_text=record.source_text,
                    geojson=geojson_text,
                    source_path=record.source_path,
                    loaded_at=iso(record.loaded_at or datetime.now(UTC)),
                )
            ).inserted_primary_key
            assert pk is not None
            if record.zone_ids:
                conn.execute(
                    insert(schema.agreement_zones),
                    [
                        {"agreement_version_pk": pk[0], "bit": bit, "zone_id": zone_id}
                        for bit, zone_id in enumerate(record.zone_ids)
                    ],
                )
        return int(pk[0]), True

    def agreement_versions(self) -> list[AgreementVersionRecord]:
        self._require_schema()
        table, zones = schema.agreement_versions, schema.agreement_zones
        with self._engine.connect() as conn:
            zone_rows = conn.execute(
                select(zones.c.agreement_version_pk, zones.c.zone_id).order_by(
                    zones.c.agreement_version_pk, zones.c.bit
                )
            ).all()
            rows = conn.execute(select(table).order_by(table.c.agreement_id, table.c.version)).all()
        zone_ids: dict[int, list[str]] = {}
        for version_pk, zone_id in zone_rows:
            zone_ids.setdefault(version_pk, []).append(zone_id)
        return [
            AgreementVersionRecord(
                agreement_id=row.agreement_id,
                version=row.version,
                name=row.name,
                in_force_from=datetime.fromisoformat(row.in_force_from)
                if row.in_force_from
                else None,
                source_text=row.source_text,
                geojson=json.loads(row.geojson),
                source_path=row.source_path,
                zone_ids=tuple(zone_ids.get(row.pk, ())),
                pk=row.pk,
                loaded_at=datetime.fromisoformat(row.loaded_at),
            )
            for row in rows
        ]

    # -- ingest --------------------------------------------------------------------------
    def start_ingest_run(self, files: Sequence[str], started_at: datetime) -> int:
        self._require_schema()
        with self._engine.begin() as conn:
            pk = conn.execute(
                insert(schema.ingest_runs).values(
                    started_at=iso(started_at),
                    files=json.dumps(list(files)),
                    status="running",
                    read=0,
                    accepted=0,
                    duplicates=0,
                    amended=0,
                    withdrawn=0,
                    quarantined=0,
                )
            ).inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def finish_ingest_run(self, run_pk: int, finished_at: datetime, *, status: str) -> None:
        runs = schema.ingest_runs
        with self._engine.begin() as conn:
            conn.execute(
                runs.update()
                .where(runs.c.pk == run_pk)
                .values(finished_at=iso(finished_at), status=status)
            )

    # -- queries -------------------------------------------------------------------------
    def list_reports(self, query: ReportQuery) -> list[StoredReport]:
        self._require_schema()
        with self._engine.connect() as conn:
            return list_reports(conn, query)

    def list_violations(self, query: ViolationQuery) -> list[StoredViolation]:
        self._require_schema()
        with self._engine.connect() as conn:
            return list_violations(conn, query)

    def list_quarantine(self) -> list[QuarantinedItem]:
        self._require_schema()
        table = schema.quarantine
        with self._engine.connect() as conn:
            rows = conn.execute(select(table).order_by(table.c.pk)).all()
        return [
            QuarantinedItem(
                pk=row.pk,
                raw=row.raw,
                source_file=row.source_file,
                line_no=row.line_no,
                field=row.field,
                rule=row.rule,
                message=row.message,
                received_at=datetime.fromisoformat(row.received_at),
                submitter=row.submitter,
            )
            for row in rows
        ]

    def incidents_in_bbox(
        self, min_lon: float, min_lat: float, max_lon: float, max_lat: float
    ) -> list[int]:
        self._require_schema()
        i = schema.incidents
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(i.c.pk)
                .where(
                    incidents_in_box(
                        min_lon, min_lat, max_lon, max_lat, postgresql=is_postgresql(conn)
                    )
                )
                .order_by(i.c.pk)
            ).all()
        return [int(row[0]) for row in rows]
