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
    from sqlalchemy import Engine

    from ceasefire.coalition.model import Sourced

# SQLAlchemy and the store are imported inside the commands: they are slow to import, and
# every ``ceasefire`` invocation (even --help) imports this module.

app = typer.Typer(
    name="coalition", help="Coalition members and declarations.", no_args_is_help=True
)


@contextmanager
def coalition_engine(ctx: typer.Context) -> Iterator[Engine]:
    """The store's engine; domain errors become one ``error: ...`` line and exit code 2."""
    from sqlalchemy import Engine, inspect  # noqa: PLC0415

    from ceasefire.store.base import open_store  # noqa: PLC0415

    try:
        store = open_store(settings_of(ctx))
    except CeasefireError as exc:
        fail(exc)
    try:
        engine = getattr(store, "engine", None)
        if not isinstance(engine, Engine):
            raise StoreError("this store backend has no coalition tables")
        if not inspect(engine).has_table("pledges"):
            raise StoreError("no coalition tables: run `ceasefire init` first")
        yield engine
    except CeasefireError as exc:
        fail(exc)
    finally:
        store.close()


def _sourced(s: Sourced) -> dict[str, object]:
    return {"source": s.source, "as_of": s.as_of.isoformat(), "illustrative": s.illustrative}


def _yes(flag: bool) -> str:
    return "illustrative" if flag else ""


AsJson = Annotated[bool, typer.Option("--json", help="JSON instead of a table.")]


@app.command("members")
def members(ctx: typer.Context, as_json: AsJson = False) -> None:
    """List coalition participants with role and the source and date each row rests on."""
    from ceasefire.store.coalition import read_registry  # noqa: PLC0415

    with coalition_engine(ctx) as engine, engine.connect() as conn:
        registry = read_registry(conn)
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
    from ceasefire.store.coalition import read_registry  # noqa: PLC0415

    with coalition_engine(ctx) as engine, engine.connect() as conn:
        registry = read_registry(conn)
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
    from ceasefire.store.coalition import SqlCoalition  # noqa: PLC0415

    with coalition_engine(ctx) as engine:
        scenario = load_coalition_scenario(SqlCoalition(engine), scenario_dir)
    typer.echo(
        f"loaded {len(scenario.registry.members)} members, {len(scenario.pledges)} pledges, "
        f"{len(scenario.requirements)} requirement lines from {scenario_dir}"
    )
