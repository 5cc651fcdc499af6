"""Writing the HQ's read model (``store.read_model``): rebuild the rows of some incidents.

``refresh_read_model(conn, pks, judge=...)`` is called in the writer's own transaction by
everything that changes what a reader is shown of an incident: fusion (new, kept and
superseded incidents), an analyst's verdict, an amendment or withdrawal. It deletes the
incidents' rows and writes them again from the assessment tables, so the rows are always a
function of those tables (``tests/store/test_read_model.py`` compares them with a rebuild).
Set-based: a few statements per 10,000 incidents, no round trip per incident.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, Engine

from ceasefire.access.marking import decode_marking
from ceasefire.access.releasability import Pairs, possible_masks
from ceasefire.fusion.items import rules_text, torn_entry, whole_item
from ceasefire.fusion.tearline import Tearline, shown_verdict, tearline
from ceasefire.store.dialect import RawCursor, is_postgresql, joined_text, json_ids, raw_cursor
from ceasefire.store.grid import cell_of
from ceasefire.store.read_model import UNLOCATED_CELL
from ceasefire.store.slices import pk_slices

#: The rules a tearline breaks, judged again at its position: per tearline, ``(rule id,
#: article, severity, certainty, zone id)`` (``pipeline.fuse.judge_incidents``).
Judged = list[list[tuple[str, str, int, str, str | None]]]
TearlineJudge = Callable[[Sequence[Tearline]], Judged]

#: Active incidents that fusion has stated, with what their whole item shows.
_SOURCE_SQL = """
SELECT i.pk, i.observed_at, i.lon, i.lat, i.uncertainty_m, i.category, i.weapon_class,
       i.count, f.count_low, f.count_best, f.count_high, f.sources, f.confidence, s.state,
       (SELECT {concat_rules} FROM violations AS v
         WHERE v.incident_pk = i.pk AND v.active) AS rules,
       (SELECT max(v.severity) FROM violations AS v
         WHERE v.incident_pk = i.pk AND v.active) AS severity,
       (SELECT count(*) FROM incident_reports AS ir WHERE ir.incident_pk = i.pk) AS n_reports
FROM (SELECT s2.incident_pk, max(s2.pk) AS pk
      FROM {ids} AS j2 JOIN incident_states AS s2 ON s2.incident_pk = j2.value
      WHERE NOT s2.tearline GROUP BY s2.incident_pk) AS own
