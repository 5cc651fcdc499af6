"""``ceasefire coalition members|declarations|load``: the coalition registry, with sources.

Also holds what the pledge and force commands share: opening the coalition tables of the
store (refusing a database that ``ceasefire init`` has not brought to migration 0002).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ceasefire.cli.context import settings_of
from ceasefire.cli.monitoring_common import echo_json, fail
from ceasefire.cli.output import print_table
from ceasefire.errors import CeasefireError, StoreError

if TYPE_CHECKING:
    from ceasefire.coalition.model import Sourced
    from ceasefire.store.stores import Stores

# SQLAlchemy and the store are imported inside the commands: they are slow to import, and
# every ``ceasefire`` invocation (even --help) imports this module.

app = typer.Typer(
    name="coalition", help="Coalition members and declarations.", no_args_is_help=True
)


@contextmanager
def coalition_stores(ctx: typer.Context) -> Iterator[Stores]:
    """The store's ports, with the coalition tables; domain errors become one
    ``error: ...`` line and exit code 2."""
    from ceasefire.store.stores import open_stores  # noqa: PLC0415

    try:
        stores = open_stores(settings_of(ctx))
    except CeasefireError as exc:
        fail(exc)
    try:
        if not stores.has_table("pledges"):
            raise StoreError("no coalition tables: run `ceasefire init` first")
        yield stores
    except CeasefireError as exc:
        fail(exc)
    finally:
        stores.close()


def _sourced(s: Sourced) -> dict[str, object]:
    return {"source": s.source, "as_of": s.as_of.isoformat(), "illustrative": s.illustrative}


def _yes(flag: bool) -> str:
    return "illustrative" if flag else ""


AsJson = Annotated[bool, typer.Option("--json", help="JSON instead of a table.")]


@app.command("members")
def members(ctx: typer.Context, as_json: AsJson = False) -> None:
    """List coalition participants with role and the source and date each row rests on."""
    with coalition_stores(ctx) as stores:
        registry = stores.coalition_reads.registry()
    if as_json:
        rows = [
            {"id": m.id, "name": m.name, "kind": str(m.kind), "role": str(m.role), "note": m.note}
            | _sourced(m.sourced)
            for m in registry.members
        ]
        echo_json(rows)
        return
    table = Table(title=f"Coalition members ({len(registry.members)})")
    for col in ("id", "name", "kind", "role", "as of", "source", "note"):
        table.add_column(col, overflow="fold")
    for m in registry.members:
        note = "; ".join(x for x in (m.note, _yes(m.sourced.illustrative)) if x)
        table.add_row(
            m.id, m.name, m.kind, m.role, m.sourced.as_of.isoformat(), m.sourced.source, note
        )
    print_table(table)


@app.command("declarations")
def declarations(ctx: typer.Context, as_json: AsJson = False) -> None:
    """List declarations and instruments with their signatories and sources."""
    with coalition_stores(ctx) as stores:
        registry = stores.coalition_reads.registry()
    if as_json:
        rows = [
            {
                "id": d.id,
                "title": d.title,
                "signed_on": d.signed_on.isoformat(),
                "signatories": list(d.signatories),
                "note": d.note,
            }
            | _sourced(d.sourced)
            for d in registry.declarations
        ]
        echo_json(rows)
        return
    table = Table(title="Declarations and instruments")
    for col in ("id", "signed", "title", "signatories", "source", "note"):
        table.add_column(col, overflow="fold")
    for d in registry.declarations:
        note = "; ".join(x for x in (d.note, _yes(d.sourced.illustrative)) if x)
        table.add_row(
            d.id,
            d.signed_on.isoformat(),
            d.title,
            f"{len(d.signatories)}: {' '.join(d.signatories)}",
            d.sourced.source,
            note,
        )
    print_table(table)


@app.command("load")
def load(
    ctx: typer.Context,
    scenario_dir: Annotated[
        Path, typer.Argument(help="Directory with coalition.yaml, pledges.yaml, requirements.yaml.")
    ],
) -> None:
    """Load a scenario's registry, pledges and CJSOR into the store (all or nothing)."""
    from ceasefire.coalition.service import load_coalition_scenario  # noqa: PLC0415

    with coalition_stores(ctx) as stores:
        scenario = load_coalition_scenario(stores.coalition, scenario_dir)
    typer.echo(
        f"loaded {len(scenario.registry.members)} members, {len(scenario.pledges)} pledges, "
        f"{len(scenario.requirements)} requirement lines from {scenario_dir}"
    )
