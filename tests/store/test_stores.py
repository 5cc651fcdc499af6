"""The ports bundle (store/stores.py) on both backends: each subject's port reaches the same
database, and a backend without a SQL engine is refused by name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from store_builders import T0, make_chunk, make_row, make_version

from ceasefire.access.model import Role
from ceasefire.errors import StoreError
from ceasefire.reports.model import Classification
from ceasefire.settings import Settings
from ceasefire.store.base import Store
from ceasefire.store.hq_queries import PageQuery
from ceasefire.store.stores import open_stores, stores_for

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def test_the_access_port_stores_and_finds_users_and_credentials(store: Store) -> None:
    access = stores_for(store).access
    user = access.add_user(
        name="fra-analyst",
        nation="FRA",
        organisation=None,
        clearance=Classification.SECRET,
        roles=[Role.ANALYST],
        password_hash=None,
        now=NOW,
    )
    access.add_credential(user_pk=user.pk, digest="d" * 64, kind="token", now=NOW)
    found = access.user_for_credential("d" * 64, now_s=NOW.timestamp())
    assert found is not None
    assert found[0] == user
    assert found[1] == "token"
    assert [u.name for u in access.users()] == ["fra-analyst"]
    access.delete_credential("d" * 64)
    assert access.user_for_credential("d" * 64, now_s=NOW.timestamp()) is None
    assert access.submitter_of(user).principal == "FRA"


def test_the_read_ports_see_what_the_ingest_port_wrote(store: Store) -> None:
    stores = stores_for(store)
    version_pk, _ = store.add_agreement_version(make_version())
    run = store.start_ingest_run(["a.ndjson"], T0)
    store.write_chunk(make_chunk(run, [make_row(version_pk), make_row(version_pk, id="r2")]))
    assert stores.read_model.agreement_version_pks() == (version_pk,)
    everyone = stores.read_model.visible_filter(None, stores.access.labels())
    rows = stores.read_model.report_page(everyone, PageQuery(limit=10))
    assert len(rows) == 2
    assert stores.read_model.violation_page(everyone, PageQuery(limit=10)) == []  # unfused
    change_seq, _ = stores.stream.tops()
    assert stores.stream.stated_violations(everyone, after_seq=0, until_seq=change_seq) == []
    assert stores.stream.incident_places([]) == {}
    assert stores.coalition_reads.all()[1:] == ([], [])


def test_has_table_names_the_schema_s_tables(store: Store) -> None:
    stores = stores_for(store)
    assert stores.has_table("ledger_entries")
    assert stores.has_table("pledges")
    assert not stores.has_table("no_such_table")


def test_open_stores_opens_the_backend_of_the_url_and_closes_it(fresh_db: str) -> None:
    stores = open_stores(Settings(db=fresh_db))
    try:
        stores.store.init_schema()
        assert stores.access.users() == []
    finally:
        stores.close()


class _NoSql:
    """A backend with no SQLAlchemy engine (stands for an in-memory or remote store)."""

    engine = None


def test_a_backend_without_an_engine_is_refused_by_name() -> None:
    with pytest.raises(StoreError, match="_NoSql"):
        stores_for(_NoSql())  # type: ignore[arg-type]
