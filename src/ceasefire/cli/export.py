"""``ceasefire export``: a layer as a nation sees it, into GeoPackage, GeoJSON, CSV or KML."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ceasefire.cli.context import settings_of
from ceasefire.cli.incidents import _bbox
from ceasefire.cli.monitoring_common import cli_store, echo_json, fail, parse_when
from ceasefire.cli.progress import steps_on_stderr
from ceasefire.errors import CeasefireError
from ceasefire.interop.export import ExportFormat, ExportWhat
from ceasefire.reports.model import Classification


def export(  # noqa: PLR0917 - one parameter per option
    ctx: typer.Context,
    fmt: Annotated[ExportFormat, typer.Option("--format", help="Output format.")],
    what: Annotated[ExportWhat, typer.Option("--what", help="Which layer.")],
    out: Annotated[Path, typer.Option("--out", help="File to write (replaced).")],
    nation: Annotated[
        str | None,
        typer.Option("--for", help="Only what this nation (or organisation) may see."),
    ] = None,
    clearance: Annotated[
        Classification,
        typer.Option("--clearance", help="The reader's clearance (with --for)."),
    ] = Classification.UNCLASSIFIED,
    since: Annotated[str | None, typer.Option(help="YYYY-MM-DD or RFC 3339, inclusive.")] = None,
    until: Annotated[str | None, typer.Option(help="YYYY-MM-DD or RFC 3339, inclusive.")] = None,
    bbox: Annotated[str | None, typer.Option(help="MINLON,MINLAT,MAXLON,MAXLAT")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Export incidents, reports, violations, zones or the line as a nation sees it (without
    --for: the HQ's system view, everything) to a GeoPackage, GeoJSON, CSV or KML file."""
    from ceasefire.api.params import parse_bbox  # noqa: PLC0415 - heavy
    from ceasefire.interop.export import (  # noqa: PLC0415
        check_query,
        export_reader,
        hq_state,
        write_layer,
    )
    from ceasefire.store.hq_queries import PageQuery  # noqa: PLC0415

    _bbox(bbox)  # a clear --bbox error before the store opens
    start = parse_when(since, "--since")
    end = parse_when(until, "--until", end_of_day=True)
    since_s = None if start is None else start.timestamp()
    until_s = None if end is None else end.timestamp()
    try:
        check_query(since_s, until_s)
        query = PageQuery(since_s=since_s, until_s=until_s, bbox=parse_bbox(bbox), limit=5000)
        reader = export_reader(nation, clearance)
    except CeasefireError as exc:
        fail(exc)
    with cli_store(ctx) as store, steps_on_stderr("export"):
        state = hq_state(settings_of(ctx), store)
        result = write_layer(state, reader, what, fmt=fmt, out=out, query=query)
    if as_json:
        echo_json(
            {
                "path": str(result.path),
                "layer": result.layer,
                "features": result.features,
                "for": result.reader,
            }
        )
    else:
        typer.echo(f"{result.features} {result.layer} for {result.reader} → {result.path}")
