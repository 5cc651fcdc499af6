"""Violations as the rules produce them: columns over a batch of reports, not objects.

``ViolationBatch`` is what ``evaluate_rules`` returns; the ingest service attaches each row to
the incident of its report. The two protocols say exactly what the rules read from the report
columns and the placements, so the rules do not depend on how those are built.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import numpy as np
from numpy.typing import NDArray


class Certainty(StrEnum):
    """``certain`` when the report is certainly where the rule applies; ``possible`` when its
    uncertainty circle straddles the zone's (or an exemption's) edge."""

    CERTAIN = "certain"
    POSSIBLE = "possible"


class RuleColumns(Protocol):
    """What the rules read from ``reports.columns.ReportColumns``."""

    @property
    def category(self) -> NDArray[np.int16]:
        """Index into ``list(Category)``."""
        ...

    @property
    def weapon_class(self) -> NDArray[np.int16]:
        """Index into ``list(WeaponClass)``, -1 when none was given."""
        ...

    @property
    def observed_at_s(self) -> NDArray[np.float64]:
        """Epoch seconds UTC."""
        ...


class RulePlacements(Protocol):
    """What the rules read from ``geo.placement.Placements``."""

    @property
    def zone_ids(self) -> tuple[str, ...]:
        """Column order of ``inside`` / ``possibly_inside``."""
        ...

    @property
    def inside(self) -> NDArray[np.bool_]:
        """(n, z): certainly inside."""
        ...

    @property
    def possibly_inside(self) -> NDArray[np.bool_]:
        """(n, z): the uncertainty circle crosses the zone's edge."""
        ...

    @property
    def at_storage_site(self) -> NDArray[np.bool_]:
        """(n,): certainly within a storage site."""
        ...

    @property
    def near_storage_site(self) -> NDArray[np.bool_]:
        """(n,): possibly within a storage site."""
        ...


@dataclass(frozen=True, slots=True)
class ViolationBatch:
    """Rules broken by a batch of reports; all arrays have one entry per violation.

    Rows are ordered by ``report_index``, then by the rule's position in the agreement.
    ``rule_id``, ``article``, ``certainty`` and ``zone_id`` are object arrays of ``str``
    (``zone_id`` holds ``None`` for rules that apply anywhere), so ``tolist()`` gives values
    ready for a database row.
    """

    report_index: NDArray[np.int64]
    rule_id: NDArray[np.object_]
    article: NDArray[np.object_]
    severity: NDArray[np.int16]
    certainty: NDArray[np.object_]
    zone_id: NDArray[np.object_]

    def __len__(self) -> int:
        return len(self.report_index)

    @classmethod
    def empty(cls) -> ViolationBatch:
        """A batch with no violations."""
        nothing = np.empty(0, dtype=object)
        return cls(
            report_index=np.empty(0, dtype=np.int64),
            rule_id=nothing,
            article=nothing,
            severity=np.empty(0, dtype=np.int16),
            certainty=nothing,
            zone_id=nothing,
        )
