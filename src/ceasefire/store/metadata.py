"""The one SQLAlchemy ``MetaData`` every domain's tables hang on.

Each domain keeps its tables in its own module under ``store/`` (monitoring in ``schema.py``,
coalition, guarantees, ledger in theirs) so that no module grows into a god schema; Alembic
sees them all through this object.
"""

from __future__ import annotations

from sqlalchemy import MetaData

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
