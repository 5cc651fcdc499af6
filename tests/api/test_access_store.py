"""The HQ access tables: migration equals metadata; labels are kept with the reports."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from api_helpers import HQ, report, schema_drift
from sqlalchemy import Engine, func, select

from ceasefire.access.model import Viewer
from ceasefire.access.releasability import groups_containing, releasable
from ceasefire.settings import Settings
from ceasefire.store.access import ACCESS_TABLES, release_groups, release_labels
from ceasefire.store.access_sql import load_release_groups, shipped_release_groups
from ceasefire.store.base import open_store
from ceasefire.store.queries import engine_of


def test_migration_creates_exactly_the_access_tables(fresh_db: str) -> None:
    store = open_store(Settings(db=fresh_db))
    store.init_schema()
    assert schema_drift(engine_of(store), ACCESS_TABLES) == []
    store.close()


def test_every_distinct_releasability_label_is_recorded_with_its_reports(hq: HQ) -> None:
    hq.ingest(
        [
            report("a", releasable_to=["USA", "GBR"]),
            report("b", source="OP-2", releasable_to=["FVEY"]),
            report("c", source="OP-3"),
        ]
    )
    with engine_of(hq.state.store).connect() as conn:
        labels = set(conn.execute(select(release_labels.c.label)).scalars())
    assert labels == {"USA;GBR", "FVEY", ""}


def test_shipped_groups_are_literal_lists_with_a_source_and_date() -> None:
    groups = shipped_release_groups()
    assert len(groups["NATO"]) == 32
    assert len(groups["EU"]) == 27
    assert groups_containing("FRA", groups) >= {"NATO", "EU", "MNF", "COALITION"}
    # an organisation named in a group is that organisation, not its member states
    assert groups_containing("HUN", groups) == {"NATO", "EU"}
    assert "COALITION" in groups_containing("NATO", groups)
    usa = Viewer("USA", 3, frozenset({"USA"}) | groups_containing("USA", groups), True)
    assert releasable("FVEY", usa)
    assert releasable(None, usa)
    assert not releasable("MNF", usa)


def test_processes_starting_together_on_a_new_database_all_get_the_release_groups(
    fresh_db: str,
) -> None:
    """Server workers start at once and each seeds the groups on first use: none may fail."""
    stores = [open_store(Settings(db=fresh_db)) for _ in range(6)]
    stores[0].init_schema()
    engines = [engine_of(store) for store in stores]
    start = threading.Barrier(len(engines))

    def first_use(engine: Engine) -> dict[str, frozenset[str]]:
        start.wait()
        return load_release_groups(engine)

    with ThreadPoolExecutor(len(engines)) as pool:
        seen = list(pool.map(first_use, engines))
    assert all(groups == shipped_release_groups() for groups in seen)
    with engines[0].connect() as conn:
        stored = conn.execute(select(func.count()).select_from(release_groups)).scalar_one()
    assert stored == sum(len(members) for members in shipped_release_groups().values())
    for store in stores:
        store.close()
