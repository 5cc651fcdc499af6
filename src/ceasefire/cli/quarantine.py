"""``ceasefire quarantine``: every rejected input, whole and as received, with field and rule."""

from __future__ import annotations

from typing import Annotated

import typer

from ceasefire.cli.monitoring_common import cli_store, echo_json, iso_z

#: Characters of the raw text shown per item in the human listing (``--json`` has it all).
PREVIEW_CHARS = 120


def quarantine(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List quarantined inputs: file, line, field, rule, message, sender, and the raw text."""
    with cli_store(ctx) as store:
        items = store.list_quarantine()
    if as_json:
        echo_json(
            [
                {
                    "source_file": item.source_file,
                    "line": item.line_no,
                    "field": item.field,
                    "rule": item.rule,
                    "message": item.message,
                    "raw": item.raw,
                    "received_at": iso_z(item.received_at),
                    "submitter": item.submitter,
                }
                for item in items
            ]
        )
        return
    for item in items:
        where = f"{item.source_file or '-'}:{item.line_no if item.line_no is not None else '-'}"
        preview = item.raw[:PREVIEW_CHARS] + ("…" if len(item.raw) > PREVIEW_CHARS else "")
        typer.echo(
            f"{where}  {item.field} [{item.rule}] {item.message} (from {item.submitter})\n"
            f"    {preview!r}"
        )
    typer.echo(f"{len(items):,} quarantined")
