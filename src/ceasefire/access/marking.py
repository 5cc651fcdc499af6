"""Markings of what analysts write: the release signature of what the author saw.

A note, a verdict or an attribution record may quote any report its author could see, so it
carries their *marking*: the distinct ``(classification, releasable_to)`` pairs (a
``releasability.Pairs``, sorted) of the incident's reports visible to the author when they
wrote it. A reader is shown the record only if they see every pair of its marking; a reader
who sees every report the author saw sees everything the record can quote.

Markings are stored as the JSON text ``release_signatures.pairs`` uses
(``[["SECRET", "FRA"], ["UNCLASSIFIED", ""]]``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import orjson

from ceasefire.access.model import Viewer
from ceasefire.access.releasability import Pairs, signature_mask


def pairs_of(reports: Iterable[tuple[str, str | None]]) -> Pairs:
    """The marking of ``(classification, releasable_to)`` of some reports (None/'' = default).

    >>> pairs_of([("SECRET", "FRA"), ("UNCLASSIFIED", None), ("SECRET", "FRA")])
    (('SECRET', 'FRA'), ('UNCLASSIFIED', ''))
    """
    return tuple(sorted({(str(c), str(label or "")) for c, label in reports}))


def encode_marking(pairs: Pairs) -> str:
    """The stored text of a marking; ``ValueError`` for an empty one (it would be shown to
    everyone: every record quotes at least one report).

    >>> encode_marking((("SECRET", "FRA"), ("UNCLASSIFIED", "")))
    '[["SECRET","FRA"],["UNCLASSIFIED",""]]'
    """
    if not pairs:
        raise ValueError("a marking names at least one (classification, releasable_to)")
    return orjson.dumps([list(p) for p in sorted(set(pairs))]).decode()


def decode_marking(text: str | bytes | None) -> Pairs:
    """A stored marking as pairs; ``()`` for a missing or unreadable one (shown to nobody)."""
    if not text:
        return ()
    try:
        value = orjson.loads(text)
        return tuple(sorted({(str(c), str(label)) for c, label in value}))
    except (orjson.JSONDecodeError, TypeError, ValueError):
        return ()


def sees_marking(pairs: Pairs, viewer: Viewer | None) -> bool:
    """Whether ``viewer`` sees every pair of a marking (``None``: the HQ system, sees all).

    An empty marking is shown to nobody but the system (fail closed: it is never written).

    >>> v = Viewer("FRA", 3, frozenset({"FRA", "COALITION"}), True)
    >>> sees_marking((("SECRET", "FRA"), ("UNCLASSIFIED", "")), v)
    True
    >>> sees_marking((("SECRET", "FRA"), ("RESTRICTED", "USA")), v)
    False
    """
    if viewer is None:
        return True
    return bool(pairs) and signature_mask(pairs, viewer) == (1 << len(pairs)) - 1


def marking_bits(marking: Pairs, signature: Sequence[tuple[str, str]]) -> int | None:
    """A marking as bits of an incident's signature (bit ``k`` for ``signature[k]``), or
    None when it names a pair the incident does not hold (a record carried over from an
    incident re-fusion replaced): no reader's mask on the incident then decides it.

    A reader with mask ``m`` on the incident sees a marking with bits ``b`` iff
    ``b & m == b``: so what a stored tearline shows is a function of its mask.

    >>> marking_bits((("SECRET", "FRA"),), (("SECRET", "FRA"), ("UNCLASSIFIED", "")))
    1
    >>> marking_bits((("SECRET", "USA"),), (("SECRET", "FRA"),)) is None
    True
    """
    index = {pair: k for k, pair in enumerate(signature)}
    bits = 0
    for pair in marking:
        k = index.get(pair)
        if k is None:
            return None
        bits |= 1 << k
    return bits if marking else None
