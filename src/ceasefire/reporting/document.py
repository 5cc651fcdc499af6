"""A report as a list of sections of plain blocks, laid out by both the HTML and the Markdown.

Building the content once and rendering it twice keeps ``report.html`` and ``report.md`` in step
(same sections, same numbers); the renderers only know about paragraphs, bullet lists, tables
and figures.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A paragraph of plain text (escaped by the renderer)."""

    text: str


@dataclass(frozen=True, slots=True)
class Bullets:
    """A bullet list of plain-text items."""

    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Table:
    """A table; ``numeric[j]`` right-aligns column ``j``; the last row is bold when ``total``."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]
    total: bool = False


@dataclass(frozen=True, slots=True)
class Figure:
    """A PNG picture: embedded as base64 in HTML, written as ``file_name`` next to the Markdown."""

    file_name: str
    png: bytes
    alt: str
    caption: str


Block = Paragraph | Bullets | Table | Figure


@dataclass(frozen=True, slots=True)
class Section:
    """A titled section; ``anchor`` is its stable HTML id (tests and links rely on it)."""

    anchor: str
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class Document:
    """A whole report: title, a one-line subtitle (date, window, scope), and sections."""

    title: str
    subtitle: str
    sections: tuple[Section, ...]

    def figures(self) -> tuple[Figure, ...]:
        """Every figure, in order of appearance."""
        return tuple(b for s in self.sections for b in s.blocks if isinstance(b, Figure))


def fmt_int(value: int) -> str:
    """Thousands separated by a thin comma: ``12,495``."""
    return f"{value:,}"


def fmt_delta(value: int) -> str:
    """A signed change: ``+12``, ``-3``, ``0``."""
    return f"{value:+,}" if value else "0"
