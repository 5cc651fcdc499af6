"""One intake message through the ingest's steps: what a ``prepare`` worker does with it.

Why apart from ``pipeline.ingest``: a worker gets a batch (``bus.message.IntakeBatch``: the
bytes as received, who sent them, when, and from which input), not a path, and splits the
work in two around its turn (``bus.workers``): ``prepare_batch`` is pure and runs while
earlier batches are still being written; ``write_batch`` admits and writes against the
store. A batch is at most one message (768 KiB), so it is one chunk and one transaction.

The receipt time stored is the message's, not the worker's clock: a batch re-delivered after
a crash, or a stream replayed into an empty store, gives the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ceasefire.access.model import SYSTEM_PRINCIPAL
from ceasefire.bus.message import IntakeBatch
from ceasefire.clock import Clock
from ceasefire.pipeline.admit import reason_hash
from ceasefire.pipeline.agreements import AgreementBook
from ceasefire.pipeline.fuse import HasEngine
from ceasefire.pipeline.prepare import PreparedChunk
from ceasefire.pipeline.steps import (
    IngestSummary,
    prepared_chunks,
    report_format,
    settle,
    write_prepared,
)
from ceasefire.reports.gazetteer import Gazetteer
from ceasefire.store.base import ChunkWrite, Store, Submitter
from ceasefire.store.ownership import submitter_of_account

#: Reports per chunk for a batch: more than one message can hold, so a batch is one chunk.
BATCH_CHUNK_SIZE = 1_000_000
#: Field and rule of a message quarantined whole because it could not be processed.
POISON_FIELD = "bus_message"
POISON_RULE = "poison"
#: Longest reason kept with a poison message (an error's text can be long).
MAX_REASON_CHARS = 2_000


def prepare_batch(
    batch: IntakeBatch, *, book: AgreementBook, gazetteer: Gazetteer
) -> list[PreparedChunk]:
    """Parse, validate, locate, place and judge the batch's reports (no store access).

    ``InputError`` (field ``format``) for a format this code does not know."""
    return list(
        prepared_chunks(
            batch.raw,
            fmt=report_format(batch.report_format),
            source_file=batch.input_name,
            book=book,
            gazetteer=gazetteer,
            chunk_size=BATCH_CHUNK_SIZE,
        )
    )


def write_batch(
    store: Store, batch: IntakeBatch, chunks: list[PreparedChunk], *, clock: Clock
) -> IngestSummary:
    """Admit and write the prepared batch as sent by its account, received at its receipt
    time; its counts. A re-delivered batch finds its reports stored: duplicates, no change."""
    engine = store.engine if isinstance(store, HasEngine) else None
    submitter = (
        submitter_of_account(engine, batch.principal, batch.account_pk)
        if engine is not None
        else Submitter(batch.principal, batch.account_pk)
    )
    run_pk = store.start_ingest_run([f"bus:{batch.input_name}"], clock.now())
    status = "failed"
    try:
        summary = write_prepared(
            store,
            chunks,
            run_pk=run_pk,
            received_at=lambda: batch.received_at,
            submitter=submitter,
            summary=IngestSummary(files=(batch.input_name,)),
        )
        status = "done"
    finally:
        store.finish_ingest_run(run_pk, clock.now(), status=status)
    return summary


def ingest_batches(
    store: Store, batches: Sequence[IntakeBatch], *, gazetteer: Gazetteer, clock: Clock
) -> IngestSummary:
    """The stream's batches in stream order in this process, then fusion and the guarantees
    once: what the workers do, without a bus. It is the reference the workers' store must
    equal (tests/bus/test_workers.py) and the in-process path of bench/bus.py."""
    book = AgreementBook.from_store(store)
    total = IngestSummary()
    for batch in batches:
        done = write_batch(
            store, batch, prepare_batch(batch, book=book, gazetteer=gazetteer), clock=clock
        )
        total = total.plus(done.counts())
    if isinstance(store, HasEngine):
        settle(store, book, clock=clock, fuse=True, refresh=total.accepted > 0)
    return total


def quarantine_message(
    store: Store, payload: bytes, headers: Mapping[str, str], reason: str, *, clock: Clock
) -> None:
    """Store a message that could not be processed in the quarantine, whole, with the reason
    (field ``bus_message``, rule ``poison``), in the scope it names (the HQ's if none).

    The payload is kept as text: bytes that are not UTF-8 are shown as U+FFFD (the quarantine
    holds text; the stream keeps the original until its limits drop it).
    """
    text = payload.decode("utf-8", errors="replace")
    principal = headers.get("Ceasefire-Principal") or SYSTEM_PRINCIPAL
    source = headers.get("Ceasefire-Input") or "bus"
    row: tuple[object, ...] = (
        reason_hash(text, POISON_FIELD, POISON_RULE, principal),
        text,
        source,
        None,
        POISON_FIELD,
        POISON_RULE,
        reason[:MAX_REASON_CHARS],
    )
    run_pk = store.start_ingest_run([f"bus:{source}"], clock.now())
    status = "failed"
    try:
        store.write_chunk(
            ChunkWrite(
                run_pk=run_pk,
                received_at=clock.now(),
                report_rows=[],
                quarantine_rows=[row],
                counts={"read": 1, "quarantined": 1},
                submitter=Submitter(principal),
            )
        )
        status = "done"
    finally:
        store.finish_ingest_run(run_pk, clock.now(), status=status)
