"""Reading the HQ's read model (``store.read_model``): one reader's page of incident items.

A page is one statement: the rows of the box's grid cells in the time window (they are stored
in that order), or of the time window alone, keeping only signatures the reader sees at all,
sorted and cut to the page. A second one, on the same connection, reads the
``incident_tearlines`` rows of the reader's masks where they are partial. Raw SQLite SQL on
the pooled DB-API connection: SQLAlchemy's statement compilation and row objects cost more
than the query itself at this size (bench/api.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Engine

from ceasefire.access.releasability import Pairs
from ceasefire.store.grid import cells_in_box
from ceasefire.store.hq_queries import PageQuery


@dataclass(frozen=True, slots=True)
class StoredTearline:
    """A stored tearline item and the fields the list's filters test."""

    category: str
    state: str
    rules: str
    item: bytes


#: One incident of a page: ``(pk, observed_at, signature pk, whole item JSON)``. Plain
#: tuples, as the driver returns them: a page builds a hundred per request.
StoredRow = tuple[int, float, int, bytes]


@dataclass(frozen=True, slots=True)
class StoredPage:
    """A page's rows, and the stored tearlines of the reader's masks on its partial rows,
    by ``(incident pk, mask)`` (a partial row without one has none stored)."""

    rows: list[StoredRow]
    tearlines: dict[tuple[int, int], StoredTearline]


def signatures_after(engine: Engine, after_pk: int) -> dict[int, Pairs]:
    """Release signatures with a pk above ``after_pk`` (they are only ever added)."""
    with engine.connect() as conn:
        cur = conn.connection.cursor()
        try:
            cur.execute(
                "SELECT pk, pairs FROM release_signatures WHERE pk > ? ORDER BY pk", (after_pk,)
            )
            return {
                int(pk): tuple((str(c), str(label)) for c, label in orjson.loads(text))
                for pk, text in cur.fetchall()
            }
        finally:
            cur.close()


def _int_list(values: Iterable[int]) -> str:
    """Integers as an SQL list literal (ours, not user input: no injection possible)."""
    return ", ".join(str(int(v)) for v in values)


def item_page(
    engine: Engine,
    query: PageQuery,
    *,
    visible_signatures: Sequence[int],
    partial_masks: Mapping[int, int],
    newer_than: int,
) -> StoredPage:
    """Stored items of one page of incidents the reader sees, in ``(observed_at, pk)`` order,
    each with its stored tearline where the reader sees it through one.

    ``visible_signatures``: signatures the reader sees at least one report of;
    ``partial_masks``: the reader's mask on those seen through a tearline; signatures above
    ``newer_than`` are unknown to the caller and pass (it judges them once it has read
    them). The category, state and rule filters test the whole items here; rows with a
    partial or unknown signature pass them unfiltered, since their tearline (which the
    caller filters) may differ from the whole.
    """
    where = [f"(signature_pk IN ({_int_list(visible_signatures)}) OR signature_pk > ?)"]
    params: list[object] = [newer_than]
    if query.bbox is not None:
        lo_x, lo_y, hi_x, hi_y = query.bbox
        cells = cells_in_box(lo_x, lo_y, hi_x, hi_y)
        if cells is not None:  # bound, not literal: a box of the same size reuses the statement
            where.append(f"cell IN ({', '.join('?' * len(cells))})")
            params += cells
        where.append("lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?")
        params += [lo_x, hi_x, lo_y, hi_y]
    if query.since_s is not None:
        where.append("observed_at >= ?")
        params.append(query.since_s)
    if query.until_s is not None:
        where.append("observed_at <= ?")
        params.append(query.until_s)
    if query.after is not None:
        where.append("(observed_at, incident_pk) > (?, ?)")
        params += [query.after[0], query.after[1]]
    if query.pks is not None:
        where.append("incident_pk IN (SELECT value FROM json_each(?))")
        params.append(orjson.dumps([int(pk) for pk in query.pks]))
    whole: list[tuple[str, object]] = []
    if query.category is not None:
        whole.append(("category = ?", query.category))
    if query.state is not None:
        whole.append(("state = ?", query.state))
    if query.rule is not None:
        whole.append(("instr(rules, ?) > 0", f";{query.rule};"))
    if whole:
        unfiltered = f"signature_pk IN ({_int_list(partial_masks)}) OR signature_pk > ?"
        where.append(f"({unfiltered} OR ({' AND '.join(sql for sql, _ in whole)}))")
        params += [newer_than, *(value for _, value in whole)]
    sql = (
        "SELECT incident_pk, observed_at, signature_pk, item FROM incident_items "
        f"WHERE {' AND '.join(where)} ORDER BY observed_at, incident_pk LIMIT ?"
    )
    params.append(query.limit)
    with engine.connect() as conn:
        cur = conn.connection.cursor()
        try:
            cur.execute(sql, params)
            rows: list[StoredRow] = list(cur.fetchall())
            wanted = [(pk, partial_masks[sig]) for pk, _, sig, _ in rows if sig in partial_masks]
            lines = _tearlines(cur, wanted) if wanted else {}
        finally:
            cur.close()
    return StoredPage(rows, lines)


def _tearlines(cur: Any, wanted: list[tuple[int, int]]) -> dict[tuple[int, int], StoredTearline]:
    """The stored tearlines among ``wanted`` ``(incident pk, mask)`` pairs (a second statement:
    joining them into the page's cost more, measured, than this lookup of the few needed)."""
    cur.execute(
        "SELECT t.incident_pk, t.mask, t.category, t.state, t.rules, t.item "
        "FROM json_each(?) AS j JOIN incident_tearlines AS t "
        "ON t.incident_pk = j.value ->> 0 AND t.mask = j.value ->> 1",
        (orjson.dumps(wanted),),
    )
    return {(int(r[0]), int(r[1])): StoredTearline(*r[2:]) for r in cur.fetchall()}
