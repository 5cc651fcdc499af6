"""Grading: how much to trust an incident — THE one place where confidence is defined.

Each report carries an Admiralty grade: source reliability A-F and information credibility
1-6. A report's own probability of being right is ``RELIABILITY_P[letter] * CREDIBILITY_P[digit]``
(F and 6, "cannot be judged", count as a coin toss). Reports only add confidence when their
sources are *independent*: every first-hand observer (a post, a patrol, a UAV, a camera, a
satellite, an acoustic array, a radar, the force's TAK feed) is its own witness, while open
sources, intelligence summaries and party notifications copy one another, so each of those
source *types* counts once, however many feeds repeat the story. Within a witness the best
report counts; across witnesses the chances that all are wrong multiply:

    confidence = 1 - prod over independent witnesses (1 - best p of that witness)

so one B2 post gives 0.64, two B2 posts 0.87, a B2 post and an A2 UAV 0.95; one D4 feed
repeated by three others still 0.16. ``corroborated`` (verification state) needs >= 2
independent witnesses.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from ceasefire.fusion.model import SOURCE_TYPES, FloatArray, IntArray
from ceasefire.reports.model import SourceType

#: Admiralty codes and source-type codes arrive as small ints of any width
SmallInts = NDArray[np.integer]

#: probability a report of each reliability letter A..F is right (F: cannot be judged)
RELIABILITY_P: Final = np.array([0.95, 0.8, 0.6, 0.4, 0.2, 0.5])
#: probability per credibility digit 1..6 (index 0 unused; 6: cannot be judged)
CREDIBILITY_P: Final = np.array([np.nan, 0.95, 0.8, 0.6, 0.4, 0.2, 0.5])
#: source types whose reports repeat each other: one witness per type
SECOND_HAND: Final = frozenset(
    {SourceType.OSINT, SourceType.INTELLIGENCE, SourceType.PARTY_NOTIFICATION}
)
_SECOND_HAND_CODES: Final = np.array([s in SECOND_HAND for s in SOURCE_TYPES])
#: independent witnesses needed to call an incident corroborated
CORROBORATION_WITNESSES: Final = 2


def report_probability(reliability: SmallInts, credibility: SmallInts) -> FloatArray:
    """Each report's probability of being right from its Admiralty grade (0-5, 1-6)."""
    return np.asarray(RELIABILITY_P[reliability] * CREDIBILITY_P[np.clip(credibility, 1, 6)])


def witness_key(source: IntArray, source_type: SmallInts) -> IntArray:
    """Independence key: the source itself, or its type for second-hand sources (negative)."""
    return np.where(_SECOND_HAND_CODES[source_type], -1 - source_type.astype(np.int64), source)


def grade_groups(
    group: IntArray,
    n_groups: int,
    *,
    source: IntArray,
    source_type: SmallInts,
    reliability: SmallInts,
    credibility: SmallInts,
) -> tuple[FloatArray, IntArray]:
    """Confidence and number of independent witnesses of each group (rows given by group)."""
    if group.size == 0:
        return np.zeros(n_groups), np.zeros(n_groups, dtype=np.int64)
    p = report_probability(reliability, credibility)
    witness = witness_key(source, source_type)
    order = np.lexsort((-p, witness, group))
    g, w = group[order], witness[order]
    first = np.ones(g.size, dtype=bool)
    first[1:] = (g[1:] != g[:-1]) | (w[1:] != w[:-1])  # best p of each (group, witness)
    best, g = p[order][first], g[first]
    witnesses = np.bincount(g, minlength=n_groups).astype(np.int64)
    # summed in (group, value) order, not witness-code order: the codes depend on which
    # reports a fusion run saw first, the float sum must not (windowed = full re-fusion)
    by_value = np.lexsort((best, g))
    log_wrong = np.bincount(
        g[by_value], weights=np.log1p(-np.minimum(best[by_value], 0.999)), minlength=n_groups
    )
    return 1.0 - np.exp(log_wrong), witnesses
