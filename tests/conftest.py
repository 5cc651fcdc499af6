"""Shared fixtures and the report header (library versions the geometry depends on)."""

from __future__ import annotations

import sqlite3

import pyproj
import shapely
import sqlalchemy


def pytest_report_header() -> list[str]:
    """Print GEOS, PROJ, SQLite and SQLAlchemy versions: geometry answers depend on them."""
    return [
        f"GEOS {shapely.geos_version_string}, shapely {shapely.__version__}",
        f"PROJ {pyproj.proj_version_str}, pyproj {pyproj.__version__}",
        f"SQLite {sqlite3.sqlite_version}, SQLAlchemy {sqlalchemy.__version__}",
    ]
