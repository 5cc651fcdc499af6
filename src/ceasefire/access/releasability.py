"""Release groups and the releasability rule of the observation-report spec.

A report's ``releasable_to`` lists nations (ISO 3166-1 alpha-3) and group names (``NATO``,
``EU``, ``FVEY``, ``MNF``, ...). It reaches a reader if any listed code is the reader's own
code or a group containing it; a report without the field reaches every coalition member
(group ``COALITION``). Groups may name groups; expansion follows them (cycles are harmless).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ceasefire.access.model import User, Viewer

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
