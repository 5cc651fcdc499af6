"""Reading the HQ's read model (``store.read_model``): one reader's page of incident items.

A page is two statements with the same filters: the whole items of the signatures the reader
sees whole, and the stored tearlines of the reader's masks on the signatures they see in part,
each table read by the box's grid cells in the time window (the rows are stored in that
order), or by the time window alone, sorted and cut to the page; the caller merges them.
Every filter tests what the reader is shown, so a box, a window, a cursor, a state or a rule
never matches on a report the reader may not see (issue 13). Raw SQL on the pooled DB-API
connection (``store.dialect.raw_cursor``: one text for SQLite and PostgreSQL): SQLAlchemy's
statement compilation and row objects cost more than the query itself at this size
(bench/api.py).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Engine

from ceasefire.access.releasability import Pairs
from ceasefire.store.dialect import fetch_batch, is_postgresql, raw_cursor
from ceasefire.store.grid import cells_in_box
from ceasefire.store.hq_queries import PageQuery

#: One incident of a page as the reader is shown it: ``(pk, shown observed_at, item JSON)``.
#: Plain tuples, as the driver returns them: a page builds a hundred per request.
ShownRow = tuple[int, float, bytes]

#: A row whose reader's tearline is not stored: ``(pk, signature pk, whole item JSON)``.
UnreadyRow = tuple[int, int, bytes]


@dataclass(frozen=True, slots=True)
class StoredPage:
    """What the store holds of one page: whole items and stored tearlines that pass every
    filter (each source cut to the page's limit, in ``(observed_at, pk)`` order), and the
    rows whose tearline for this reader must be computed and filtered by the caller."""

    whole: list[ShownRow]
    torn: list[ShownRow]
    unready: list[UnreadyRow]
    #: a row of a signature newer than the caller's masks was met (read them again)
    newer: bool


def new_signatures(engine: Engine, known: Collection[int]) -> dict[int, Pairs]:
    """Release signatures whose pk is not among ``known``.

    Signatures are only ever added, so a count equal to ``len(known)`` means none is new.
    Not "pks above the highest known": with several writers (PostgreSQL) a lower pk can
    commit after a higher one, and a high-water mark would miss it for good.
    """
    with engine.connect() as conn:
        cur = raw_cursor(conn)
        try:
            (count,) = cur.execute("SELECT count(*) FROM release_signatures").fetchone()
            if int(count) == len(known):
                return {}
            return {
                int(pk): tuple((str(c), str(label)) for c, label in orjson.loads(text))
                for pk, text in cur.execute("SELECT pk, pairs FROM release_signatures")
                if int(pk) not in known
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
    whole_signatures: Sequence[int],
    partial_masks: Mapping[int, int],
    known_count: int | None,
) -> StoredPage:
    """The stored items of one page of incidents the reader sees.

    Every filter (box, time, cursor, category, state, rule) tests what the reader is shown:
    the whole item for ``whole_signatures`` (signatures all of whose kinds the reader sees),
    the stored tearline of the reader's mask for ``partial_masks`` (signature pk → mask),
    each found by its own cell and time. ``known_count`` is how many signatures the caller
    knows: more stored means some are unknown to it, and sets ``newer`` (the caller reads the
    signatures again and asks once more with ``known_count=None``, which skips the check).
    """
    known = list(whole_signatures)
    where, params = _filters(query, "incident_pk", postgresql=is_postgresql(engine))
    # independent questions, asked together (one round trip on PostgreSQL)
    asked: list[tuple[str, Sequence[Any]]] = []
    if known_count is not None:
        # signatures are only added: as many as the caller's means no row has another
        asked.append(("SELECT count(*) FROM release_signatures", ()))
    if known:
        sql = (
            "SELECT incident_pk, observed_at, item FROM incident_items "
            f"WHERE signature_pk IN ({_int_list(known)}) AND {' AND '.join(where)} "
            "ORDER BY observed_at, incident_pk LIMIT ?"
        )
        asked.append((sql, [*params, query.limit]))
    if partial_masks:
        pairs = ", ".join(f"({int(s)}, {int(m)})" for s, m in partial_masks.items())
        sql = (
            "SELECT incident_pk, observed_at, item FROM incident_tearlines "
            f"WHERE (signature_pk, mask) IN (VALUES {pairs}) AND {' AND '.join(where)} "
            "ORDER BY observed_at, incident_pk LIMIT ?"
        )
        asked.append((sql, [*params, query.limit]))
        asked.append(_unready(pairs, query))
    with engine.connect() as conn:
        answers = iter(fetch_batch(conn, asked))
    newer = False
    if known_count is not None:
        newer = int(next(answers)[0][0]) > known_count
    whole: list[ShownRow] = list(next(answers)) if known else []
    torn: list[ShownRow] = []
    unready: list[UnreadyRow] = []
    if partial_masks:
        torn = list(next(answers))
        unready = list(next(answers))
    return StoredPage(whole, torn, unready, newer)


def _filters(
    query: PageQuery, pk_column: str, *, postgresql: bool
) -> tuple[list[str], list[object]]:
    """SQL conditions of ``query`` on a read-model table (both have the same columns)."""
    where = ["TRUE"]
    params: list[object] = []
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
        where.append(f"(observed_at, {pk_column}) > (?, ?)")
        params += [query.after[0], query.after[1]]
    if query.pks is not None:
        pks = [int(pk) for pk in query.pks]  # at most a stream batch: bound, portable
        where.append(f"{pk_column} IN ({', '.join('?' * len(pks)) or 'NULL'})")
        params += pks
    if query.category is not None:
        where.append("category = ?")
        params.append(query.category)
    if query.state is not None:
        where.append("state = ?")
        params.append(query.state)
    if query.rule is not None:
        where.append(f"{'strpos' if postgresql else 'instr'}(rules, ?) > 0")
        params.append(f";{query.rule};")
    return where, params


def _unready(pairs: str, query: PageQuery) -> tuple[str, list[object]]:
    """The question for the rows the reader sees through a tearline that is not stored (a
    rebuild or a change of release groups left it out): all of them, whatever the filters,
    since only the computed tearline can tell where and when it lies. Normally none (the
    partial index makes the question free); ``serve`` completes them before it answers."""
    sql = (
        f"WITH m(sig, mask) AS (VALUES {pairs}) "
        "SELECT i.incident_pk, i.signature_pk, i.item FROM incident_items AS i "
        "JOIN m ON m.sig = i.signature_pk WHERE NOT i.tearlines_ready "
        "AND NOT EXISTS (SELECT 1 FROM incident_tearlines AS t "
        "WHERE t.incident_pk = i.incident_pk AND t.mask = m.mask)"
    )
    params: list[object] = []
    if query.pks is not None:
        pks = [int(pk) for pk in query.pks]
        sql += f" AND i.incident_pk IN ({', '.join('?' * len(pks)) or 'NULL'})"
        params += pks
    return sql, params
