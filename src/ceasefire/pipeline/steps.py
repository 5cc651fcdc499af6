"""The ingest's steps on inputs that are bytes: prepare, admit and write, then settle.

Why a module of its own: the same steps serve three callers, which differ only in where the
bytes come from and who runs which step. ``ceasefire ingest FILE`` streams files from disk
(``pipeline.ingest``); the API's POST hands over its body; a ``prepare`` worker on the bus
hands over one intake message (``bus.message.IntakeBatch``) and a ``fuse`` worker settles
afterwards (``bus.workers``). None of them writes a temporary file, and each reads the
agreement versions it judges by from the store (``AgreementBook.from_store``), never from
a parent process.

* ``prepared_chunks``: parse, validate, locate and place bytes (pure: no store).
* ``write_prepared``: admit each chunk against the store and write it, one transaction per
  chunk, deciding a chunk again when another writer committed some of its reports first.
* ``settle``: fuse the changed reports and bring the live guarantees evaluator up to date,
  one process at a time (``FUSION_LOCK``), as after any ingest.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime

from ceasefire.clock import Clock
from ceasefire.errors import InputError, WriteConflictError
from ceasefire.guarantees.live_service import LIVE
from ceasefire.pipeline.admit import COUNT_KEYS, admit_chunk
from ceasefire.pipeline.agreements import AgreementBook
from ceasefire.pipeline.fuse import HasEngine, fuse_incidents
from ceasefire.pipeline.prepare import PreparedChunk, prepare_chunk
from ceasefire.reports.gazetteer import Gazetteer
from ceasefire.reports.parse import ReportFormat, read_report_bytes
from ceasefire.store.base import ChunkWrite, Store, Submitter
from ceasefire.store.changes import FUSION_LOCK, one_at_a_time
from ceasefire.store.guarantee_facts import guarantees_loaded
from ceasefire.store.guarantees_sql import SqlGuarantees

#: A quarantined record as its sender is told: ``(line, field, rule, message)``.
Quarantined = tuple[int | None, str, str, str]
#: Called after each chunk with its input's name and the number of records it read.
ChunkProgress = Callable[[str, int], None]

#: Attempts at one chunk when other writers keep committing its reports first (each failed
#: attempt means another writer committed). In bench/writers.py, four writers of one
#: 50,000-report chunk each, on files overlapping by half, retried 5 times in all.
MAX_WRITE_ATTEMPTS = 20


@dataclass(frozen=True, slots=True)
class IngestSummary:
    """What an ingest did, in records; ``read`` = accepted + duplicates + quarantined.

    ``amended`` and ``withdrawn`` count accepted reports that amend or withdraw an earlier one.
    """

    read: int = 0
    accepted: int = 0
    duplicates: int = 0
    amended: int = 0
    withdrawn: int = 0
    quarantined: int = 0
    files: tuple[str, ...] = field(default=())
    #: Guarantee alerts newly fired by this ingest (0 when no guarantees are loaded).
    alerts: int = 0
    #: Chunks decided and written again because another writer committed some of their
    #: reports first (PostgreSQL with several writers; always 0 on SQLite).
    retried: int = 0

    def counts(self) -> dict[str, int]:
        """The six counts by name (the ``--json`` keys, without ``files``)."""
        data = asdict(self)
        return {key: int(data[key]) for key in COUNT_KEYS}

    def plus(self, counts: dict[str, int]) -> IngestSummary:
        """This summary with a chunk's counts added."""
        mine = self.counts()
        merged = {key: mine[key] + counts.get(key, 0) for key in COUNT_KEYS}
        return IngestSummary(**merged, files=self.files, alerts=self.alerts, retried=self.retried)


def report_format(value: str) -> ReportFormat:
    """``value`` as a ``ReportFormat``; ``InputError`` (field ``format``) naming the known ones."""
    try:
        return ReportFormat(value)
    except ValueError:
        known = ", ".join(f.value for f in ReportFormat)
        raise InputError("format", "known_format", f"{value!r} is not one of {known}") from None


