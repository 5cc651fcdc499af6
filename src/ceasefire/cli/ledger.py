"""``ceasefire ledger checkpoint|countersign|export|verify``: the record no one can quietly rewrite.

``verify`` needs no database: only the export file and, ideally, the public keys the verifying
nation trusts (``--trust-key``). It exits 0 when every rule holds, 1 at the first failure
(printing the line, the entry number and the rule), 2 on a usage error.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from ceasefire.cli.keys import DEFAULT_KEYS_DIR, KeysDir, ledger_store, ledger_stores
from ceasefire.cli.monitoring_common import echo_json, fail
from ceasefire.clock import SystemClock
from ceasefire.errors import CeasefireError, InputError, NotFoundError
from ceasefire.ledger.export import export_ledger, export_lines
from ceasefire.ledger.model import HQ_OWNER, KeyRole
from ceasefire.ledger.ports import LedgerStore
from ceasefire.ledger.service import countersign as countersign_checkpoints
from ceasefire.ledger.service import create_checkpoint
from ceasefire.ledger.verify import Verdict, check_extends, verify_file, verify_lines
from ceasefire.reports.model import Classification

app = typer.Typer(name="ledger", help="The hash-chained, signed record.", no_args_is_help=True)

KeyFile = Annotated[
    Path | None,
    typer.Option("--key", help="Private key file (default: the owner's newest key in --keys-dir)."),
]
EXIT_FAILED = 1


def _private_key_path(ledger: LedgerStore, owner: str, role: KeyRole, keys_dir: Path) -> Path:
    """The newest registered key of ``owner`` whose private file is in ``keys_dir``."""
    for key in reversed(ledger.public_keys()):
        if key.owner == owner and key.role is role:
            path = keys_dir / f"{owner}-{key.fingerprint[:8]}.key"
            if path.exists():
                return path
    hint = "--hq" if role is KeyRole.HQ else f"--nation {owner}"
    raise NotFoundError(f"no {role} key of {owner} in {keys_dir}: run `ceasefire keys add {hint}`")


@app.command("checkpoint")
def checkpoint(
    ctx: typer.Context, key: KeyFile = None, keys_dir: KeysDir = DEFAULT_KEYS_DIR
) -> None:
    """Sign a Merkle root over every entry since the last checkpoint, with the HQ key."""
    from ceasefire.ledger.keys import load_private_key  # noqa: PLC0415 - cryptography is slow to import

    with ledger_store(ctx) as ledger:
        path = key or _private_key_path(ledger, HQ_OWNER, KeyRole.HQ, keys_dir)
        made = create_checkpoint(ledger, load_private_key(path), clock=SystemClock())
    if made is None:
        typer.echo("nothing to checkpoint: no entries since the last checkpoint")
        return
    typer.echo(
        f"checkpoint {made.seq}: entries {made.first_seq}..{made.last_seq}, "
        f"Merkle root {made.root}, signed by HQ"
    )


@app.command("countersign")
def countersign(
    ctx: typer.Context,
    nation: Annotated[str, typer.Option("--nation", help="ISO 3166 alpha-3 code, e.g. FRA.")],
    key: KeyFile = None,
    keys_dir: KeysDir = DEFAULT_KEYS_DIR,
) -> None:
    """Verify the ledger, then countersign every checkpoint this nation has not signed yet."""
    from ceasefire.ledger.keys import load_private_key  # noqa: PLC0415 - cryptography is slow to import

    owner = nation.upper()
    with ledger_store(ctx) as ledger:
        path = key or _private_key_path(ledger, owner, KeyRole.NATION, keys_dir)
        private = load_private_key(path)
        lines, _summary = export_lines(ledger)
        verdict = verify_lines(lines)  # streamed: the export is never held in memory
        if not verdict.ok:
            _print_verdict(verdict, Path("<database>"))
            raise typer.Exit(EXIT_FAILED)
        signed = countersign_checkpoints(ledger, private, clock=SystemClock())
    if not signed:
        typer.echo(f"{owner} has already countersigned every checkpoint")
        return
    seqs = ", ".join(str(s.checkpoint_seq) for s in signed)
    typer.echo(f"{owner} countersigned checkpoint(s) {seqs}")


@app.command("export")
def export(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="File to write (JSON Lines).")],
    for_nation: Annotated[
        str | None,
        typer.Option(
            "--for",
            help="Export for this nation (e.g. FRA): entries it may not read are withheld "
            "(commitment only). Default: the HQ's full export.",
        ),
    ] = None,
    clearance: Annotated[
        Classification,
        typer.Option(
            "--clearance",
            help="Clearance the nation's export is made for (default the lowest: raise it "
            "only for a recipient cleared higher).",
            case_sensitive=False,
        ),
    ] = Classification.UNCLASSIFIED,
) -> None:
    """Write every checkpointed entry, checkpoint, signature and key to one file."""
    from ceasefire.ledger.marking import nation_viewer, release_rule  # noqa: PLC0415

    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    with ledger_stores(ctx) as stores:
        ledger, release = stores.ledger, None
        if for_nation is not None:
            groups = stores.access.release_groups()
            release = release_rule(nation_viewer(for_nation.upper(), clearance, groups))
        try:
            with tmp.open("wb") as handle:
                summary = export_ledger(ledger, handle, release=release)
            tmp.replace(out)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            fail(InputError(str(out), "writable", f"cannot write: {exc.strerror}"))
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    audience = "HQ (every entry released)"
    if for_nation is not None:
        audience = f"{for_nation.upper()} at {clearance} (entries it may not read withheld)"
    typer.echo(
        f"{out}: for {audience}: ledger {summary.ledger_id}, {summary.entries} entries, "
        f"{summary.checkpoints} checkpoints, {summary.signatures} signatures, "
        f"{summary.keys} keys; SHA-256 {digest}"
    )
    if summary.uncovered_entries:
        typer.echo(
            f"note: {summary.uncovered_entries} newer entries are not exported: "
            "run `ceasefire ledger checkpoint` first"
        )


@app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(help="An export written by `ceasefire ledger export`.")],
    trust_key: Annotated[
        list[Path] | None,
        typer.Option(
            "--trust-key", help="A trusted public key (.pub.json record or PEM); repeatable."
        ),
    ] = None,
    min_countersignatures: Annotated[
        int, typer.Option(help="Nation signatures required on every checkpoint.", min=0)
    ] = 0,
    previous: Annotated[
        Path | None,
        typer.Option(help="An earlier export of the same ledger: FILE must extend it unchanged."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The verdict as JSON.")] = False,
) -> None:
    """Check an export offline: bytes, chain, hashes, Merkle roots, signatures, coverage."""
    from ceasefire.ledger.keys import TrustedKey, load_trusted_key  # noqa: PLC0415 - cryptography is slow

    try:
        trusted: list[TrustedKey] = [load_trusted_key(p) for p in trust_key or []]
        for path in (file, previous):
            if path is not None and not path.is_file():
                raise InputError(str(path), "exists", "no such file")
        verdict = verify_file(file, trusted=trusted, min_countersignatures=min_countersignatures)
        if previous is not None and verdict.ok:
            verdict = _against_previous(verdict, previous)
    except CeasefireError as exc:
        fail(exc)
    if as_json:
        echo_json(_verdict_dict(verdict))
    else:
        _print_verdict(verdict, file)
    if not verdict.ok:
        raise typer.Exit(EXIT_FAILED)


def _against_previous(verdict: Verdict, previous: Path) -> Verdict:
    """``verdict`` with the failure of the comparison with an earlier export, if any."""
    earlier = verify_file(previous)
    if not earlier.ok and earlier.failure is not None:
        failure = earlier.failure
        message = f"the previous export {previous} fails: {failure.message}"
        return replace(verdict, failure=replace(failure, message=message))
    return replace(verdict, failure=check_extends(earlier, verdict))


def _print_verdict(verdict: Verdict, file: Path) -> None:
    failure = verdict.failure
    if failure is not None:
        where = f"line {failure.line_no}" if failure.line_no is not None else "end of file"
        if failure.entry_seq is not None:
            where += f" (entry {failure.entry_seq})"
        typer.echo(f"FAILED: {file}: {where}: rule {failure.rule}: {failure.message}")
        return
    withheld = f" ({verdict.withheld} withheld)" if verdict.withheld else ""
    typer.echo(
        f"VERIFIED: {file}: ledger {verdict.ledger_id}: {verdict.entries} entries{withheld}, "
        f"{verdict.checkpoints} checkpoints, {verdict.signatures} signatures"
    )
    for tally in verdict.signers:
        typer.echo(
            f"  {tally.owner} ({tally.role}) key {tally.fingerprint[:16]}… "
            f"signed {tally.checkpoints} of {verdict.checkpoints} checkpoints"
        )
    if not verdict.trusted:
        typer.echo(
            "warning: signatures were checked against the keys inside the file; "
            "pass --trust-key to check who signed"
        )


def _verdict_dict(verdict: Verdict) -> dict[str, object]:
    failure = verdict.failure
    return {
        "ok": verdict.ok,
        "ledger": verdict.ledger_id,
        "entries": verdict.entries,
        "withheld": verdict.withheld,
        "checkpoints": verdict.checkpoints,
        "signatures": verdict.signatures,
        "trusted_keys": verdict.trusted,
        "signers": [
            {
                "owner": t.owner,
                "role": t.role,
                "fingerprint": t.fingerprint,
                "signed": t.checkpoints,
            }
            for t in verdict.signers
        ],
        "failure": None
        if failure is None
        else {
            "line": failure.line_no,
            "entry": failure.entry_seq,
            "rule": str(failure.rule),
            "message": failure.message,
        },
    }