JOIN incidents AS i ON i.pk = own.incident_pk
LEFT JOIN incident_fusion AS f ON f.incident_pk = i.pk
JOIN incident_states AS s ON s.pk = own.pk
WHERE i.status = 'active'
"""
# The incident's own state is its latest row that is no tearline verdict, found per incident
# of the list through ``ix_incident_states_incident_pk``: as a correlated ``max(pk)`` per
# incident PostgreSQL reads ``incident_states`` backwards by pk instead (its min/max path),
# which cost 70 s against 0.65 s here for a slice of 10,000 incidents in a fresh store.
# The id list is read once, inside ``own``: joined a second time, SQLite scanned the whole
# list again for every incident of it (10,000 x 10,000: 6.3 s a slice on the demo store).
_SOURCE_COLUMNS = (
    *("pk", "observed_at", "lon", "lat", "uncertainty_m", "category", "weapon_class", "count"),
    *("count_low", "count_best", "count_high", "sources", "confidence", "state", "rules"),
    *("severity", "n_reports"),
)

_PAIRS_SQL = """
SELECT ir.incident_pk, r.classification, coalesce(r.releasable_to, '')
FROM {ids} AS j
JOIN incident_reports AS ir ON ir.incident_pk = j.value
JOIN reports AS r ON r.pk = ir.report_pk
"""

#: Report columns a tearline reads (``fusion.tearline.tearline``).
MEMBER_COLUMNS = (
    *("pk", "source", "source_type", "reliability", "credibility", "observed_at", "category"),
    *("weapon_class", "count", "located_lon", "located_lat", "located_uncertainty_m"),
    *("classification", "releasable_to"),
)
_MEMBERS_SQL = f"""
SELECT ir.incident_pk, {", ".join(f"r.{c}" for c in MEMBER_COLUMNS)}
FROM {{ids}} AS j
JOIN incident_reports AS ir ON ir.incident_pk = j.value
JOIN reports AS r ON r.pk = ir.report_pk
ORDER BY ir.incident_pk, r.observed_at, r.pk
"""
#: Analyst states with their markings: what a tearline may show (``fusion.tearline``).
_VERDICTS_SQL = """
SELECT s.incident_pk, s.state, s.marking
FROM {ids} AS j
JOIN incident_states AS s ON s.incident_pk = j.value
WHERE s.state IN ('verified', 'disputed', 'rejected')
ORDER BY s.incident_pk, s.pk
"""


def refresh_read_model(
    conn: Connection, incident_pks: Sequence[int], *, judge: TearlineJudge | None
) -> None:
    """Rewrite the read-model rows of ``incident_pks`` (any status) from the stored facts.

    Incidents no longer active, or not yet stated by fusion, end up with no rows. ``judge``
    judges tearlines against the agreement; without it (a migration has no agreement book)
    the tearlines are left to be computed at read time (``tearlines_ready`` false).
    """
    pks = sorted({int(pk) for pk in incident_pks})
    if not pks:
        return
    cur = raw_cursor(conn)
    try:
        groups = _groups(cur)
        signatures = _signatures(cur)
        for part in pk_slices(pks):
            _refresh_slice(cur, part, groups, signatures, judge)
    finally:
        cur.close()


def forget_incidents_of_report(cur: RawCursor, report_pk: int) -> None:
    """Drop the read-model rows of every incident holding a report (amended or withdrawn:
    those incidents stop counting until fusion forms new ones), on a raw DB-API cursor."""
    of = "SELECT incident_pk FROM incident_reports WHERE report_pk = ?"
    cur.execute(f"DELETE FROM incident_tearlines WHERE incident_pk IN ({of})", (report_pk,))
    cur.execute(f"DELETE FROM incident_items WHERE incident_pk IN ({of})", (report_pk,))


def _sql(template: str, cur: RawCursor) -> str:
    """A statement of this module in ``cur``'s dialect (its id list and rule list)."""
    concat = joined_text("v.rule_id", ";", postgresql=cur.postgresql)
    return template.format(ids=json_ids(postgresql=cur.postgresql), concat_rules=concat)


def _groups(cur: RawCursor) -> dict[str, frozenset[str]]:
    """The stored release groups; the shipped ones while none are stored (what every
    reader's ``load_release_groups`` stores and uses then)."""
    from ceasefire.store.access_sql import shipped_release_groups  # noqa: PLC0415 - cycle

    found: defaultdict[str, set[str]] = defaultdict(set)
    for name, member in cur.execute("SELECT group_name, member FROM release_groups"):
        found[name].add(member)
    if not found:
        return shipped_release_groups()
    return {name: frozenset(members) for name, members in found.items()}


def _signatures(cur: RawCursor) -> dict[Pairs, int]:
    return {
        tuple((str(c), str(label)) for c, label in orjson.loads(text)): int(pk)
        for pk, text in cur.execute("SELECT pk, pairs FROM release_signatures")
    }


def _signature_pk(cur: RawCursor, pairs: Pairs, signatures: dict[Pairs, int]) -> int:
    """The pk of a signature, stored if new. Another writer may store the same one at the same
    moment (PostgreSQL runs several): the insert then does nothing and the row it committed
    is read back."""
    pk = signatures.get(pairs)
    if pk is None:
        text = orjson.dumps([list(p) for p in pairs]).decode()
        cur.execute(
            "INSERT INTO release_signatures (pairs) VALUES (?) "
            "ON CONFLICT (pairs) DO NOTHING RETURNING pk",
            (text,),
        )
        row = cur.fetchone()
        if row is None:
            row = cur.execute(
                "SELECT pk FROM release_signatures WHERE pairs = ?", (text,)
            ).fetchone()
        pk = signatures[pairs] = int(row[0])
    return pk


