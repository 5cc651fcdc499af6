"""Fixtures for the report tests: the two demo databases, each built once per session."""

from __future__ import annotations

import pytest
from report_checks import Demo, run_demo_cli


@pytest.fixture(scope="session")
def paris_demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """``ceasefire demo --scenario paris-2026`` with 3 simulated days (``make demo`` uses 30)."""
    return run_demo_cli(
        tmp_path_factory.mktemp("paris-demo"), "--scenario", "paris-2026", "--days", "3"
    )


@pytest.fixture(scope="session")
def minsk_demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """``ceasefire demo --scenario minsk-2015``: the real UCDP events 2015-2018."""
    return run_demo_cli(tmp_path_factory.mktemp("minsk-demo"), "--scenario", "minsk-2015")
