"""Types shared by the CLI tests."""

from __future__ import annotations

from collections.abc import Callable

from typer.testing import Result

#: ``cli("ingest", "a.ndjson")`` runs ``ceasefire --db <test db> ingest a.ndjson`` in-process.
Invoke = Callable[..., Result]
