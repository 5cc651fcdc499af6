"""Geometry fixtures: a hand-checkable synthetic agreement and the two real scenarios.

The synthetic theatre: the contact line runs along the meridian 37°E from 47°N to 49°N (a
meridian is a geodesic, so a point reached by ``Geod.fwd`` at azimuth 90°/270° from it is
exactly that far from the line); UKR holds 35-37°E, RUS 37-39°E (46.5-49.5°N). Zones: a 10 km
band each side, a RUS-only 25 km band measured from RUS's own baseline along 37.2°E, a
small area zone, and one storage site (radius 1 km) at 36.5°E 48°N.
"""

from __future__ import annotations

import pytest
from geo_builders import write_synthetic

from ceasefire.agreement import Agreement, load_agreement
from ceasefire.geo import Geography, compile_geography
from ceasefire.scenarios import scenario_dir


@pytest.fixture(scope="session")
def synthetic_agreement(tmp_path_factory: pytest.TempPathFactory) -> Agreement:
    """The synthetic agreement, loaded."""
    return load_agreement(write_synthetic(tmp_path_factory.mktemp("synthetic")))


@pytest.fixture(scope="session")
def synthetic_geo(synthetic_agreement: Agreement) -> Geography:
    """The synthetic agreement's compiled geography."""
    return compile_geography(synthetic_agreement)


@pytest.fixture(scope="session")
def minsk_geo() -> Geography:
    """The real minsk-2015 geography."""
    return compile_geography(load_agreement(scenario_dir("minsk-2015") / "agreement.yaml"))


@pytest.fixture(scope="session")
def paris_geo() -> Geography:
    """The real paris-2026 geography."""
    return compile_geography(load_agreement(scenario_dir("paris-2026") / "agreement.yaml"))
