"""``ceasefire cot serve``: the CoT gateway for TAK clients (docs/cot.md)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from ceasefire.cli.context import settings_of
from ceasefire.cli.monitoring_common import cli_store, parse_when

app = typer.Typer(name="cot", help="Cursor-on-Target gateway for ATAK/WinTAK/iTAK clients.")


@app.command("serve")
def serve(  # noqa: PLR0917 - one parameter per CLI option
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="Streaming TCP port (needs --tcp-user).")] = 8087,
    tcp_user: Annotated[
        str | None, typer.Option(help="HQ user every plain-TCP client acts as.")
    ] = None,
    tls_port: Annotated[int | None, typer.Option(help="Mutual-TLS port (e.g. 8089).")] = None,
    cert: Annotated[Path | None, typer.Option(help="Server certificate (PEM).")] = None,
    key: Annotated[Path | None, typer.Option(help="Server private key (PEM).")] = None,
    ca: Annotated[Path | None, typer.Option(help="CA that signs client certificates.")] = None,
    since: Annotated[
        str | None, typer.Option(help="Send incidents observed from then (default: last day).")
    ] = None,
) -> None:
    """Serve CoT: observations in (as reports, through the ingest), incidents out, each
    client only what its user (certificate CN, or --tcp-user) may see."""
    from ceasefire.interop.cot_server import CotGateway, GatewayConfig  # noqa: PLC0415
    from ceasefire.interop.export import hq_state  # noqa: PLC0415

    start = parse_when(since, "--since")
    if tcp_user is None and tls_port is None:
        raise typer.BadParameter(
            "give --tcp-user (plain TCP) and/or --tls-port", param_hint="--tcp-user"
        )
    config = GatewayConfig(
        host=host,
        port=port if tcp_user is not None else None,
        tls_port=tls_port,
        cert=cert,
        key=key,
        ca=ca,
        tcp_user=tcp_user,
        since_s=None if start is None else start.timestamp(),
    )
    with cli_store(ctx) as store:
        state = hq_state(settings_of(ctx), store)
        state.gazetteer()  # loaded now, not on the first observation (seconds)
        state.book()

        async def run() -> None:
            gateway = CotGateway(state, config)
            ports = await gateway.start()
            typer.echo(f"cot gateway on {host}: {ports}")
            try:
                await asyncio.Event().wait()
            finally:
                await gateway.stop()

        try:
            asyncio.run(run())
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
        except KeyboardInterrupt:
            pass
