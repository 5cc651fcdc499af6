"""The README's CLI reference lists exactly the commands ``ceasefire --help`` offers.

Whoever adds or removes a command adds or removes its line in the README's "CLI reference"
section: one ``- `ceasefire COMMAND ...``` line per command, and for a command group one line
per subcommand (``- `ceasefire agreement load FILE```).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer

from ceasefire.cli.main import app

README = Path(__file__).resolve().parents[1] / "README.md"
_LINE = re.compile(r"^- `ceasefire ([a-z][a-z0-9-]*(?: [a-z][a-z0-9-]*)?)")


def cli_commands() -> set[str]:
    """``"ingest"``, ``"agreement load"``, ...: every visible command and subcommand."""
    root: Any = typer.main.get_command(app)
    ctx = root.context_class(root)
    names: set[str] = set()
    for name in root.list_commands(ctx):
        command = root.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        if hasattr(command, "list_commands"):  # a group: list its subcommands
            sub_ctx = command.context_class(command, parent=ctx)
            names |= {
                f"{name} {sub}"
                for sub in command.list_commands(sub_ctx)
                if not command.get_command(sub_ctx, sub).hidden
            }
        else:
            names.add(name)
    return names


def readme_commands() -> set[str]:
    """Commands listed in the README's "CLI reference" section."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## CLI reference", 1)[1].split("\n## ", 1)[0]
    return {m.group(1) for line in section.splitlines() if (m := _LINE.match(line.strip()))}


def test_readme_lists_exactly_the_cli_commands() -> None:
    in_cli, in_readme = cli_commands(), readme_commands()
    assert in_cli, "ceasefire --help lists no commands"
    assert sorted(in_cli - in_readme) == [], "commands missing from the README's CLI reference"
    assert sorted(in_readme - in_cli) == [], "README lists commands the CLI does not have"
