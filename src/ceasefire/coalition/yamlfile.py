"""Reading YAML with the line of every value, so a refusal can say file, line and rule.

``yaml.compose`` keeps the node tree with its start marks; values are built node by node
with PyYAML's own ``SafeConstructor``, so typing (ints, bools, dates) is exactly YAML's. A
file's errors are collected item by item and raised together as ``RefusedFileError``: the caller
loads nothing unless the whole file is clean.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ceasefire.errors import InputError

E = TypeVar("E", bound=StrEnum)


class LocatedError(InputError):
    """An input error at a known place in a file: ``file:line: field: message [rule]``."""

    def __init__(self, file: str, line: int, field: str, rule: str, message: str) -> None:
        super().__init__(field, rule, message)
        self.file = file
        self.line = line
        self.args = (f"{file}:{line}: {field}: {message} [{rule}]",)

    def __str__(self) -> str:
        return str(self.args[0])


class RefusedFileError(LocatedError):
    """A whole file refused; ``errors`` lists every problem found, in file order.

    Its own ``line``, ``field`` and ``rule`` are the first problem's.
    """

    def __init__(self, file: str, errors: list[LocatedError]) -> None:
        first = errors[0]
        super().__init__(file, first.line, first.field, first.rule, first.message)
        self.errors = tuple(errors)
        lines = "\n".join(str(e) for e in errors)
        self.args = (f"{file}: refused, nothing loaded ({len(errors)} error(s)):\n{lines}",)

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True, slots=True)
class YNode:
    """A YAML node with its key path and file, and typed accessors that raise located errors."""

    node: Node
    path: str
    file: str

    @property
    def line(self) -> int:
        """1-based line where the node starts."""
        return int(self.node.start_mark.line) + 1

    def error(self, rule: str, message: str, field: str | None = None) -> LocatedError:
        """A located error at this node."""
        return LocatedError(self.file, self.line, field or self.path, rule, message)

    def value(self) -> object:
        """The plain Python value, constructed exactly as ``yaml.safe_load`` would."""
        return SafeConstructor().construct_object(self.node, deep=True)

    def mapping(self) -> dict[str, YNode]:
        """Children of a mapping node by key; duplicate keys are an error."""
        if not isinstance(self.node, MappingNode):
            raise self.error("type", "expected a mapping")
        out: dict[str, YNode] = {}
        for key_node, value_node in self.node.value:
            key = str(key_node.value)
            child = f"{self.path}.{key}" if self.path else key
            if key in out:
                raise LocatedError(
                    self.file, key_node.start_mark.line + 1, child, "duplicate-key", "key repeated"
                )
            out[key] = YNode(value_node, child, self.file)
        return out

    def items(self) -> Iterator[YNode]:
        """Elements of a sequence node, each with its index in the path."""
        if not isinstance(self.node, SequenceNode):
            raise self.error("type", "expected a list")
        for i, child in enumerate(self.node.value):
            yield YNode(child, f"{self.path}[{i}]", self.file)


class Fields:
    """Typed access to one mapping's keys; every miss or mistype is a ``LocatedError``."""

    def __init__(self, node: YNode) -> None:
        self.node = node
        self.children = node.mapping()

    def _get(self, key: str, required: bool) -> YNode | None:
        child = self.children.get(key)
        if child is None and required:
            raise self.node.error("required", f"missing key {key!r}", f"{self.node.path}.{key}")
        return child

    def has(self, key: str) -> bool:
        """Whether the key is present."""
        return key in self.children

    def child(self, key: str) -> YNode | None:
        """The node under ``key``, if any."""
        return self.children.get(key)

    def unknown_keys(self, allowed: set[str]) -> None:
        """Refuse keys outside ``allowed`` (a typo must not silently drop a caveat)."""
        for key, child in self.children.items():
            if key not in allowed:
                raise child.error("unknown-key", f"unknown key {key!r}")

    def string(self, key: str, default: str | None = None) -> str:
        """A non-empty string (required unless ``default`` is given)."""
        child = self._get(key, default is None)
        if child is None:
            assert default is not None
            return default
        value = child.value()
        if not isinstance(value, str) or (default is None and not value.strip()):
            raise child.error("type", f"expected a non-empty string, got {value!r}")
        return value

    def integer(self, key: str, *, minimum: int, default: int | None = None) -> int:
        """An integer ``>= minimum``; a negative quantity breaks rule ``range``."""
        child = self._get(key, default is None)
        if child is None:
            assert default is not None
            return default
        value = child.value()
        if not isinstance(value, int) or isinstance(value, bool):
            raise child.error("type", f"expected an integer, got {value!r}")
        if value < minimum:
            raise child.error("range", f"must be >= {minimum}, got {value}")
        return value

    def number(self, key: str, *, minimum: float) -> float | None:
        """An optional number ``>= minimum``."""
        child = self._get(key, False)
        if child is None:
            return None
        value = child.value()
        if value is None:
            return None
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise child.error("type", f"expected a number, got {value!r}")
        if value < minimum:
            raise child.error("range", f"must be >= {minimum:g}, got {value:g}")
        return float(value)

    def boolean(self, key: str, default: bool) -> bool:
        """A YAML boolean."""
        child = self._get(key, False)
        if child is None:
            return default
        value = child.value()
        if not isinstance(value, bool):
            raise child.error("type", f"expected true or false, got {value!r}")
        return value

    def day(self, key: str) -> date:
        """A calendar date (``2026-01-06``)."""
        child = self._get(key, True)
        assert child is not None
        value = child.value()
        if isinstance(value, datetime):
            return value.date()
        if not isinstance(value, date):
            raise child.error("type", f"expected a date YYYY-MM-DD, got {value!r}")
        return value

    def instant(self, key: str) -> datetime:
        """A UTC-aware instant; a bare date is midnight UTC, a naive timestamp is read as UTC."""
        child = self._get(key, True)
        assert child is not None
        value = child.value()
        if isinstance(value, datetime):
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        raise child.error("type", f"expected a date or timestamp, got {value!r}")

    def choice(self, key: str, enum: type[E], rule: str, default: E | None = None) -> E:
        """A member of a closed vocabulary; an unknown value breaks ``rule``."""
        child = self._get(key, default is None)
        if child is None:
            assert default is not None
            return default
        value = child.value()
        try:
            return enum(str(value))
        except ValueError:
            known = ", ".join(e.value for e in enum)
            raise child.error(rule, f"unknown {key} {value!r} (known: {known})") from None

    def strings(self, key: str) -> list[str]:
        """A list of strings (empty when absent)."""
        child = self._get(key, False)
        if child is None:
            return []
        out: list[str] = []
        for item in child.items():
            value = item.value()
            if not isinstance(value, str):
                raise item.error("type", f"expected a string, got {value!r}")
            out.append(value)
        return out


def compose_file(path: Path, display: str | None = None) -> YNode:
    """Compose a YAML file into a node tree; a syntax error is located like any other."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LocatedError(name, 0, "", "unreadable", str(exc)) from exc
    return compose_text(text, name)


def compose_text(text: str, name: str) -> YNode:
    """Compose YAML text; an empty document is an error (rule ``empty``)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else 0
        raise LocatedError(name, line, "", "yaml-syntax", str(exc.problem)) from exc
    if node is None:
        raise LocatedError(name, 1, "", "empty", "the file holds no YAML document")
    if isinstance(node, ScalarNode):
        raise LocatedError(name, 1, "", "type", "expected a mapping at the top level")
    return YNode(node, "", name)
