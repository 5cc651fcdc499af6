"""The ingest service: files → parse → validate → locate → place → store, chunk by chunk, then
fuse → judge → store the incidents.

Three steps: ``prepare`` (pure: parse, locate, place, build rows), ``admit`` + write (against
the store: duplicates, amendments, one transaction per chunk) and, after the last chunk,
``fuse`` (the new reports into incidents, each judged by the rules once, at its fused
position). The chunks store reports only: an incident per report, judged and written only for
fusion to supersede most of them, was the ingest's largest throw-away write (issue 14). For
large inputs the first step runs in a forked worker process one chunk ahead of the writer, so
the two cores of a laptop parse and write at the same time; the results are identical either
way. The steps are separate functions (``prepare_chunk``, ``admit_chunk``,
``Store.write_chunk``, ``fuse_incidents``) so that a bus worker can run each on its own.

Several writers (PostgreSQL): processes may ingest into one database at once, even the same
files. A chunk whose reports another writer committed first is decided again and re-written
(``_store_chunk``); fusion and the guarantees refresh run one process at a time and follow the
commit-ordered change log (``store/changes.py``), so the result is the one a single process
gives. On SQLite a second writer is refused (``store/sqlite.py``).

Crash safety comes from three facts: every chunk is written in one transaction; chunks are
cut at fixed record counts in file order, so a re-run cuts them identically; and a re-sent
report is a duplicate that writes nothing. Hence a run killed at any point, followed by the same
command, leaves every table as one uninterrupted run would, apart from the bookkeeping of
``ingest_runs`` (the killed run keeps its row, status ``running``) and each row's
``received_at`` / ``ingest_run_pk``, which say when and by which run a row arrived.
"""

from __future__ import annotations

import dataclasses
import gc
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from ceasefire.clock import Clock, SystemClock
from ceasefire.errors import CeasefireError, WriteConflictError
from ceasefire.guarantees.live_service import LIVE
from ceasefire.pipeline.admit import COUNT_KEYS, admit_chunk
from ceasefire.pipeline.agreements import AgreementBook
from ceasefire.pipeline.fuse import HasEngine, fuse_incidents
from ceasefire.pipeline.prepare import PreparedChunk, prepare_chunk
from ceasefire.pipeline.receipt import ReceiptTime, stamp_received_as_observed
from ceasefire.reports.gazetteer import Gazetteer
from ceasefire.reports.parse import ReportFormat, detect_format, read_reports
from ceasefire.store.base import SYSTEM_SUBMITTER, ChunkWrite, Store, Submitter
from ceasefire.store.changes import FUSION_LOCK, one_at_a_time
from ceasefire.store.guarantee_facts import guarantees_loaded
from ceasefire.store.guarantees_sql import SqlGuarantees

#: Called after each chunk with the file and the number of records it read.
Progress = Callable[[Path, int], None]
#: A quarantined record as its sender is told: ``(line, field, rule, message)``.
Quarantined = tuple[int | None, str, str, str]

#: Reports per chunk (one transaction). Each chunk rewrites most pages of the time-ordered
#: indexes (reports arrive in any time order), so fewer, larger chunks write less: on 1,000,000
#: bench reports 50,000 took 66.7 s, 100,000 took 62.1 s and 200,000 took 58.1 s, with the
#: writer's peak memory at 0.53, 0.70 and 1.10 GB (the worker's about as much again). 100,000
#: keeps a laptop's memory in mind; ``CEASEFIRE_INGEST_BATCH_SIZE`` sets it per run.
DEFAULT_CHUNK_SIZE = 100_000
#: Attempts at one chunk when other writers keep committing its reports first (each failed
#: attempt means another writer committed). In bench/writers.py, four writers of one
#: 50,000-report chunk each, on files overlapping by half, retried 5 times in all.
MAX_WRITE_ATTEMPTS = 20
#: Inputs at least this large (bytes, all files) are prepared in a worker process.
PARALLEL_MIN_BYTES = 16 << 20


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


