"""Reports as columns: the spec's fields plus the truth of each report, one array per field.

Observers produce reports in blocks (every post's hearings of every event at once), so a
block is a dict of equal-length arrays; blocks are concatenated, put in arrival order and
only then turned into JSON lines. Floats are NaN when absent, strings ``None``.

Truth columns (never written into a report):

* ``event``: index of the true event the report is about; ``-1`` for a false report.
* ``kind``: ``first`` (an observer's own report), ``forwarded`` (another source relaying a
  report: same event, new source and id), ``resent`` (the very same line sent again: the
  store must keep one), ``false`` (no event behind it).
* ``copy_of``: for ``forwarded``/``resent``, the row of the report copied; else ``-1``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

FLOAT_FIELDS: Final = (
    "observed_at",
    "observed_until",
    "lat",
    "lon",
    "uncertainty_m",
    "observer_lat",
    "observer_lon",
    "bearing_deg",
    "bearing_error_deg",
    "distance_min_m",
    "distance_max_m",
    "arrival",
)
INT_FIELDS: Final = ("count", "credibility", "event", "copy_of")
STR_FIELDS: Final = (
    "id",
    "source",
    "source_type",
    "reliability",
    "place",
    "category",
    "weapon_class",
    "fire_direction",
    "description",
    "kind",
)
ALL_FIELDS: Final = FLOAT_FIELDS + INT_FIELDS + STR_FIELDS

#: Defaults of the integer columns when a block does not give them.
_INT_DEFAULTS: Final = {"count": 1, "credibility": 6, "event": -1, "copy_of": -1}

#: Field name -> column; mixed dtypes (float, int, object), hence ``Any``.
Columns = dict[str, NDArray[Any]]


def block(n: int, values: Mapping[str, object]) -> Columns:
    """A block of ``n`` reports: every field present, scalars broadcast, the rest defaults.

    ``arrival`` (epoch s) orders the file; it defaults to ``observed_at``.
    """
    unknown = set(values) - set(ALL_FIELDS)
    if unknown:
        raise ValueError(f"unknown report columns: {sorted(unknown)}")
    out: Columns = {}
    for name in FLOAT_FIELDS:
        out[name] = _filled(n, values.get(name, np.nan), np.float64)
    for name in INT_FIELDS:
        out[name] = _filled(n, values.get(name, _INT_DEFAULTS[name]), np.int64)
    for name in STR_FIELDS:
        out[name] = _filled(n, values.get(name), object)
    if "arrival" not in values:
        out["arrival"] = out["observed_at"].copy()
    return out


def _filled(n: int, value: object, dtype: type) -> NDArray[Any]:
    if isinstance(value, np.ndarray):
        if len(value) != n:
            raise ValueError(f"column of length {len(value)} in a block of {n}")
        return value.astype(dtype)
    out: NDArray[Any] = np.empty(n, dtype=dtype)
    out[:] = value
    return out


def concat(blocks: Sequence[Columns]) -> Columns:
    """One table from blocks, in order (an empty sequence gives an empty table)."""
    if not blocks:
        return block(0, {})
    return {name: np.concatenate([b[name] for b in blocks]) for name in ALL_FIELDS}


def take(table: Columns, rows: NDArray[np.intp]) -> Columns:
    """The rows ``rows`` of ``table``, in that order."""
    return {name: column[rows] for name, column in table.items()}


def size(table: Columns) -> int:
    """Number of reports in ``table``."""
    return len(table["observed_at"])
