"""An app factory reading settings from the environment, for multi-process servers."""

from __future__ import annotations

from fastapi import FastAPI

from ceasefire.api.app import create_app
from ceasefire.settings import Settings


def app_from_env() -> FastAPI:
    """``create_app`` with ``Settings()`` (``CEASEFIRE_DB`` etc.), one per worker process."""
    return create_app(Settings.from_cli(None))
