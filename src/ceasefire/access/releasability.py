"""Release groups and the releasability rule of the observation-report spec.

A report's ``releasable_to`` lists nations (ISO 3166-1 alpha-3) and group names (``NATO``,
``EU``, ``FVEY``, ``MNF``, ...). It reaches a reader if any listed code is the reader's own
code or a group containing it; a report without the field reaches every coalition member
(group ``COALITION``). Groups may name groups; expansion follows them (cycles are harmless).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ceasefire.access.model import User, Viewer
from ceasefire.reports.model import Classification

#: The group that the spec's default ("every coalition member") stands for.
COALITION = "COALITION"
#: How ``releasable_to`` lists are stored: ``;``-joined, NULL/empty for the default.
SEPARATOR = ";"


def groups_containing(code: str, groups: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """Every group that contains ``code``, directly or through groups of groups.

    >>> g = {"NATO": frozenset({"FRA", "USA"}), "COALITION": frozenset({"NATO", "UKR"})}
    >>> sorted(groups_containing("FRA", g))
    ['COALITION', 'NATO']
    """
    found: set[str] = set()
    frontier = {code}
    while frontier:
        nxt = {name for name, members in groups.items() if members & frontier} - found
        found |= nxt
        frontier = nxt
    return frozenset(found)


def viewer_for(user: User, groups: Mapping[str, frozenset[str]]) -> Viewer:
    """The filter for ``user``: their code, the groups holding it, and their clearance."""
    code = user.principal
    containing = groups_containing(code, groups)
    return Viewer(
        principal=code,
        clearance_rank=user.clearance.rank,
        audiences=frozenset({code}) | containing,
        default_audience=COALITION in containing,
    )


def releasable(label: str | None, viewer: Viewer) -> bool:
    """Whether a stored ``releasable_to`` (``;``-joined, None/"" = default) reaches ``viewer``.

    >>> v = Viewer("FRA", 3, frozenset({"FRA", "NATO"}), True)
    >>> releasable("USA;NATO", v), releasable("USA", v), releasable(None, v)
    (True, False, True)
    """
    if not label:
        return viewer.default_audience
    return not viewer.audiences.isdisjoint(label.split(SEPARATOR))


def releasable_labels(labels: Iterable[str], viewer: Viewer) -> list[str]:
    """The stored labels among ``labels`` that reach ``viewer`` (the SQL ``IN`` list)."""
    return sorted(label for label in labels if label and releasable(label, viewer))


#: A release signature: the distinct ``(classification, releasable_to)`` of an incident's
#: reports, sorted (``releasable_to`` as stored, '' for the default). Bit ``k`` of a mask
#: stands for ``pairs[k]``.
Pairs = tuple[tuple[str, str], ...]


def signature_mask(pairs: Pairs, viewer: Viewer) -> int:
    """Which of an incident's report kinds ``viewer`` sees, as a bit mask over ``pairs``.

    0: the incident is hidden; all bits: it is seen whole; anything else: a tearline.

    >>> v = Viewer("FRA", 1, frozenset({"FRA", "COALITION"}), True)
    >>> signature_mask((("RESTRICTED", "USA"), ("UNCLASSIFIED", "")), v)
    2
    """
    mask = 0
    for k, (classification, label) in enumerate(pairs):
        if viewer.sees_classification(classification) and releasable(label, viewer):
            mask |= 1 << k
    return mask


def possible_masks(pairs: Pairs, groups: Mapping[str, frozenset[str]]) -> set[int]:
    """Every partial mask (neither 0 nor all bits) some reader can have on ``pairs``.

    A reader's mask depends only on their clearance and on which of the codes named by the
    labels and the groups are theirs or hold them; so trying every such code at every
    clearance finds every mask a reader of any nation can have, while release groups stay as
    they are (a code named nowhere sees nothing). Used to compute tearlines before anyone
    asks for them.
    """
    codes = {code for _, label in pairs for code in label.split(SEPARATOR) if code}
    codes |= set(groups) | {member for members in groups.values() for member in members}
    full = (1 << len(pairs)) - 1
    found: set[int] = set()
    for code in sorted(codes):
        containing = groups_containing(code, groups)
        for level in Classification:
            viewer = Viewer(
                principal=code,
                clearance_rank=level.rank,
                audiences=frozenset({code}) | containing,
                default_audience=COALITION in containing,
            )
            found.add(signature_mask(pairs, viewer))
    return found - {0, full}