def _refresh_slice(
    cur: RawCursor,
    pks: list[int],
    groups: dict[str, frozenset[str]],
    signatures: dict[Pairs, int],
    judge: TearlineJudge | None,
) -> None:
    payload = orjson.dumps(pks).decode()
    ids = json_ids(postgresql=cur.postgresql)
    cur.execute(
        f"DELETE FROM incident_tearlines WHERE incident_pk IN (SELECT value FROM {ids} AS j)",
        (payload,),
    )
    cur.execute(
        f"DELETE FROM incident_items WHERE incident_pk IN (SELECT value FROM {ids} AS j)",
        (payload,),
    )
    rows = [
        dict(zip(_SOURCE_COLUMNS, r, strict=True))
        for r in cur.execute(_sql(_SOURCE_SQL, cur), (payload,)).fetchall()
    ]
    if not rows:
        return
    stated = orjson.dumps([row["pk"] for row in rows]).decode()
    kinds: defaultdict[int, set[tuple[str, str]]] = defaultdict(set)
    for incident_pk, classification, label in cur.execute(
        _sql(_PAIRS_SQL, cur), (stated,)
    ).fetchall():
        kinds[incident_pk].add((str(classification), str(label)))
    pairs_of = {row["pk"]: tuple(sorted(kinds[row["pk"]])) for row in rows}
    masks_of: dict[Pairs, list[int]] = {}
    mixed = [row for row in rows if len(pairs_of[row["pk"]]) > 1]
    item_rows = []
    for row in rows:
        pairs = pairs_of[row["pk"]]
        lon, lat = row["lon"], row["lat"]
        located = lon is not None and lat is not None
        item_rows.append(
            (
                row["pk"],
                row["observed_at"],
                lon,
                lat,
                cell_of(lon, lat) if located else UNLOCATED_CELL,
                _signature_pk(cur, pairs, signatures),
                row["category"],
                row["state"],
                rules_text(row["rules"].split(";") if row["rules"] else []),
                judge is not None or len(pairs) == 1,
                orjson.dumps(whole_item(row)),
            )
        )
        if len(pairs) > 1 and pairs not in masks_of:
            masks_of[pairs] = sorted(possible_masks(pairs, groups))
    cur.executemany(
        "INSERT INTO incident_items (incident_pk, observed_at, lon, lat, cell, signature_pk, "
        "category, state, rules, tearlines_ready, item) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        item_rows,
    )
    if judge is not None and mixed:
        _write_tearlines(cur, mixed, pairs_of, masks_of, judge, signatures=signatures)


def _write_tearlines(
    cur: RawCursor,
    mixed: list[dict[str, Any]],
    pairs_of: dict[int, Pairs],
    masks_of: dict[Pairs, list[int]],
    judge: TearlineJudge,
    *,
    signatures: dict[Pairs, int],
) -> None:
    """Every possible tearline of the incidents with reports of several kinds, each filed
    under the cell and time it shows (a reader's box and window match what they see)."""
    members: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    payload = orjson.dumps([row["pk"] for row in mixed]).decode()
    for values in cur.execute(_sql(_MEMBERS_SQL, cur), (payload,)).fetchall():
        members[int(values[0])].append(dict(zip(MEMBER_COLUMNS, values[1:], strict=True)))
    verdicts: defaultdict[int, list[tuple[str, Pairs]]] = defaultdict(list)
    for incident_pk, state, marking in cur.execute(_sql(_VERDICTS_SQL, cur), (payload,)).fetchall():
        verdicts[int(incident_pk)].append((str(state), decode_marking(marking)))
    keys: list[tuple[int, int, int]] = []  # incident pk, mask, visible reports
    lines: list[Tearline] = []
    for row in mixed:
        pk, pairs = int(row["pk"]), pairs_of[int(row["pk"])]
        bit = {pair: 1 << k for k, pair in enumerate(pairs)}
        for mask in masks_of[pairs]:
            seen = [
                m
                for m in members[pk]
                if bit[(str(m["classification"]), str(m["releasable_to"] or ""))] & mask
            ]
            shown = tuple(pair for pair in pairs if bit[pair] & mask)
            keys.append((pk, mask, len(seen)))
            lines.append(tearline(seen, shown_verdict(verdicts[pk], shown)))
    located = [k for k, line in enumerate(lines) if line.lon is not None]
    judged: Judged = [[] for _ in lines]
    for k, rules in zip(
        located, judge([lines[k] for k in located]) if located else [], strict=True
    ):
        judged[k] = rules
    cur.executemany(
        "INSERT INTO incident_tearlines (cell, observed_at, incident_pk, mask, signature_pk, "
        "lon, lat, category, state, rules, item) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                *tearline_place(line),
                pk,
                mask,
                signatures[pairs_of[pk]],
                line.lon,
                line.lat,
                *torn_entry(pk, line, n, rules),
            )
            for (pk, mask, n), line, rules in zip(keys, lines, judged, strict=True)
        ],
    )