def prepared_chunks(
    raw: bytes,
    *,
    fmt: ReportFormat,
    source_file: str,
    book: AgreementBook,
    gazetteer: Gazetteer,
    chunk_size: int,
) -> Iterator[PreparedChunk]:
    """The chunks of one input held in memory, parsed, placed and judged (no store access).

    ``source_file`` is the input's name as the quarantine records it (``api``, a file name).
    """
    for parsed in read_report_bytes(raw, fmt=fmt, chunk_size=chunk_size):
        yield prepare_chunk(parsed, source_file=source_file, book=book, gazetteer=gazetteer)


def write_prepared(
    store: Store,
    chunks: Iterable[PreparedChunk],
    *,
    run_pk: int,
    received_at: Callable[[], datetime],
    submitter: Submitter,
    summary: IngestSummary,
    quarantined: list[Quarantined] | None = None,
    progress: ChunkProgress | None = None,
) -> IngestSummary:
    """Admit and write every chunk (one transaction each); ``summary`` with their counts.

    ``received_at`` is asked once per chunk: the clock for a live ingest, the intake
    message's receipt time for a bus worker (so a replay stores the same times).
    """
    for chunk in chunks:
        write, counts, retries = store_chunk(
            chunk, store, run_pk=run_pk, received_at=received_at(), submitter=submitter
        )
        if quarantined is not None:
            quarantined.extend(answers(write.quarantine_rows))
        summary = summary.plus(counts)
        summary = dataclasses.replace(summary, retried=summary.retried + retries)
        if progress is not None:
            progress(chunk.source_file, counts["read"])
    return summary


def store_chunk(
    chunk: PreparedChunk,
    store: Store,
    *,
    run_pk: int,
    received_at: datetime,
    submitter: Submitter,
) -> tuple[ChunkWrite, dict[str, int], int]:
    """Decide ``chunk`` against the store and write it; the write, its counts and how many
    times it was decided again.

    With several writers (PostgreSQL), another may commit one of the chunk's reports between
    the decision and the commit: the write then fails whole (``WriteConflictError``) and the
    chunk is decided again, now finding those reports stored (duplicates, or amendment
    targets). Each retry follows another writer's commit, so the attempts are bounded.
    """
    for attempt in range(MAX_WRITE_ATTEMPTS):
        write, counts = admit_chunk(
            chunk, store=store, run_pk=run_pk, received_at=received_at, submitter=submitter
        )
        try:
            store.write_chunk(write)
        except WriteConflictError:
            if attempt + 1 == MAX_WRITE_ATTEMPTS:
                raise
            continue
        return write, counts, attempt
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def settle(
    store: HasEngine, book: AgreementBook, *, clock: Clock, fuse: bool, refresh: bool
) -> int:
    """Fuse what changed and (``refresh``, when guarantees are loaded) evaluate the
    guarantees' triggers, one process at a time; the number of alerts newly fired.

    Both follow the commit-ordered change log, so running this after any set of writes,
    any number of times, converges to what one run after all of them gives.
    """
    with one_at_a_time(store.engine, FUSION_LOCK):
        if fuse:
            fuse_patiently(store, book, clock=clock)
        if refresh and guarantees_loaded(store.engine):
            # the live evaluator held by this process (``guarantees.live_service``): told only
            # what changed since its marks, it does not re-read the history after each batch
            key = store.engine.url.render_as_string()
            return LIVE.refresh(key, SqlGuarantees(store.engine), clock=clock).new.alerts
    return 0


def fuse_patiently(store: HasEngine, book: AgreementBook, *, clock: Clock) -> None:
    """Fuse; on a write conflict with another writer (a deadlock PostgreSQL broke by
    rolling fusion back), fuse again: fusion decides from what is stored, so a retry after
    the other writer's commit is the run that would have happened after it."""
    for attempt in range(1, MAX_WRITE_ATTEMPTS + 1):
        try:
            fuse_incidents(store, book, clock=clock)
            return
        except WriteConflictError:
            if attempt == MAX_WRITE_ATTEMPTS:
                raise


def answers(rows: Sequence[tuple[object, ...]]) -> Iterator[Quarantined]:
    """``(line, field, rule, message)`` of quarantine rows (``QUARANTINE_ROW_FIELDS`` order)."""
    for row in rows:
        line_no = row[3]
        yield (
            line_no if isinstance(line_no, int) else None,
            str(row[4]),
            str(row[5]),
            str(row[6]),
        )
