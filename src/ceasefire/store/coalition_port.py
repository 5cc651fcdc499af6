"""``CoalitionReads`` in SQLAlchemy Core: the registry, pledges and requirements read in one
connection (the solver and the CLI lists want them as of one moment)."""

from __future__ import annotations

from sqlalchemy import Engine

from ceasefire.coalition.model import Pledge, Registry, Requirement
from ceasefire.store.coalition import read_pledges, read_registry, read_requirements


class SqlCoalitionReads:
    """The coalition's stored state of one database (``store.ports.CoalitionReads``)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def registry(self) -> Registry:
        """Members and declarations."""
        with self._engine.connect() as conn:
            return read_registry(conn)

    def pledges(self) -> list[Pledge]:
        """Pledges with their status ladders."""
        with self._engine.connect() as conn:
            return read_pledges(conn)

    def requirements(self) -> list[Requirement]:
        """Force requirements."""
        with self._engine.connect() as conn:
            return read_requirements(conn)

    def all(self) -> tuple[Registry, list[Pledge], list[Requirement]]:
        """The registry, pledges and requirements, read in one connection."""
        with self._engine.connect() as conn:
            return read_registry(conn), read_pledges(conn), read_requirements(conn)