def tearline_place(line: Tearline) -> tuple[int, float]:
    """The ``(cell, observed_at)`` a tearline is filed under: its own, not the incident's."""
    if line.lon is None or line.lat is None:
        return UNLOCATED_CELL, line.observed_at_s
    return cell_of(line.lon, line.lat), line.observed_at_s


#: The format of the stored items; bump it when ``fusion.items`` or the rows change, and
#: every store rebuilds its read model on its next ``init_schema``.
#: 2: tearlines filed by their own place and time; 3: a tearline shows only verdicts whose
#: marking it sees.
READ_MODEL_FORMAT = 3


def ensure_read_model(engine: Engine) -> bool:
    """Rebuild the read model if it follows another format than the code's; whether it did.

    The write transaction starts with a write (on PostgreSQL, an exclusive lock of the
    format's table), so a second process starting at the same moment waits for the first
    one's lock and then finds the format current, instead of failing to upgrade a stale read
    or rebuilding the same rows beside it. Tearlines are left to ``complete_tearlines``
    (the store has no agreement book to judge them with).
    """
    with engine.connect() as conn:
        current = conn.exec_driver_sql("SELECT max(format) FROM read_model_meta").scalar()
    if current == READ_MODEL_FORMAT:
        return False
    with engine.begin() as conn:
        if is_postgresql(conn):  # an UPDATE of no rows locks nothing there
            conn.exec_driver_sql("LOCK TABLE read_model_meta IN EXCLUSIVE MODE")
        conn.exec_driver_sql("UPDATE read_model_meta SET format = format")
        current = conn.exec_driver_sql("SELECT max(format) FROM read_model_meta").scalar()
        if current == READ_MODEL_FORMAT:
            return False
        rebuild_read_model(conn, judge=None)
        conn.exec_driver_sql("DELETE FROM read_model_meta")
        conn.exec_driver_sql(f"INSERT INTO read_model_meta (format) VALUES ({READ_MODEL_FORMAT})")
    return True


def rebuild_read_model(conn: Connection, *, judge: TearlineJudge | None) -> int:
    """Every row of the read model again, from the stored facts; the incidents written."""
    conn.exec_driver_sql("DELETE FROM incident_tearlines")
    conn.exec_driver_sql("DELETE FROM incident_items")
    pks = [
        int(pk)
        for pk in conn.exec_driver_sql(
            "SELECT pk FROM incidents WHERE status = 'active' ORDER BY pk"
        ).scalars()
    ]
    refresh_read_model(conn, pks, judge=judge)
    return int(conn.exec_driver_sql("SELECT count(*) FROM incident_items").scalar() or 0)


def mark_tearlines_stale(conn: Connection) -> None:
    """Flag every incident with reports of several kinds as lacking stored tearlines: after
    a change of release groups a reader may have a mask no row was written for. Readers
    compute those at read time (``api.views``) until ``complete_tearlines`` runs."""
    cur = raw_cursor(conn)
    try:
        mixed = [pk for pairs, pk in _signatures(cur).items() if len(pairs) > 1]
    finally:
        cur.close()
    if mixed:
        conn.exec_driver_sql(
            "UPDATE incident_items SET tearlines_ready = FALSE WHERE signature_pk IN "
            f"({', '.join(str(int(pk)) for pk in mixed)})"
        )


def complete_tearlines(engine: Engine, judge: TearlineJudge) -> int:
    """Compute the stored tearlines a rebuild left out; how many incidents it completed."""
    with engine.connect() as conn:
        pks = [
            int(pk)
            for pk in conn.exec_driver_sql(
                "SELECT incident_pk FROM incident_items WHERE NOT tearlines_ready"
            ).scalars()
        ]
    if pks:
        with engine.begin() as conn:
            refresh_read_model(conn, pks, judge=judge)
    return len(pks)
