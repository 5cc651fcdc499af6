"""The HQ's read model: always what a rebuild from the stored facts gives, tearlines included.

The rows are written ahead by fusion, verdicts, amendments and withdrawals; these tests make
every kind of write and compare the rows with ``rebuild_read_model``, compare the stored
tearlines with the ones the API computes itself when none is stored, and check that a store
whose rows follow an older format is rebuilt, then completed, without changing any answer.
"""

from __future__ import annotations

from typing import Any

import orjson
from api_helpers import HQ, report, schema_drift
from db_rows import RawDB
from hypothesis import given
from hypothesis import strategies as st

from ceasefire.access.model import User
from ceasefire.access.releasability import (
    groups_containing,
    possible_masks,
    signature_mask,
    viewer_for,
)
from ceasefire.api.app import prepare_store
from ceasefire.api.views import visible_items
from ceasefire.pipeline.agreements import AgreementBook
from ceasefire.pipeline.fuse import tearline_judge
from ceasefire.reports.model import Classification
from ceasefire.settings import Settings
from ceasefire.store import schema
from ceasefire.store.access_sql import user_by_name
from ceasefire.store.base import open_store
from ceasefire.store.hq_queries import PageQuery
from ceasefire.store.queries import engine_of
from ceasefire.store.read_model import READ_MODEL_TABLES
from ceasefire.store.read_model_write import rebuild_read_model

NATIONS = ("FRA", "USA", "GBR", "UKR", "DEU", "JPN")


def mixed_reports() -> list[dict[str, Any]]:
    """Three events, each seen by posts of different releasability and classification."""
    out = []
    for k, (lon, lat) in enumerate([(37.3, 48.0), (37.25, 48.2), (37.2, 48.4)]):
        out += [
            report(f"e{k}-shared", source=f"OP-S{k}", lon=lon, lat=lat, count=2),
            report(
                f"e{k}-usa",
                source=f"OP-U{k}",
                lon=lon + 0.001,
                lat=lat,
                count=5,
                releasable_to=["USA"],
            ),
            report(
                f"e{k}-nato-r",
                source=f"OP-N{k}",
                lon=lon,
                lat=lat + 0.001,
                count=3,
                releasable_to=["NATO"],
                classification="RESTRICTED",
            ),
        ]
    return out


#: Every read-model row, signatures spelled out (their pks depend on write order).
_ITEMS_SQL = (
    "SELECT i.incident_pk, i.cell, i.observed_at, s.pairs, i.category, i.state, "
    "i.rules, i.tearlines_ready, i.item FROM incident_items AS i "
    "JOIN release_signatures AS s ON s.pk = i.signature_pk"
)
_TORN_SQL = "SELECT * FROM incident_tearlines"

Rows = tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]


def rows(url: str) -> Rows:
    """Every read-model row, read with the database's own driver."""
    with RawDB(url) as db:
        items = {tuple(row) for row in db.execute(_ITEMS_SQL)}
        torn = {tuple(row) for row in db.execute(_TORN_SQL)}
    return items, torn


def rebuilt(hq: HQ) -> Rows:
    """The rows a rebuild from the stored facts writes (in a transaction rolled back after)."""
    judge = tearline_judge(AgreementBook.from_store(hq.state.store))
    with engine_of(hq.state.store).connect() as conn:
        transaction = conn.begin()
        try:
            rebuild_read_model(conn, judge=judge)
            items = {tuple(row) for row in conn.exec_driver_sql(_ITEMS_SQL)}
            torn = {tuple(row) for row in conn.exec_driver_sql(_TORN_SQL)}
        finally:
            transaction.rollback()
    return items, torn


def page_for(hq: HQ, name: str) -> list[bytes]:
    found = user_by_name(engine_of(hq.state.store), name)
    assert found is not None
    items, _ = visible_items(hq.state, found[0], PageQuery(limit=1000))
    return items


def test_migration_creates_exactly_the_read_model_tables(fresh_db: str) -> None:
    store = open_store(Settings(db=fresh_db))
    store.init_schema()
    targets = schema.MONITORING_TABLES  # the foreign keys' targets
    assert schema_drift(engine_of(store), READ_MODEL_TABLES, targets=targets) == []
    store.close()


def test_the_read_model_equals_a_rebuild_after_every_kind_of_write(hq: HQ) -> None:
    analyst = hq.user("usa", nation="USA")  # sees every report: decides the whole
    partial = hq.user("fra", nation="FRA")  # not the USA-only ones: decides on a tearline
    hq.ingest(mixed_reports())
    items, torn = rows(hq.db)
    assert len(items) == 3  # three fused events
    assert torn, "incidents with reports of several kinds have stored tearlines"
    # verdicts on the whole and on a tearline, an amendment and a withdrawal, each
    # rewriting some rows
    first, second = sorted(i[0] for i in items)[:2]
    verdict = hq.client.post(f"/api/incidents/{first}/verify", json={"note": "x"}, headers=analyst)
    assert verdict.status_code == 200
    torn_verdict = hq.client.post(
        f"/api/incidents/{second}/tearline/reject", json={"note": "y"}, headers=partial
    )
    assert torn_verdict.status_code == 200
    with RawDB(hq.db) as db:
        torn_states = db.execute(
            "SELECT state FROM incident_tearlines WHERE incident_pk = ?", (second,)
        )
    assert ("rejected",) in torn_states
    assert rows(hq.db) == rebuilt(hq)
    hq.ingest(
        [
            report("e1-usa-fix", source="OP-U1", lon=37.251, lat=48.2, count=7, amends="e1-usa"),
            report(
                "e2-off", source="OP-S2", lon=37.2, lat=48.4, amends="e2-shared", withdrawn=True
            ),
        ]
    )
    after = rows(hq.db)
    assert after != (items, torn)
    assert after == rebuilt(hq)
    states = {i[5] for i in after[0]}
    assert "verified" in states


