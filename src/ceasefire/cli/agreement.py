"""``ceasefire agreement load|show``: archive agreement versions and show what is loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ceasefire.cli.monitoring_common import cli_store, echo_json, iso_z

app = typer.Typer(
    name="agreement",
    help="Load an agreement version (YAML + the GeoJSON it names) or show the loaded ones.",
    no_args_is_help=True,
)


@app.command("load")
def load(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The agreement YAML file.")],
) -> None:
    """Validate FILE, build its zones, and store it as a new version (idempotent)."""
    # deferred: geometry libraries load only for the commands that need them
    from ceasefire.pipeline.agreements import load_agreement_file  # noqa: PLC0415

    with cli_store(ctx) as store:
        record, created = load_agreement_file(store, file)
    verb = "loaded" if created else "already loaded (unchanged)"
    typer.echo(
        f"{record.agreement_id} version {record.version} {verb}: "
        f"{len(record.zone_ids)} zones, {len(record.geojson)} GeoJSON files"
    )


@app.command("show")
def show(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List the loaded versions: id, version, name, in force from, zones."""
    with cli_store(ctx) as store:
        versions = store.agreement_versions()
    rows = [
        {
            "agreement_id": v.agreement_id,
            "version": v.version,
            "name": v.name,
            "in_force_from": iso_z(v.in_force_from) if v.in_force_from else None,
            "zones": list(v.zone_ids),
            "files": sorted(v.geojson),
            "source_path": v.source_path,
            "loaded_at": iso_z(v.loaded_at) if v.loaded_at else None,
        }
        for v in versions
    ]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo("no agreement loaded: run `ceasefire agreement load FILE`")
    for v in versions:
        start = iso_z(v.in_force_from) if v.in_force_from else "not in force (draft)"
        typer.echo(
            f"{v.agreement_id} v{v.version}  {v.name}\n"
            f"  in force from: {start}\n"
            f"  zones: {', '.join(v.zone_ids) or '-'}\n"
            f"  loaded from {v.source_path}"
        )
