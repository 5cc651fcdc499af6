"""Where the bundled scenarios live: ``scenarios/<name>/`` at the repository root."""

from __future__ import annotations

from pathlib import Path

from ceasefire.errors import NotFoundError

#: The repository's ``scenarios/`` directory (next to ``src/``).
SCENARIOS_ROOT = Path(__file__).resolve().parents[2] / "scenarios"


def scenario_dir(name: str) -> Path:
    """The directory of scenario ``name`` (e.g. ``minsk-2015``); ``NotFoundError`` if missing.

    >>> scenario_dir("paris-2026").name
    'paris-2026'
    """
    path = SCENARIOS_ROOT / name
    if not name or "/" in name or "\\" in name or name.startswith(".") or not path.is_dir():
        known = (
            sorted(p.name for p in SCENARIOS_ROOT.iterdir() if p.is_dir())
            if SCENARIOS_ROOT.is_dir()
            else []
        )
        raise NotFoundError(f"no scenario {name!r} in {SCENARIOS_ROOT} (known: {', '.join(known)})")
    return path