def test_stored_tearlines_equal_the_ones_computed_when_none_is_stored(hq: HQ) -> None:
    names = []
    tokens = {}
    for k, (nation, level) in enumerate(
        [("FRA", "SECRET"), ("USA", "UNCLASSIFIED"), ("USA", "SECRET"), ("JPN", "SECRET")]
    ):
        tokens[f"u{k}"] = hq.user(f"u{k}", nation=nation, clearance=Classification(level))
        names.append(f"u{k}")
    hq.ingest(mixed_reports())
    # verdicts on the whole (USA SECRET sees every report) and on tearlines (FRA SECRET and
    # USA UNCLASSIFIED see part), which the tearlines show only where their marking is seen
    first, second, third = (item["id"] for item in map(orjson.loads, page_for(hq, "u2")))
    for name, path in [
        ("u2", f"{first}/verify"),
        ("u0", f"{first}/tearline/reject"),
        ("u0", f"{second}/tearline/reject"),
        ("u1", f"{third}/tearline/dispute"),
    ]:
        done = hq.client.post(f"/api/incidents/{path}", json={"note": name}, headers=tokens[name])
        assert done.status_code == 200, done.text
    stored = {name: page_for(hq, name) for name in names}
    assert any(b'"partial":true' in b"".join(page) for page in stored.values())
    shown = {orjson.loads(item)["state"] for page in stored.values() for item in page}
    assert {"verified", "rejected", "disputed"} <= shown
    with RawDB(hq.db) as db:
        db.execute("DELETE FROM incident_tearlines")
        db.execute("UPDATE incident_items SET tearlines_ready = FALSE")  # what a rebuild leaves
    assert {name: page_for(hq, name) for name in names} == stored


def test_an_outdated_read_model_is_rebuilt_then_completed_with_the_same_answers(hq: HQ) -> None:
    hq.user("usa", nation="USA", clearance=Classification.UNCLASSIFIED)
    hq.ingest(mixed_reports())
    before = page_for(hq, "usa")
    items, torn = rows(hq.db)
    hq.client.close()
    hq.state.store.close()
    with RawDB(hq.db) as db:
        db.execute("DELETE FROM incident_tearlines")
        db.execute("DELETE FROM incident_items")
        db.execute("UPDATE read_model_meta SET format = 0")
    store = open_store(Settings(db=hq.db))
    store.init_schema()  # rebuilt with the code's format, tearlines left to be computed
    store.close()
    rebuilt_items, rebuilt_torn = rows(hq.db)
    assert rebuilt_torn == set()
    assert {i[:7] + i[8:] for i in rebuilt_items} == {i[:7] + i[8:] for i in items}
    assert any(not i[7] for i in rebuilt_items)
    prepare_store(Settings(db=hq.db))  # what `serve` runs first
    assert rows(hq.db) == (items, torn)
    fresh = HQ(app=hq.app, client=hq.client, folder=hq.folder, db=hq.db)
    fresh.state.store.init_schema()
    assert page_for(fresh, "usa") == before


groups_strategy = st.dictionaries(
    st.sampled_from(("G1", "G2", "NATO", "COALITION")),
    st.frozensets(st.sampled_from((*NATIONS, "G1", "G2", "EU")), max_size=4),
    max_size=4,
)
pairs_strategy = st.lists(
    st.tuples(
        st.sampled_from([c.value for c in Classification]),
        st.sampled_from(("", "USA", "FRA;GBR", "G1", "NATO", "EU", "G2;JPN")),
    ),
    min_size=2,
    max_size=4,
    unique=True,
).map(lambda p: tuple(sorted(p)))


@given(
    pairs=pairs_strategy,
    groups=groups_strategy,
    principal=st.sampled_from((*NATIONS, "EU", "OSCE", "G1")),
    clearance=st.sampled_from(list(Classification)),
)
def test_every_mask_a_reader_can_have_is_among_the_possible_ones(
    pairs: tuple[tuple[str, str], ...],
    groups: dict[str, frozenset[str]],
    principal: str,
    clearance: Classification,
) -> None:
    nation = principal if principal in NATIONS else None
    user = User(1, "x", nation, None if nation else principal, clearance, frozenset())
    viewer = viewer_for(user, groups)
    mask = signature_mask(pairs, viewer)
    assert mask in possible_masks(pairs, groups) | {0, (1 << len(pairs)) - 1}
    # and the mask means what releasability says of each report kind
    reach = {principal} | groups_containing(principal, groups)
    for k, (classification, label) in enumerate(pairs):
        seen = Classification(classification).rank <= clearance.rank and (
            bool(reach & set(label.split(";"))) if label else "COALITION" in reach
        )
        assert bool(mask >> k & 1) == seen


def test_a_signature_committed_after_a_higher_one_is_still_read(hq: HQ) -> None:
    """Several writers (PostgreSQL) commit signatures out of pk order: a reader that has
    seen a higher pk must still pick up a lower one committed later."""
    hq.ingest(mixed_reports())
    known = dict(hq.state.signatures(fresh=True))
    top = max(known)
    with RawDB(hq.db) as db:
        db.execute("INSERT INTO release_signatures (pk, pairs) VALUES (?, ?)", (top + 10, "[]"))
        assert top + 10 in hq.state.signatures(fresh=True)
        db.execute(
            "INSERT INTO release_signatures (pk, pairs) VALUES (?, ?)",
            (top + 5, '[["SECRET", "JPN"]]'),
        )
    assert hq.state.signatures(fresh=True)[top + 5] == (("SECRET", "JPN"),)