def check_inputs(paths: Sequence[Path], fmt: ReportFormat | None) -> dict[Path, ReportFormat]:
    """The format of every file, before anything is written.

    Raises ``CeasefireError`` for a missing or unreadable file and ``UnknownFormatError`` when
    a format is neither given nor recognisable: a typo in the second file name must not leave
    the first file half-reported as the whole command's result.
    """
    formats: dict[Path, ReportFormat] = {}
    for path in paths:
        if not path.is_file():
            raise CeasefireError(f"{path}: no such file")
        try:
            with path.open("rb") as stream:
                stream.read(1)
        except OSError as exc:
            raise CeasefireError(f"{path}: cannot be read ({exc.strerror})") from exc
        formats[path] = fmt if fmt is not None else detect_format(path)
    return formats


@dataclass(frozen=True, slots=True)
class _Plan:
    """What the preparing stage needs; inherited by a forked worker without pickling."""

    formats: dict[Path, ReportFormat]
    book: AgreementBook
    gazetteer: Gazetteer
    chunk_size: int

    def chunks(self) -> Iterator[PreparedChunk]:
        for path, fmt in self.formats.items():
            for parsed in read_reports(path, fmt=fmt, chunk_size=self.chunk_size):
                yield prepare_chunk(
                    parsed, source_file=str(path), book=self.book, gazetteer=self.gazetteer
                )


def ingest_files(
    store: Store,
    paths: Sequence[Path],
    *,
    fmt: ReportFormat | None = None,
    gazetteer: Gazetteer,
    progress: Progress | None = None,
    clock: Clock | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    parallel: bool | None = None,
    fuse: bool = True,
    submitter: Submitter = SYSTEM_SUBMITTER,
    quarantined: list[Quarantined] | None = None,
    received_at: ReceiptTime = ReceiptTime.CLOCK,
) -> IngestSummary:
    """Ingest ``paths`` in order; idempotent on ``(source, id)``; one transaction per chunk.

    Every report is recorded as sent by ``submitter`` (default: the HQ itself) and its key
    is looked up in that submitter's scope only; amendments and withdrawals are accepted only
    for reports the submitter may change (``pipeline.admit``). ``quarantined``, when given,
    receives ``(line, field, rule, message)`` of every record this call quarantined, whether
    or not an identical line was quarantined before (the quarantine table keeps one row).

    Reports are judged by the agreement version in force at their ``observed_at``; an ingest
    with no agreement loaded is refused (``StoreError``) rather than storing unplaced reports.
    ``parallel`` (default: inputs of 16 MiB or more, on a machine with 2+ cores that can
    fork) prepares chunks in a worker process. With ``fuse`` (default) the stored reports are
    then fused into incidents and their violations (``ceasefire.pipeline.fuse``).
    ``fuse=False``: the reports alone are stored and wait, without incident, for the next
    fusion (a later ingest, or a fusing worker), which finds them on the change log.

    When guarantees are loaded and reports were accepted, the triggers are then evaluated
    (``guarantees.live_service``: the process's live evaluator, told what changed; once per
    call, not per chunk) and new alerts, obligations and
    cases are recorded; ``IngestSummary.alerts`` counts the new alerts.

    ``received_at``: ``ReceiptTime.OBSERVED`` stamps each stored report as received when it
    was observed (replaying a historical file; ``pipeline.receipt``), before fusion and the
    guarantees see it.
    """
    clock = clock or SystemClock()
    plan = _Plan(check_inputs(paths, fmt), AgreementBook.from_store(store), gazetteer, chunk_size)
    if parallel is None:
        big = sum(p.stat().st_size for p in paths) >= PARALLEL_MIN_BYTES
        parallel = big and (os.cpu_count() or 1) >= 2
    parallel = parallel and "fork" in multiprocessing.get_all_start_methods()
    run_pk = store.start_ingest_run([str(p) for p in paths], clock.now())
    summary = IngestSummary(files=tuple(str(p) for p in paths))
    status = "failed"
    # Reports and rows are acyclic: reference counting frees them. The cyclic collector would
    # only re-walk the growing young generations of each 50,000-report chunk (measured: 40 % of
    # the chunk-planning time), so it pauses for the run and resumes afterwards.
    collecting = gc.isenabled()
    gc.disable()
    try:
        chunks = _forked(plan) if parallel else plan.chunks()
        for chunk in chunks:
            write, counts, retries = _store_chunk(chunk, store, run_pk, clock, submitter)
            if quarantined is not None:
                quarantined.extend(_answers(write.quarantine_rows))
            summary = summary.plus(counts)
            summary = dataclasses.replace(summary, retried=summary.retried + retries)
            if progress is not None:
                progress(Path(chunk.source_file), counts["read"])
        if isinstance(store, HasEngine):
            if received_at is ReceiptTime.OBSERVED:
                stamp_received_as_observed(store.engine, run_pk)
            with one_at_a_time(store.engine, FUSION_LOCK):
                if fuse:
                    _fuse_patiently(store, plan.book, clock=clock)
                if summary.accepted and guarantees_loaded(store.engine):
                    fired = LIVE.refresh(
                        store.engine.url.render_as_string(),
                        SqlGuarantees(store.engine),
                        clock=clock,
                    ).new.alerts
                    summary = dataclasses.replace(summary, alerts=fired)
        status = "done"
    finally:
        if collecting:
            gc.enable()
        store.finish_ingest_run(run_pk, clock.now(), status=status)
    return summary


