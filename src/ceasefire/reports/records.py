"""What every reader produces: accepted reports with their raw text, and rejections.

Kept apart from ``parse.py`` (which re-exports all of it) so that the format readers can use it
without importing the dispatcher that imports them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ceasefire.errors import InputError
from ceasefire.reports.fastpath import fast_parse
from ceasefire.reports.model import ObservationReport
from ceasefire.reports.validate import validate_report

#: ``Rejected.field`` when the whole line is unusable (bad JSON, too long, bad encoding)
LINE_FIELD = "(line)"
#: the largest line (record, feature) accepted, in bytes of UTF-8
MAX_LINE_BYTES = 1 << 20


def parse_report(obj: Mapping[str, object]) -> ObservationReport:
    """Validate one report object; raise ``InputError(field, rule, message)`` if it breaks a rule.

    Well-formed ``dict`` objects go through the generated fast path
    (``ceasefire.reports.fastpath``); anything it does not accept goes through
    ``ceasefire.reports.validate.validate_report``, which names the first broken rule.
    """
    if type(obj) is dict:
        report = fast_parse(obj)
        if report is not None:
            return report
    return validate_report(obj)


@dataclass(frozen=True, slots=True)
class Rejected:
    """One input item that broke a rule, kept whole as received.

    ``line_no`` is the 1-based physical line where the item starts (``None`` for a GeoJSON
    feature, which has no line of its own); ``field`` names the field or ``(line)``.
    """

    raw: str
    line_no: int | None
    field: str
    rule: str
    message: str


@dataclass(frozen=True, slots=True)
class ParsedChunk:
    """Consecutive items of one file, in file order; ``raws[i]`` is the text of ``reports[i]``."""

    reports: list[ObservationReport]
    raws: list[str]
    rejected: list[Rejected]

    @property
    def read(self) -> int:
        """Items read in this chunk: accepted plus rejected."""
        return len(self.reports) + len(self.rejected)


@dataclass(slots=True)
class ChunkBuilder:
    """Accumulates one chunk; readers call ``accept``/``reject`` and ``take`` when full."""

    reports: list[ObservationReport] = field(default_factory=list)
    raws: list[str] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    def accept(self, report: ObservationReport, raw: str) -> None:
        """Keep a valid report with the exact text it came from."""
        self.reports.append(report)
        self.raws.append(raw)

    def reject(self, raw: str, line_no: int | None, error: InputError) -> None:
        """Keep a bad item with the rule it broke."""
        self.rejected.append(Rejected(raw, line_no, error.field, error.rule, error.message))

    def __len__(self) -> int:
        return len(self.reports) + len(self.rejected)

    def take(self) -> ParsedChunk:
        """The chunk so far; the builder starts empty again."""
        chunk = ParsedChunk(self.reports, self.raws, self.rejected)
        self.reports, self.raws, self.rejected = [], [], []
        return chunk
