"""Release groups and the releasability rule of the observation-report spec.

A report's ``releasable_to`` lists nations (ISO 3166-1 alpha-3) and group names (``NATO``,
``EU``, ``FVEY``, ``MNF``, ...). It reaches a reader if any listed code is the reader's own
code or a group containing it; a report without the field reaches every coalition member
(group ``COALITION``).

A group's members are taken literally: ``EU`` as a member of ``COALITION`` is the European
Union's own users, never its member states (Hungary is in the EU but not in the coalition).
Only a group's explicit ``includes`` nests groups, and ``resolve_groups`` flattens them when
the table is loaded, so membership tests need no expansion.
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
    """Every group that lists ``code`` as a member (groups are flat: ``resolve_groups``).

    A group named as a member is an organisation's code, not its members:

    >>> g = {"NATO": frozenset({"HUN", "USA"}), "COALITION": frozenset({"NATO", "UKR"})}
    >>> sorted(groups_containing("HUN", g)), sorted(groups_containing("NATO", g))
    (['NATO'], ['COALITION'])
    """
    return frozenset(name for name, members in groups.items() if code in members)


def resolve_groups(
    definitions: Mapping[str, tuple[Iterable[str], Iterable[str]]],
) -> dict[str, frozenset[str]]:
    """Flat membership from ``name -> (members, includes)``: each group's literal members
    plus those of the groups it includes, transitively (cycles are harmless). An include of
    an undefined group is a ``ValueError``: a typo must not silently drop members.

    >>> d = {"MNF": (["GBR", "FRA"], []), "WIDE": (["UKR"], ["MNF"]), "EU": (["FRA"], [])}
    >>> sorted(resolve_groups(d)["WIDE"])
    ['FRA', 'GBR', 'UKR']
    """
    literal = {name: frozenset(members) for name, (members, _) in definitions.items()}
    nested = {name: frozenset(includes) for name, (_, includes) in definitions.items()}
    out: dict[str, frozenset[str]] = {}
    for name in definitions:
        members, seen, frontier = set(literal[name]), {name}, set(nested[name])
        while frontier:
            unknown = frontier - set(definitions)
            if unknown:
                raise ValueError(f"group {name!r} includes undefined {sorted(unknown)}")
            seen |= frontier
            for inner in frontier:
                members |= literal[inner]
            frontier = {g for inner in frontier for g in nested[inner]} - seen
        out[name] = frozenset(members)
    return out


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
