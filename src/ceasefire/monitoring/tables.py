"""Count tables (oblast × category) and the category groups of the daily report.

The groups follow the OSCE SMM daily report: ceasefire violations are the fire categories
(explosions, projectiles in flight, muzzle flashes, illumination flares, bursts, shots); weapons
and military presence, access (restrictions of movement, impeded sensors, attacks on monitors)
and consequences for civilians are reported apart, never added to the violation total.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ceasefire.monitoring.columns import category_code
from ceasefire.reports.model import Category

FIRE_ORDER: tuple[Category, ...] = (
    Category.EXPLOSION,
    Category.PROJECTILE_IN_FLIGHT,
    Category.MUZZLE_FLASH,
    Category.ILLUMINATION_FLARE,
    Category.BURST_OF_FIRE,
    Category.SHOTS,
)
PRESENCE_ORDER: tuple[Category, ...] = (
    Category.HEAVY_WEAPON,
    Category.ARMOUR,
    Category.TROOP_MOVEMENT,
    Category.AIRCRAFT,
    Category.UAV,
    Category.VESSEL,
    Category.MINE,
)
ACCESS_ORDER: tuple[Category, ...] = (
    Category.MOVEMENT_RESTRICTION,
    Category.SENSOR_IMPEDED,
    Category.ATTACK_ON_MONITORS,
    Category.ATTACK_ON_FORCE,
)
CIVILIAN_ORDER: tuple[Category, ...] = (
    Category.CIVILIAN_CASUALTY,
    Category.INFRASTRUCTURE_DAMAGE,
)

#: Row label for reports with no location or a location outside every oblast.
UNLOCATED = "Unlocated / outside Ukraine"

#: Short column headings, as the SMM printed them.
CATEGORY_LABELS: dict[Category, str] = {
    Category.EXPLOSION: "Explosions",
    Category.PROJECTILE_IN_FLIGHT: "Projectiles in flight",
    Category.MUZZLE_FLASH: "Muzzle flashes",
    Category.ILLUMINATION_FLARE: "Illumination flares",
    Category.BURST_OF_FIRE: "Bursts",
    Category.SHOTS: "Shots",
    Category.HEAVY_WEAPON: "Heavy weapons",
    Category.ARMOUR: "Armour",
    Category.TROOP_MOVEMENT: "Troop movements",
    Category.AIRCRAFT: "Aircraft",
    Category.UAV: "UAVs",
    Category.VESSEL: "Vessels",
    Category.MINE: "Mines/UXO",
    Category.MOVEMENT_RESTRICTION: "Movement restrictions",
    Category.SENSOR_IMPEDED: "Sensors impeded",
    Category.ATTACK_ON_MONITORS: "Attacks on monitors",
    Category.ATTACK_ON_FORCE: "Attacks on the force",
    Category.CIVILIAN_CASUALTY: "Civilian casualties",
    Category.INFRASTRUCTURE_DAMAGE: "Damage to civilian property",
}


@dataclass(frozen=True, eq=False)
class CountTable:
    """Summed ``count`` per row (oblast, then ``UNLOCATED`` last) and column (category).

    ``values[i, j]`` is the sum of the ``count`` of the reports of category ``columns[j]`` in
    row ``rows[i]``: "4 explosions" is one report and adds 4.
    """

    rows: tuple[str, ...]
    columns: tuple[Category, ...]
    values: NDArray[np.int64]

    @property
    def total(self) -> int:
        """Sum over every cell."""
        return int(self.values.sum())

    def row_totals(self) -> NDArray[np.int64]:
        """Sum across categories, one per row."""
        return np.asarray(self.values.sum(axis=1), dtype=np.int64)

    def column_totals(self) -> NDArray[np.int64]:
        """Sum across rows, one per category."""
        return np.asarray(self.values.sum(axis=0), dtype=np.int64)

    def get(self, row: str, column: Category) -> int:
        """One cell by labels (``0`` for a row or category not in the table)."""
        if row not in self.rows or column not in self.columns:
            return 0
        return int(self.values[self.rows.index(row), self.columns.index(column)])

    def row_total(self, row: str) -> int:
        """Total of one row by label (``0`` when absent)."""
        return int(self.values[self.rows.index(row)].sum()) if row in self.rows else 0


def count_table(
    oblast: NDArray[np.int16],
    category: NDArray[np.int16],
    count: NDArray[np.int64],
    *,
    oblast_names: tuple[str, ...],
    columns: tuple[Category, ...],
) -> CountTable:
    """Sum ``count`` into an (oblast + unlocated) × ``columns`` table in one ``bincount``.

    Reports of categories not in ``columns`` are ignored. Exact for any total below 2**53
    (the weights pass through float64).
    """
    n_rows = len(oblast_names) + 1
    n_cols = len(columns)
    col_of = np.full(max(len(Category), 1), -1, dtype=np.int64)
    for j, cat in enumerate(columns):
        col_of[category_code(cat)] = j
    col = col_of[category.astype(np.int64)] if category.size else np.zeros(0, np.int64)
    row = np.where(oblast < 0, n_rows - 1, oblast).astype(np.int64)
    keep = col >= 0
    flat = row[keep] * n_cols + col[keep]
    sums = np.bincount(flat, weights=count[keep].astype(np.float64), minlength=n_rows * n_cols)
    values = np.rint(sums).astype(np.int64).reshape(n_rows, n_cols)
    return CountTable(rows=(*oblast_names, UNLOCATED), columns=columns, values=values)
