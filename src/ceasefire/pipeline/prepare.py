"""Stage 1 of the ingest, pure: a parsed chunk → report rows with their placement, no database.

Everything here depends only on the chunk and the agreement versions, never on what is stored,
so it can run ahead of the writer (in a worker process for large files) and is the same
whatever was ingested before. Placement runs on numpy columns of the whole chunk, one call per
agreement version present in it; per-report Python work is limited to what a row needs (the
report's fields as a tuple, a content hash).

The rules are not evaluated here: a violation belongs to an incident, and incidents are
fusion's (``pipeline.fuse`` judges each fused incident at its fused position). Judging every
report as if it were an incident of its own, only for fusion to throw most of those away, was
the write the ingest no longer does (issue 14). Each report keeps its own placement (located
point, party, distance to the line, zones, agreement version): the report views and fusion
read it.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import orjson
from numpy.typing import NDArray

from ceasefire.geo.placement import place_points
from ceasefire.pipeline.agreements import AgreementBook
from ceasefire.reports.columns import ReportColumns, to_columns
from ceasefire.reports.gazetteer import Gazetteer
from ceasefire.reports.model import LocationForm, ObservationReport
from ceasefire.reports.parse import ParsedChunk, Rejected
from ceasefire.store.base import REPORT_ROW_FIELDS
from ceasefire.store.chunk_ledger import raw_sha256

#: Spec fields copied verbatim into the row (the first columns of ``REPORT_ROW_FIELDS``).
SPEC_FIELDS: tuple[str, ...] = REPORT_ROW_FIELDS[: REPORT_ROW_FIELDS.index("releasable_to")]
_spec_row = operator.attrgetter(*SPEC_FIELDS)
_key = operator.attrgetter("source", "id")
_FORM_NAMES = np.array([form.value for form in LocationForm] + [None], dtype=object)


def content_hash(report: ObservationReport) -> bytes:
    """16-byte BLAKE2b of the parsed report: equal for equal content whatever the format."""
    return hashlib.blake2b(orjson.dumps(report), digest_size=16).digest()


@dataclass(frozen=True, slots=True)
class PreparedChunk:
    """A chunk ready to be admitted and written; plain values only (cheap to pickle).

    All per-report sequences have one entry per parsed report, in file order.
    """

    source_file: str
    keys: list[tuple[str, str]]
    amends: list[str | None]
    withdrawn: NDArray[np.bool_]
    raws: list[str]
    hashes: list[bytes]
    #: SHA-256 (hex) of each raw text, for the ledger: computed here, in the preparing worker,
    #: because the single writer is the ingest's bottleneck (store/chunk_ledger.py)
    raw_sha256: list[str]
    rows: list[tuple[object, ...]]
    rejected: list[Rejected]

    def __len__(self) -> int:
        return len(self.keys)


def prepare_chunk(
    parsed: ParsedChunk, *, source_file: str, book: AgreementBook, gazetteer: Gazetteer
) -> PreparedChunk:
    """Locate and place every report of ``parsed`` and build its store row."""
    reports = parsed.reports
    n = len(reports)
    columns = to_columns(reports, gazetteer)
    placed = _place(columns, book)
    withdrawn = np.fromiter((r.withdrawn for r in reports), dtype=bool, count=n)
    hashes = [content_hash(report) for report in reports]
    return PreparedChunk(
        source_file=source_file,
        keys=list(map(_key, reports)),
        amends=[r.amends for r in reports],
        withdrawn=withdrawn,
        raws=list(parsed.raws),
        hashes=hashes,
        raw_sha256=[raw_sha256(raw) for raw in parsed.raws],
        rows=_report_rows(reports, parsed.raws, hashes, columns, placed),
        rejected=list(parsed.rejected),
    )


@dataclass(frozen=True, slots=True)
class _Placed:
    party: NDArray[np.object_]
    distance_km: NDArray[np.float64]
    zones_inside: NDArray[np.int64]
    zones_possibly: NDArray[np.int64]
    version_pk: NDArray[np.int64]


def _place(columns: ReportColumns, book: AgreementBook) -> _Placed:
    """Placement, one vectorised call per agreement version in the chunk."""
    m = len(columns.lon)
    version_of = book.assign(columns.observed_at_s) if m else np.empty(0, dtype=np.intp)
    placed = _Placed(
        party=np.full(m, None, dtype=object),
        distance_km=np.full(m, np.nan),
        zones_inside=np.zeros(m, dtype=np.int64),
        zones_possibly=np.zeros(m, dtype=np.int64),
        version_pk=np.zeros(m, dtype=np.int64),
    )
    for g in np.unique(version_of):
        version = book.versions[int(g)]
        sel = np.flatnonzero(version_of == g)
        placements = place_points(
            version.geography, columns.lon[sel], columns.lat[sel], columns.uncertainty_m[sel]
        )
        weights = np.array(
            [1 << version.zone_bits.index(z) for z in placements.zone_ids], dtype=np.int64
        )
        placed.zones_inside[sel] = placements.inside.astype(np.int64) @ weights
        placed.zones_possibly[sel] = placements.possibly_inside.astype(np.int64) @ weights
        party_names = np.array([*version.geography.party_ids, None], dtype=object)
        placed.party[sel] = party_names[placements.party_index]
        placed.distance_km[sel] = placements.distance_to_line_km
        placed.version_pk[sel] = version.pk
    return placed


def _report_rows(
    reports: Sequence[ObservationReport],
    raws: Sequence[str],
    hashes: Sequence[bytes],
    columns: ReportColumns,
    placed: _Placed,
) -> list[tuple[object, ...]]:
    """Rows in ``REPORT_ROW_FIELDS`` order; NaN floats are stored as NULL by SQLite."""
    spec = map(_spec_row, reports)
    releasable = [";".join(r.releasable_to) if r.releasable_to else None for r in reports]
    attachments = [orjson.dumps(r.attachments).decode() if r.attachments else None for r in reports]
    until = [r.observed_until.timestamp() if r.observed_until else None for r in reports]
    tail = zip(
        releasable,
        attachments,
        columns.observed_at_s.tolist(),
        until,
        raws,
        hashes,
        columns.lon.tolist(),
        columns.lat.tolist(),
        columns.uncertainty_m.tolist(),
        _FORM_NAMES[columns.location_form].tolist(),
        placed.party.tolist(),
        placed.distance_km.tolist(),
        placed.zones_inside.tolist(),
        placed.zones_possibly.tolist(),
        placed.version_pk.tolist(),
        strict=True,
    )
    return [head + rest for head, rest in zip(spec, tail, strict=True)]
