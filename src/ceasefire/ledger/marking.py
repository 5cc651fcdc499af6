"""Who may read a ledger entry: its marking, a release signature like an incident's.

An entry's marking is the sorted, distinct ``(classification, releasable_to)`` pairs of the
reports it concerns (``releasable_to`` as stored, ``''`` for the default audience), the same
shape as ``ceasefire.access.releasability.Pairs``. A reader sees the entry in full only when
they see **every** pair (one hidden report is enough to withhold the entry), so writers split
entries whose reports carry different markings. ``None`` means *withheld from every nation*
(HQ only): the safe default for an entry whose writer gave no marking.

>>> from ceasefire.access.model import Viewer
>>> fra = Viewer("FRA", 1, frozenset({"FRA", "COALITION"}), True)
>>> released_to(COALITION_WIDE, fra), released_to((("SECRET", "FRA"),), fra), released_to(None, fra)
(True, False, False)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping

import orjson

from ceasefire.access.model import User, Viewer, check_code
from ceasefire.access.releasability import Pairs, signature_mask, viewer_for
from ceasefire.errors import InputError
from ceasefire.ledger.canonical import canonical_json
from ceasefire.reports.model import Classification

Marking = Pairs | None
"""An entry's marking; ``None``: withheld from every nation (HQ only)."""

COALITION_WIDE: Pairs = (("UNCLASSIFIED", ""),)
"""Facts of the coalition itself (pledges, ratifications, keys): every member may read them."""

WITHHELD: Marking = None
"""Withheld from every nation: the default when a writer gives no marking."""


def marking_of(pairs: Iterable[tuple[str, str | None]]) -> Pairs:
    """The canonical marking of some reports' ``(classification, releasable_to)`` pairs:
    distinct, sorted, ``None`` releasability spelled ``''`` (the default audience).

    >>> marking_of([("SECRET", "FRA"), ("UNCLASSIFIED", None), ("SECRET", "FRA")])
    (('SECRET', 'FRA'), ('UNCLASSIFIED', ''))
    """
    found = {(str(c), str(r or "")) for c, r in pairs}
    if not found:
        raise InputError("marking", "empty", "a marking needs at least one pair (None: withheld)")
    return tuple(sorted(found))


def union(markings: Iterable[Marking]) -> Marking:
    """The marking of an entry about several things: every pair of each; withheld as soon as
    one of them is withheld (or when there is none).

    >>> union([(("SECRET", "FRA"),), COALITION_WIDE])
    (('SECRET', 'FRA'), ('UNCLASSIFIED', ''))
    >>> union([COALITION_WIDE, None]) is None
    True
    """
    pairs: list[tuple[str, str]] = []
    for marking in markings:
        if marking is None:
            return None
        pairs.extend(marking)
    return marking_of(pairs) if pairs else None


def released_to(marking: Marking, viewer: Viewer) -> bool:
    """Whether ``viewer`` may read an entry of this marking in full: they see every pair."""
    if marking is None:
        return False
    return signature_mask(marking, viewer) == (1 << len(marking)) - 1


def nation_viewer(
    code: str, clearance: Classification, groups: Mapping[str, frozenset[str]]
) -> Viewer:
    """The viewer of a nation (or organisation) ``code`` at ``clearance``: what the export
    ``--for`` it may release (the same filter as an HQ account of that nation gets).

    >>> v = nation_viewer("FRA", Classification.RESTRICTED, {"COALITION": frozenset({"FRA"})})
    >>> (v.principal, v.clearance_rank, v.default_audience)
    ('FRA', 1, True)
    """
    check_code(code, field="nation")
    user = User(0, code, code, None, clearance, frozenset())
    return viewer_for(user, groups)


def release_rule(viewer: Viewer | None) -> Callable[[Marking], bool]:
    """What an export releases: everything for the HQ (``viewer`` None), else what
    ``released_to`` allows (memoised per marking: an export has few distinct markings)."""
    if viewer is None:
        return lambda _marking: True
    return functools.lru_cache(maxsize=1024)(lambda marking: released_to(marking, viewer))


def marking_json(marking: Marking) -> bytes:
    """Canonical JSON of a marking as committed in an entry: ``null`` or
    ``[["CLASSIFICATION","releasable_to"],...]``."""
    if marking is None:
        return b"null"
    return canonical_json([list(pair) for pair in marking], field="marking")


@functools.lru_cache(maxsize=4096)
def parse_marking(text: bytes) -> Marking:
    """The marking written by ``marking_json`` (``InputError`` for anything else)."""
    return check_marking(orjson.loads(text))


def check_marking(value: object) -> Marking:
    """A parsed marking: ``None``, or a non-empty list of distinct, sorted ``[str, str]``
    pairs (``InputError`` otherwise)."""
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or not value
        or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
            for p in value
        )
    ):
        raise InputError("marking", "schema", "a marking is null or [[str, str], ...]")
    pairs = tuple((str(c), str(r)) for c, r in value)
    if list(pairs) != sorted(set(pairs)):
        raise InputError("marking", "order", "marking pairs must be distinct and sorted")
    return pairs
