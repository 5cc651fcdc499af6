"""Columnar tables: a frozen dataclass of equal-length numpy arrays, concatenated and sliced.

The simulator moves hundreds of thousands of events and reports; keeping them as columns
lets every step (placement, detection, errors, sorting) run as numpy operations.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Self

import numpy as np
from numpy.typing import NDArray


class Table:
    """Mixin for frozen dataclasses whose every field is a 1-D numpy array of one length."""

    def __len__(self) -> int:
        first = dataclasses.fields(self)[0]  # type: ignore[arg-type]
        return int(getattr(self, first.name).shape[0])

    def take(self, index: NDArray[Any]) -> Self:
        """Rows at ``index`` (integer indices or a boolean mask), in that order."""
        values = {f.name: getattr(self, f.name)[index] for f in dataclasses.fields(self)}  # type: ignore[arg-type]
        return type(self)(**values)

    def replace(self, **columns: NDArray[Any]) -> Self:
        """A copy with some columns replaced."""
        return dataclasses.replace(self, **columns)  # type: ignore[type-var]

    @classmethod
    def concat(cls, tables: list[Self]) -> Self:
        """Rows of every table, one after the other (at least one table)."""
        names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
        return cls(**{n: np.concatenate([getattr(t, n) for t in tables]) for n in names})


def filled(n: int, value: float | int | bool | str, dtype: Any) -> NDArray[Any]:
    """A column of ``n`` copies of ``value``."""
    return np.full(n, value, dtype=dtype)
