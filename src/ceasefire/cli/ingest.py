"""``ceasefire ingest FILE...``: read, validate, place, judge and store observation reports.

Exit 0 when every file was read, even if some reports were quarantined (that is the
quarantine's job); exit 2 for a missing or unreadable file or an unknown format, before
anything is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ceasefire.cli.context import settings_of
from ceasefire.cli.monitoring_common import cli_stores, echo_json, fail
from ceasefire.cli.progress import progress_on_stderr
from ceasefire.errors import CeasefireError, InputError

#: Called after each chunk with the file and the records it read (as ``pipeline.ingest``).
ProgressCallback = Callable[[Path, int], None]

#: Files with more records than this get a progress bar.
PROGRESS_THRESHOLD = 10_000


class FormatChoice(StrEnum):
    """``--format``: ``auto`` detects from the name and first bytes."""

    AUTO = "auto"
    NDJSON = "ndjson"
    CSV = "csv"
    GEOJSON = "geojson"
    UCDP = "ucdp"
    ACLED = "acled"


class ReceivedChoice(StrEnum):
    """``--received-at``: as ``pipeline.receipt.ReceiptTime`` (kept apart: no SQLAlchemy at
    CLI import)."""

    CLOCK = "clock"
    OBSERVED = "observed"


def estimate_records(path: Path) -> int:
    """Roughly how many records a file holds: its lines (features, for GeoJSON), counted fast."""
    marker = b'"Feature"' if path.suffix.lower() in {".geojson", ".json"} else b"\n"
    total = 0
    with path.open("rb") as stream:
        while block := stream.read(1 << 22):
            total += block.count(marker)
    return total


@contextmanager
def progress_bars(paths: list[Path], *, enabled: bool) -> Iterator[ProgressCallback | None]:
    """A Rich progress bar per file over ``PROGRESS_THRESHOLD`` records (on stderr)."""
    sizes = {path: estimate_records(path) for path in paths} if enabled else {}
    big = {path: n for path, n in sizes.items() if n > PROGRESS_THRESHOLD}
    if not big:
        yield None
        return
    with progress_on_stderr() as bars:
        tasks = {path: bars.add_task(path.name, total=n) for path, n in big.items()}

        def advance(path: Path, read: int) -> None:
            if path in tasks:
                bars.advance(tasks[path], read)

        yield advance


def ingest(  # noqa: PLR0917 - one parameter per option
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Report files (NDJSON, CSV, GeoJSON, ...).")],
    fmt: Annotated[
        FormatChoice, typer.Option("--format", help="Input format; auto detects it.")
    ] = FormatChoice.AUTO,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Record the reports as sent by this account (its nation's key scope); "
            "default: the HQ itself (principal HQ).",
        ),
    ] = None,
    received_at: Annotated[
        ReceivedChoice,
        typer.Option(
            "--received-at",
            help="clock: received now (live); observed: at each report's observed time "
            "(historical files, for backtests).",
        ),
    ] = ReceivedChoice.CLOCK,
    bus: Annotated[
        str | None,
        typer.Option(
            "--bus",
            help="Publish to this NATS JetStream (default: $CEASEFIRE_BUS) for the workers, "
            "instead of ingesting here.",
        ),
    ] = None,
) -> None:
    """Ingest observation report files and print what happened to them.

    Counts: read, accepted, duplicates, amended, withdrawn, quarantined. Several ingests may
    run at once on PostgreSQL (a chunk another writer got to first is decided again: "retried").
    With a bus, the files are published and the answer is "accepted for processing" with
    each batch's content id, once the stream has stored it; the workers decide the counts.
    """
    try:
        settings = settings_of(ctx).with_bus(bus)
    except InputError as exc:
        fail(exc)
    if settings.bus:
        if received_at is ReceivedChoice.OBSERVED:
            fail(InputError("received-at", "not_on_bus", "observed is for in-process replays"))
        _publish(ctx, settings.bus, files, fmt, as_user, as_json=as_json)
        return
    # deferred: parsers and geometry load only for the commands that need them
    from ceasefire.pipeline.ingest import check_inputs, ingest_files  # noqa: PLC0415
    from ceasefire.pipeline.receipt import ReceiptTime  # noqa: PLC0415
    from ceasefire.reports.gazetteer import Gazetteer  # noqa: PLC0415
    from ceasefire.reports.parse import ReportFormat  # noqa: PLC0415

    chosen = None if fmt is FormatChoice.AUTO else ReportFormat(fmt.value)
    with cli_stores(ctx) as stores:
        store = stores.store
        check_inputs(files, chosen)
        submitter = stores.access.submitter_named(as_user)
        with progress_bars(files, enabled=not as_json) as progress:
            summary = ingest_files(
                store,
                files,
                fmt=chosen,
                gazetteer=Gazetteer.default(),
                progress=progress,
                chunk_size=settings_of(ctx).ingest_batch_size,
                submitter=submitter,
                received_at=ReceiptTime(received_at.value),
            )
    if as_json:
        echo_json(
            {
                **summary.counts(),
                "alerts": summary.alerts,
                "retried": summary.retried,
                "files": list(summary.files),
            }
        )
        return
    counts = summary.counts()
    typer.echo("  ".join(f"{key} {value:,}" for key, value in counts.items()))
    typer.echo(f"guarantee alerts fired {summary.alerts:,}")
    if counts["quarantined"]:
        typer.echo("see `ceasefire quarantine` for the rejected reports, with field and rule")


def _publish(
    ctx: typer.Context,
    url: str,
    files: list[Path],
    fmt: FormatChoice,
    as_user: str | None,
    *,
    as_json: bool,
) -> None:
    """``ingest --bus``: publish every file (checked first) and print what the stream took."""
    from ceasefire.bus.intake import IntakeInput, publish_inputs_blocking  # noqa: PLC0415
    from ceasefire.clock import SystemClock  # noqa: PLC0415
    from ceasefire.pipeline.ingest import check_inputs  # noqa: PLC0415
    from ceasefire.reports.parse import ReportFormat  # noqa: PLC0415
    from ceasefire.store.base import SYSTEM_SUBMITTER  # noqa: PLC0415

    chosen = None if fmt is FormatChoice.AUTO else ReportFormat(fmt.value)
    try:
        formats = check_inputs(files, chosen)
        submitter = SYSTEM_SUBMITTER
        if as_user is not None:  # the account and its scope come from the database
            with cli_stores(ctx) as stores:
                submitter = stores.access.submitter_named(as_user)
        inputs = [IntakeInput(path.read_bytes(), path.name, f.value) for path, f in formats.items()]
        answers = publish_inputs_blocking(
            url,
            inputs,
            principal=submitter.principal,
            account_pk=submitter.user_pk,
            received_at=SystemClock().now(),
        )
    except CeasefireError as exc:
        fail(exc)
    if as_json:
        echo_json({"inputs": [answer.as_json() for answer in answers]})
        return
    for answer in answers:
        for part in answer.parts:
            again = " (a re-send: already on the stream)" if part.duplicate else ""
            typer.echo(
                f"{answer.input_name} part {part.part}: accepted for processing, "
                f"content id {part.content_id}{again}"
            )
