"""``ceasefire keys add|list``: signing keys of the HQ and the nations.

``keys add`` creates an Ed25519 keypair, registers the PUBLIC key in the database (and records
``key.added`` in the ledger), writes the private key to ``<keys-dir>/<OWNER>-<fp8>.key`` with
mode 0600 and a shareable public record next to it, and prints both paths: never the key.
The HQ key is created explicitly with ``keys add --hq`` before the first checkpoint, so that
the moment a signing key comes into being is a deliberate act with a record.
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
from ceasefire.clock import SystemClock
from ceasefire.errors import CeasefireError, InputError, StoreError
from ceasefire.ledger.canonical import format_timestamp
from ceasefire.ledger.model import HQ_OWNER, KeyRole
from ceasefire.ledger.service import register_key

if TYPE_CHECKING:
    from ceasefire.ledger.ports import LedgerStore
    from ceasefire.store.stores import Stores

# The store (SQLAlchemy) is imported inside the commands: every ``ceasefire`` invocation
# (even --help) imports this module.

app = typer.Typer(name="keys", help="Signing keys of the HQ and the nations.", no_args_is_help=True)

KeysDir = Annotated[
    Path, typer.Option("--keys-dir", help="Directory of private key files (created 0700).")
]
DEFAULT_KEYS_DIR = Path("keys")


@contextmanager
def ledger_stores(ctx: typer.Context) -> Iterator[Stores]:
    """The ports of ``--db``, with the ledger tables; errors become one ``error: ...`` line
    and exit code 2."""
    from ceasefire.store.stores import open_stores  # noqa: PLC0415

    try:
        stores = open_stores(settings_of(ctx))
    except CeasefireError as exc:
        fail(exc)
    try:
        if not stores.has_table("ledger_entries"):
            raise StoreError("no ledger tables: run `ceasefire init` first")
        yield stores
    except CeasefireError as exc:
        fail(exc)
    finally:
        stores.close()


@contextmanager
def ledger_store(ctx: typer.Context) -> Iterator[LedgerStore]:
    """The ledger of ``--db`` (``ledger_stores``)."""
    with ledger_stores(ctx) as stores:
        yield stores.ledger


@app.command("add")
def add(
    ctx: typer.Context,
    nation: Annotated[
        str | None, typer.Option("--nation", help="ISO 3166 alpha-3 code, e.g. FRA.")
    ] = None,
    hq: Annotated[bool, typer.Option("--hq", help="Create the HQ signing key.")] = False,
    keys_dir: KeysDir = DEFAULT_KEYS_DIR,
) -> None:
    """Create a signing key; store its public half; write the private half (0600)."""
    from ceasefire.ledger.keys import generate_key  # noqa: PLC0415 - cryptography is slow to import

    if (nation is None) == (not hq):
        fail(InputError("--nation/--hq", "exactly-one", "give either --nation CODE or --hq"))
    role = KeyRole.HQ if hq else KeyRole.NATION
    owner = HQ_OWNER if hq else str(nation).upper()
    clock = SystemClock()
    with ledger_store(ctx) as ledger:
        new = generate_key(owner, role, keys_dir, created_at=format_timestamp(clock.now()))
        register_key(ledger, new.public, clock=clock)
    typer.echo(f"{role} key for {owner}: fingerprint {new.public.fingerprint}")
    typer.echo(f"private key: {new.private_path} (mode 0600, keep it secret, never share it)")
    typer.echo(f"public record: {new.public_path} (give it to verifiers: --trust-key)")


@app.command("list")
def list_keys(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """List registered public keys: owner, role, fingerprint, creation time."""
    with ledger_store(ctx) as ledger:
        keys = ledger.public_keys()
    if as_json:
        echo_json(
            [
                {
                    "owner": k.owner,
                    "role": str(k.role),
                    "fingerprint": k.fingerprint,
                    "public_key": k.public_key,
                    "created_at": k.created_at,
                }
                for k in keys
            ]
        )
        return
    table = Table(title=f"Signing keys ({len(keys)})")
    for col in ("owner", "role", "fingerprint", "created"):
        table.add_column(col, overflow="fold")
    for k in keys:
        table.add_row(k.owner, str(k.role), k.fingerprint, k.created_at)
    print_table(table)
