"""Store rows → API items: the stored read model, tearlines applied where the reader's
releasability on an incident is partial (computed here when the store has none)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson
from fastapi import Response

from ceasefire.access.marking import pairs_of
from ceasefire.access.model import User
from ceasefire.api.state import HQState
from ceasefire.errors import InputError
from ceasefire.fusion.items import torn_entry
from ceasefire.fusion.tearline import Tearline, shown_verdict, tearline
from ceasefire.store.hq_queries import MAX_ROW_ID, PageQuery, visible_members
from ceasefire.store.read_model_read import StoredRow, StoredTearline, item_page


def encode_cursor(observed_at_s: float, pk: int) -> str:
    """An opaque resume point: the last row's ``(observed_at, pk)``."""
    return base64.urlsafe_b64encode(f"{observed_at_s!r}:{pk}".encode()).decode()


def decode_cursor(cursor: str | None) -> tuple[float, int] | None:
    """The resume point of ``cursor``, or ``InputError`` naming the field."""
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
        t, pk = text.split(":")
        value = (float(t), int(pk))
    except (ValueError, UnicodeError) as exc:
        raise InputError("cursor", "cursor", "not a cursor returned by this API") from exc
    if not np.isfinite(value[0]) or not 0 <= value[1] <= MAX_ROW_ID:
        raise InputError("cursor", "cursor", "not a cursor returned by this API")
    return value


def torn_lines(
    state: HQState, user: User, pks: Sequence[int]
) -> dict[int, tuple[Tearline, list[dict[str, Any]], list[tuple[str, str, int, str, str | None]]]]:
    """Tearline, visible members and re-judged rules of each partially visible incident (an
    analyst verdict shows only where its marking is seen: ``fusion.tearline.shown_verdict``)."""
    from ceasefire.store.fusion_queries import incident_verdicts  # noqa: PLC0415

    if not pks:
        return {}
    members: dict[int, list[dict[str, Any]]] = {}
    for m in visible_members(state.engine, state.visible(user), pks):
        members.setdefault(int(m["incident_pk"]), []).append(m)
    verdicts = incident_verdicts(state.engine, list(members))
    lines = {
        pk: tearline(
            ms,
            shown_verdict(
                verdicts[pk], pairs_of((m["classification"], m["releasable_to"]) for m in ms)
            ),
        )
        for pk, ms in members.items()
    }
    judged: dict[int, list[tuple[str, str, int, str, str | None]]] = {pk: [] for pk in lines}
    located = [pk for pk, t in lines.items() if t.lon is not None]
    if located:
        from ceasefire.pipeline.fuse import tearline_judge  # noqa: PLC0415 - heavy

        rules = tearline_judge(state.book())([lines[pk] for pk in located])
        judged.update(zip(located, rules, strict=True))
    return {pk: (lines[pk], members[pk], judged[pk]) for pk in lines}


def _passes(line: StoredTearline, query: PageQuery) -> bool:
    """Whether a tearline passes the category, state and rule filters of ``query``."""
    return (
        (query.category is None or line.category == query.category)
        and (query.state is None or line.state == query.state)
        and (query.rule is None or f";{query.rule};" in line.rules)
    )


def _computed_tearlines(
    state: HQState, user: User, rows: Sequence[StoredRow]
) -> dict[int, StoredTearline]:
    """Tearlines of ``rows`` that the store does not hold, computed now (release groups
    changed since the incidents were written, or a migration left them to be computed)."""
    out: dict[int, StoredTearline] = {}
    for pk, (line, members, judged) in torn_lines(state, user, [row[0] for row in rows]).items():
        out[pk] = StoredTearline(*torn_entry(pk, line, len(members), judged))
    return out


def visible_items(
    state: HQState, user: User, query: PageQuery
) -> tuple[list[bytes], tuple[float, int] | None]:
    """One page of the incident items ``user`` may see (JSON each, tearlines applied), and
    the resume point of the next page (None at the end).

    A page may hold fewer than ``limit`` items and still have a next one: an incident seen
    through a tearline is filtered by what its tearline shows, after the SQL's ``LIMIT``.
    """
    masks = state.masks(user)
    page = item_page(
        state.engine,
        query,
        visible_signatures=masks.visible,
        partial_masks=masks.partial,
        newer_than=masks.known_max,
    )
    rows, partial, stored = page.rows, masks.partial, page.tearlines
    newer = {pk for pk, _, sig, _ in rows if sig > masks.known_max}
    if newer:
        # written since the signatures were read: read them again, then judge those rows
        fresh = state.masks(user, fresh=True)
        partial, seen = fresh.partial, set(fresh.visible)
        rows = [row for row in rows if row[2] in seen]
    missing = [
        row
        for row in rows
        if row[2] in partial and (row[0] in newer or (row[0], partial[row[2]]) not in stored)
    ]
    computed = _computed_tearlines(state, user, missing) if missing else {}
    items: list[bytes] = []
    for pk, _, sig, item in rows:
        mask = partial.get(sig)
        if mask is None:
            items.append(item)
            continue
        line = computed.get(pk) or stored.get((pk, mask))
        if line is not None and _passes(line, query):
            items.append(line.item)
    last = page.rows[-1] if len(page.rows) == query.limit else None
    after = None if last is None else (last[1], last[0])
    return items, after


def json_response(data: Any, *, media_type: str = "application/json") -> Response:
    """``data`` as JSON bytes (numpy scalars allowed, NaN → null), without re-validation."""
    return Response(orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY), media_type=media_type)
