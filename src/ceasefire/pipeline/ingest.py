"""The ingest service: files → parse → validate → locate → place → store, chunk by chunk, then
fuse → judge → store the incidents.

Three steps: ``prepare`` (pure: parse, locate, place, build rows), ``admit`` + write (against
the store: duplicates, amendments, one transaction per chunk) and, after the last chunk,
``fuse`` (the new reports into incidents, each judged by the rules once, at its fused
position). The chunks store reports only: an incident per report, judged and written only for
fusion to supersede most of them, was the ingest's largest throw-away write (issue 14). For
large inputs the first step runs in a forked worker process one chunk ahead of the writer, so
the two cores of a laptop parse and write at the same time; the results are identical either
way.

``ingest_files`` streams files from disk and ``ingest_bytes`` takes one input in memory (an
API body); both are thin callers of the steps in ``pipeline.steps`` (``prepare_chunk``,
``admit_chunk``, ``Store.write_chunk``, ``fuse_incidents``), which the bus workers
(``bus.workers``) run each on its own.

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
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from ceasefire.clock import Clock, SystemClock
from ceasefire.errors import CeasefireError
from ceasefire.pipeline.agreements import AgreementBook
from ceasefire.pipeline.fuse import HasEngine
from ceasefire.pipeline.prepare import PreparedChunk, prepare_chunk
from ceasefire.pipeline.receipt import ReceiptTime, stamp_received_as_observed
from ceasefire.pipeline.steps import (
    MAX_WRITE_ATTEMPTS,
    IngestSummary,
    Quarantined,
    prepared_chunks,
    settle,
    write_prepared,
)
from ceasefire.reports.gazetteer import Gazetteer
from ceasefire.reports.parse import ReportFormat, detect_format, read_reports
from ceasefire.store.base import SYSTEM_SUBMITTER, Store, Submitter

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "MAX_WRITE_ATTEMPTS",
    "IngestSummary",
    "Quarantined",
    "check_inputs",
    "ingest_bytes",
    "ingest_files",
]

#: Called after each chunk with the file and the number of records it read.
Progress = Callable[[Path, int], None]

#: Reports per chunk (one transaction). Each chunk rewrites most pages of the time-ordered
#: indexes (reports arrive in any time order), so fewer, larger chunks write less: on 1,000,000
#: bench reports 50,000 took 66.7 s, 100,000 took 62.1 s and 200,000 took 58.1 s, with the
#: writer's peak memory at 0.53, 0.70 and 1.10 GB (the worker's about as much again). 100,000
#: keeps a laptop's memory in mind; ``CEASEFIRE_INGEST_BATCH_SIZE`` sets it per run.
DEFAULT_CHUNK_SIZE = 100_000
#: Inputs at least this large (bytes, all files) are prepared in a worker process.
PARALLEL_MIN_BYTES = 16 << 20


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

        def advance(source_file: str, read: int) -> None:
            if progress is not None:
                progress(Path(source_file), read)

        summary = write_prepared(
            store,
            chunks,
            run_pk=run_pk,
            received_at=clock.now,
            submitter=submitter,
            summary=summary,
            quarantined=quarantined,
            progress=advance,
        )
        if isinstance(store, HasEngine):
            if received_at is ReceiptTime.OBSERVED:
                stamp_received_as_observed(store.engine, run_pk)
            alerts = settle(store, plan.book, clock=clock, fuse=fuse, refresh=summary.accepted > 0)
            summary = dataclasses.replace(summary, alerts=alerts)
        status = "done"
    finally:
        if collecting:
            gc.enable()
        store.finish_ingest_run(run_pk, clock.now(), status=status)
    return summary


def ingest_bytes(
    store: Store,
    raw: bytes,
    *,
    fmt: ReportFormat,
    input_name: str,
    gazetteer: Gazetteer,
    clock: Clock | None = None,
    submitter: Submitter = SYSTEM_SUBMITTER,
    quarantined: list[Quarantined] | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    fuse: bool = True,
) -> IngestSummary:
    """``ingest_files`` for one input already in memory (an API body, a live feed's lines):
    the same steps, no temporary file. ``input_name`` is what the quarantine and the run
    record as its source (``api``, say)."""
    clock = clock or SystemClock()
    book = AgreementBook.from_store(store)
    run_pk = store.start_ingest_run([input_name], clock.now())
    status = "failed"
    try:
        chunks = prepared_chunks(
            raw,
            fmt=fmt,
            source_file=input_name,
            book=book,
            gazetteer=gazetteer,
            chunk_size=chunk_size,
        )
        summary = write_prepared(
            store,
            chunks,
            run_pk=run_pk,
            received_at=clock.now,
            submitter=submitter,
            summary=IngestSummary(files=(input_name,)),
            quarantined=quarantined,
        )
        if isinstance(store, HasEngine):
            alerts = settle(store, book, clock=clock, fuse=fuse, refresh=summary.accepted > 0)
            summary = dataclasses.replace(summary, alerts=alerts)
        status = "done"
    finally:
        store.finish_ingest_run(run_pk, clock.now(), status=status)
    return summary


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
