"""Alembic environment: runs on a connection handed in by ``store.migrate`` or on ``-x db=URL``.

Every domain's table module is imported here so ``--autogenerate`` sees the whole schema;
a domain that adds a module under ``store/`` adds its import below.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

import ceasefire.store.access  # registers the HQ access tables
import ceasefire.store.bus_intake  # registers the bus intake turns
import ceasefire.store.changes  # registers the change log
import ceasefire.store.coalition  # registers the coalition tables
import ceasefire.store.fusion  # registers the fusion tables
import ceasefire.store.guarantee_checkpoints  # registers the live evaluator's checkpoint
import ceasefire.store.guarantees  # registers the guarantees tables
import ceasefire.store.ledger  # registers the ledger tables
import ceasefire.store.ownership  # registers the report delegations
import ceasefire.store.read_model  # registers the HQ read-model tables
import ceasefire.store.schema  # noqa: F401 - registers the monitoring tables
from ceasefire.store.metadata import metadata

config = context.config
target_metadata = metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Use the caller's connection when given, else connect to ``-x db=`` or the ini URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("db") or config.get_main_option(
        "sqlalchemy.url"
    )
    if url is None:
        raise RuntimeError("no database URL: pass -x db=URL")
    engine = create_engine(url)
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
    engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run_migrations_online()
