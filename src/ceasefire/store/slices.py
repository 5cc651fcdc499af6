"""Long lists of primary keys, sent to the database a slice at a time."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

#: Above this many pks, ``IN (...)`` lists are sent in slices (SQLite binds at most 32,766);
#: statements driven by a JSON array use the same size to keep each batch's rows in memory.
SLICE = 10_000


def pk_slices(values: Sequence[int]) -> Iterator[list[int]]:
    """``values`` in consecutive lists of at most ``SLICE``.

    >>> [len(part) for part in pk_slices(range(25_000))]
    [10000, 10000, 5000]
    """
    items = list(values)
    for start in range(0, len(items), SLICE):
        yield items[start : start + SLICE]
