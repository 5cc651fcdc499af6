"""Store rows → API items: the stored read model, tearlines applied where the reader's
releasability on an incident is partial (computed here when the store has none), every
filter and cursor on what the reader is shown."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson
from fastapi import Response

from ceasefire.access.marking import pairs_of
from ceasefire.access.model import User
from ceasefire.api.state import HQState, SignatureMasks
from ceasefire.errors import InputError
from ceasefire.fusion.items import torn_entry
from ceasefire.fusion.tearline import Tearline, shown_verdict, tearline
from ceasefire.store.hq_queries import MAX_ROW_ID, PageQuery, visible_members
from ceasefire.store.read_model_read import ShownRow, StoredPage, UnreadyRow, item_page


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


def _shown(line: Tearline, pk: int, rules: str, query: PageQuery) -> bool:
    """Whether a tearline computed now passes every filter of ``query`` (the same ones the
    store applies to stored rows: box, time, cursor, pks, category, state, rule)."""
    if query.bbox is not None:
        lo_x, lo_y, hi_x, hi_y = query.bbox
        if line.lon is None or line.lat is None:
            return False
        if not (lo_x <= line.lon <= hi_x and lo_y <= line.lat <= hi_y):
            return False
    t = line.observed_at_s
    return (
        (query.since_s is None or t >= query.since_s)
        and (query.until_s is None or t <= query.until_s)
        and (query.after is None or (t, pk) > query.after)
        and (query.pks is None or pk in query.pks)
        and (query.category is None or line.category == query.category)
        and (query.state is None or line.state == query.state)
        and (query.rule is None or f";{query.rule};" in rules)
    )


def _computed_rows(
    state: HQState, user: User, rows: Sequence[UnreadyRow], query: PageQuery
) -> list[ShownRow]:
    """The reader's tearlines of ``rows``, which the store does not hold (release groups
    changed since the incidents were written, or a rebuild left them to be computed),
    computed now and filtered like stored ones."""
    out: list[ShownRow] = []
    for pk, (line, members, judged) in torn_lines(state, user, [row[0] for row in rows]).items():
        _, _, rules, item = torn_entry(pk, line, len(members), judged)
        if _shown(line, pk, rules, query):
            out.append((pk, line.observed_at_s, item))
    return out


def visible_items(
    state: HQState, user: User, query: PageQuery
) -> tuple[list[bytes], tuple[float, int] | None]:
    """One page of the incident items ``user`` may see (JSON each, tearlines applied), and
    the resume point of the next page (None at the end).

    Every filter and the resume point are on what the reader is shown: an incident seen
    through a tearline is found by the tearline's place and time, and the cursor carries the
    time the reader was shown, so nothing in the answer comes from a hidden report.
    """
    masks = state.masks(user)
    page = _page(state, query, masks, known_count=masks.known_count)
    if page.newer:  # written since the signatures were read: read them, then ask again
        masks = state.masks(user, fresh=True)
        page = _page(state, query, masks, known_count=None)
    rows = page.whole + page.torn
    if page.unready:
        rows += _computed_rows(state, user, page.unready, query)
    rows.sort(key=lambda row: (row[1], row[0]))
    rows = rows[: query.limit]
    last = rows[-1] if len(rows) == query.limit else None
    return [item for _, _, item in rows], None if last is None else (last[1], last[0])


def _page(
    state: HQState, query: PageQuery, masks: SignatureMasks, *, known_count: int | None
) -> StoredPage:
    return item_page(
        state.reads,
        query,
        whole_signatures=masks.whole,
        partial_masks=masks.partial,
        known_count=known_count,
    )


def json_response(data: Any, *, media_type: str = "application/json") -> Response:
    """``data`` as JSON bytes (numpy scalars allowed, NaN → null), without re-validation."""
    return Response(orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY), media_type=media_type)
