"""One settings object, built at the edge (CLI, app factory) and passed in, never a global."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from ceasefire.errors import InputError

DEFAULT_DB_FILE = "ceasefire.db"


class Settings(BaseSettings):
    """Process-wide configuration; every field can be set as ``CEASEFIRE_<FIELD>``.

    ``db`` is an SQLAlchemy URL; the default is an SQLite file in the working directory, so
    one laptop with no server is enough.
    """

    model_config = SettingsConfigDict(env_prefix="CEASEFIRE_", extra="ignore")

    db: str = f"sqlite:///{DEFAULT_DB_FILE}"
    #: reports per ingest transaction (``pipeline.ingest.DEFAULT_CHUNK_SIZE`` says why)
    ingest_batch_size: int = 100_000
    #: NATS JetStream URL (``nats://host:4222``, several comma-separated for a cluster): intake
    #: goes to the bus and workers process it, live streams are woken by it (docs/bus.md);
    #: ``None``, the laptop default: everything in process, no bus.
    bus: str | None = None

    def with_bus(self, bus: str | None) -> Settings:
        """These settings with an explicit ``--bus`` winning over ``CEASEFIRE_BUS``."""
        if not bus:
            return self
        if not bus.startswith(("nats://", "tls://")):
            raise InputError("bus", "nats_url", f"{bus!r} is not a nats:// or tls:// URL")
        return self.model_copy(update={"bus": bus})

    @classmethod
    def from_cli(cls, db: str | None) -> Settings:
        """Build settings, letting an explicit ``--db`` win over ``CEASEFIRE_DB``."""
        settings = cls()
        if db:
            settings = settings.model_copy(update={"db": normalise_db_url(db)})
        else:
            settings = settings.model_copy(update={"db": normalise_db_url(settings.db)})
        return settings


def normalise_db_url(value: str) -> str:
    """Accept a bare file path as shorthand for an SQLite URL.

    >>> normalise_db_url("demo/ceasefire.db")
    'sqlite:///demo/ceasefire.db'
    >>> normalise_db_url("postgresql+psycopg://localhost/ceasefire")
    'postgresql+psycopg://localhost/ceasefire'
    """
    if "://" in value:
        return value
    return f"sqlite:///{Path(value)}"
