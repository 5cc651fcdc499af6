"""``ceasefire users``: HQ accounts (nation or organisation, clearance, roles, token)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ceasefire.cli.monitoring_common import cli_stores, echo_json

app = typer.Typer(name="users", help="HQ users: nation, clearance, roles, tokens.")

ROLES_HELP = "monitor | analyst | commission | liaison | commander | admin (repeatable)"


@app.command("add")
def add(  # noqa: PLR0917 - one parameter per CLI option
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[list[str], typer.Option("--role", help=ROLES_HELP)],
    nation: Annotated[str | None, typer.Option("--nation", help="ISO 3166-1 alpha-3")] = None,
    organisation: Annotated[str | None, typer.Option("--organisation")] = None,
    clearance: Annotated[str, typer.Option("--clearance")] = "SECRET",
    password: Annotated[
        str | None, typer.Option("--password", help="For the web login (default: generated).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create a user; prints the API token (and password) once: only hashes are stored."""
    from ceasefire.access.model import Role  # noqa: PLC0415
    from ceasefire.access.secrets import new_password  # noqa: PLC0415
    from ceasefire.api.accounts import create_account  # noqa: PLC0415
    from ceasefire.clock import SystemClock  # noqa: PLC0415
    from ceasefire.errors import InputError  # noqa: PLC0415
    from ceasefire.reports.model import Classification  # noqa: PLC0415

    with cli_stores(ctx) as stores:
        stores.store.init_schema()
        try:
            roles = [Role(r) for r in role]
        except ValueError as exc:
            raise InputError("role", "enum", f"{exc}; one of {ROLES_HELP}") from exc
        try:
            level = Classification(clearance)
        except ValueError as exc:
            raise InputError(
                "clearance", "enum", f"{clearance!r}: one of {', '.join(Classification)}"
            ) from exc
        account = create_account(
            stores.access,
            name=name,
            nation=nation,
            organisation=organisation,
            clearance=level,
            roles=roles,
            password=password or new_password(),
            now=SystemClock().now(),
        )
    if as_json:
        echo_json({"name": name, "token": account.token, "password": account.password})
        return
    typer.echo(f"user {name} ({account.user.principal}, {level.value}, {', '.join(role)})")
    typer.echo(f"token (shown once): {account.token}")
    typer.echo(f"password (shown once): {account.password}")


@app.command("list")
def list_users(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Users with nation or organisation, clearance and roles (never secrets)."""
    with cli_stores(ctx) as stores:
        users = stores.access.users()
    rows: list[dict[str, Any]] = [
        {
            "name": u.name,
            "nation": u.nation,
            "organisation": u.organisation,
            "clearance": u.clearance.value,
            "roles": sorted(r.value for r in u.roles),
        }
        for u in users
    ]
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        typer.echo(
            f"{r['name']:<20} {r['nation'] or r['organisation']:<6} {r['clearance']:<12} "
            f"{', '.join(r['roles'])}"
        )


@app.command("delegate")
def delegate(
    ctx: typer.Context,
    nation: Annotated[str, typer.Option("--nation", help="The delegating nation or organisation.")],
    to: Annotated[str, typer.Option("--to", help="An account of that nation.")],
    revoke: Annotated[bool, typer.Option("--revoke", help="Take the delegation back.")] = False,
) -> None:
    """Let an account amend and withdraw every report of its nation, not only its own.

    Without a delegation, only the account that sent a report may amend or withdraw it. The
    grant and the revocation are chained on the ledger (``report.delegation``).
    """
    from ceasefire.clock import SystemClock  # noqa: PLC0415

    with cli_stores(ctx) as stores:
        changed = stores.access.set_delegation(
            principal=nation, name=to, granted=not revoke, now=SystemClock().now()
        )
    verb = "revoked" if revoke else "granted"
    state = verb if changed else f"already {verb}"
    typer.echo(f"delegation of {to} by {nation}: {state}")
