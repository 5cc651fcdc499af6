"""The coalition services: load a scenario, import or add pledges, climb a pledge's ladder.

They parse the files and apply the rules (the registry a pledge must fit, the caveats' areas,
the status ladder); the store (``CoalitionStore``, implemented by
``store.coalition.SqlCoalition`` on either backend) only reads and writes rows, each write in
one transaction, so a refused file leaves the database as it was. The store never imports
this module (import-linter, ``pyproject.toml``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from ceasefire.coalition.caveats import Geographic
from ceasefire.coalition.loader import CoalitionScenario, parse_pledges, parse_registry
from ceasefire.coalition.loader import parse_requirements as parse_requirement_file
from ceasefire.coalition.model import Pledge, Registry, Requirement, StatusChange, check_ladder
from ceasefire.errors import InputError, NotFoundError, StoreError


class CoalitionStore(Protocol):
    """The coalition tables of one database."""

    def read_registry(self) -> Registry:
        """The stored registry (empty when none is loaded)."""
        ...

    def pledge_ids(self) -> set[str]:
        """Ids of every stored pledge."""
        ...

    def read_pledge(self, pledge_id: str) -> Pledge | None:
        """One stored pledge with its status history (None: no such pledge)."""
        ...

    def save_scenario(
        self,
        registry: Registry,
        pledges: Sequence[Pledge],
        requirements: Sequence[Requirement],
        *,
        loaded_at: datetime,
    ) -> None:
        """Registry rows not stored yet, the pledges not stored yet (with their rungs, on the
        ledger) and the CJSOR lines (replacing those of the same id), in one transaction."""
        ...

    def add_pledges(self, items: Sequence[Pledge], *, loaded_at: datetime) -> None:
        """New pledges with their rungs (on the ledger), in one transaction; StoreError when
        an id is stored already or a nation is not in the stored registry."""
        ...

    def add_rung(self, pledge: Pledge, seq: int, change: StatusChange, *, now: datetime) -> None:
        """Append rung ``seq`` to ``pledge``'s ladder (on the ledger, recorded at ``now``);
        StoreError when another rung took ``seq`` meanwhile."""
        ...


def load_coalition_scenario(
    store: CoalitionStore, scenario_dir: Path, *, now: datetime | None = None
) -> CoalitionScenario:
    """Load a scenario's ``coalition.yaml``, ``pledges.yaml``, ``requirements.yaml`` into a store.

    Everything is validated before anything is written, and written in one transaction.
    Pledges already stored with the same id are left untouched (loading twice is a no-op for
    them; their history grows only through ``append_status``).
    """
    registry = parse_registry(scenario_dir / "coalition.yaml")
    items = parse_pledges(scenario_dir / "pledges.yaml", registry)
    reqs = parse_requirement_file(scenario_dir / "requirements.yaml", registry)
    store.save_scenario(registry, items, reqs, loaded_at=now or datetime.now(UTC))
    return CoalitionScenario(registry, tuple(items), tuple(reqs))


def import_pledge_file(store: CoalitionStore, path: Path, *, now: datetime) -> list[Pledge]:
    """Validate a pledges file against the stored registry and store it all, or nothing.

    Raises ``RefusedFileError`` (every problem with file, line and rule) before any write.
    """
    registry = store.read_registry()
    if not registry.members:
        raise StoreError("the coalition registry is empty: load coalition.yaml first")
    items = parse_pledges(path, registry, existing_ids=store.pledge_ids())
    store.add_pledges(items, loaded_at=now)
    return items


def add_pledge(store: CoalitionStore, pledge: Pledge, *, now: datetime) -> None:
    """Record one pledge given on the command line: its nation must be a registered member
    and every geographic caveat must name registered areas (``InputError`` otherwise)."""
    registry = store.read_registry()
    if pledge.nation not in registry.member_ids():
        raise InputError("--nation", "unknown-nation", f"{pledge.nation!r} is not in the registry")
    known = set(registry.area_by_id())
    for c in pledge.caveats:
        if isinstance(c, Geographic) and not c.areas <= known:
            unknown = ", ".join(sorted(c.areas - known))
            raise InputError("--caveat", "unknown-area", f"{unknown} not in the registry")
    store.add_pledges([pledge], loaded_at=now)


def append_status(
    store: CoalitionStore, pledge_id: str, change: StatusChange, *, now: datetime | None = None
) -> int:
    """Append one rung to a pledge's ladder (checked by ``check_ladder``); returns its seq.

    The rung also goes on the ledger's hash chain (when the ledger tables exist), recorded at
    ``now`` (default: the wall clock).
    """
    pledge = store.read_pledge(pledge_id)
    if pledge is None:
        raise NotFoundError(f"no pledge {pledge_id!r}")
    check_ladder(pledge.history, change)
    seq = len(pledge.history)
    store.add_rung(pledge, seq, change, now=now or datetime.now(UTC))
    return seq