def _store_chunk(
    chunk: PreparedChunk, store: Store, run_pk: int, clock: Clock, submitter: Submitter
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
            chunk, store=store, run_pk=run_pk, received_at=clock.now(), submitter=submitter
        )
        try:
            store.write_chunk(write)
        except WriteConflictError:
            if attempt + 1 == MAX_WRITE_ATTEMPTS:
                raise
            continue
        return write, counts, attempt
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _fuse_patiently(store: HasEngine, book: AgreementBook, *, clock: Clock) -> None:
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


def _answers(rows: Sequence[tuple[object, ...]]) -> Iterator[Quarantined]:
    """``(line, field, rule, message)`` of quarantine rows (``QUARANTINE_ROW_FIELDS`` order)."""
    for row in rows:
        line_no = row[3]
        yield (
            line_no if isinstance(line_no, int) else None,
            str(row[4]),
            str(row[5]),
            str(row[6]),
        )


def _forked(plan: _Plan) -> Iterator[PreparedChunk]:
    """Prepared chunks from a forked worker, which runs one chunk ahead (a pipe's backpressure).

    The worker never touches the store (a SQLite connection must not cross a fork). Should the
    writer die, the worker's next send fails and it exits; it is a daemon besides.
    """
    receiver, sender = multiprocessing.get_context("fork").Pipe(duplex=False)
    worker = multiprocessing.get_context("fork").Process(
        target=_produce, args=(plan, sender), daemon=True, name="ceasefire-prepare"
    )
    worker.start()
    sender.close()
    try:
        while True:
            try:
                item = receiver.recv()
            except EOFError as exc:
                raise CeasefireError("the preparing worker stopped unexpectedly") from exc
            if item is None:
                return
            if isinstance(item, str):
                raise CeasefireError(item)
            yield item
    finally:
        receiver.close()
        worker.join(timeout=5)
        if worker.is_alive():
            worker.kill()


def _produce(plan: _Plan, sender: Connection) -> None:
    """Worker body: send every prepared chunk, then ``None``; an error goes as its message."""
    try:
        for chunk in plan.chunks():
            sender.send(chunk)
        sender.send(None)
    except CeasefireError as exc:
        sender.send(str(exc))
    except BrokenPipeError:  # the writer is gone: nothing left to do
        return
    finally:
        sender.close()
