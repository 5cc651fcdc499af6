"""The line-level rules of the export: named rules, exact bytes, members and their types.

Everything here is a pure function of bytes or strings, so it is memoised: verifying one file
gains nothing, re-verifying many near-identical files (the mutation test, a nation checking
successive exports) skips the lines it has already seen.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum

import orjson

from ceasefire.errors import CeasefireError, InputError
from ceasefire.ledger.canonical import canonical_json, parse_timestamp
from ceasefire.ledger.merkle import merkle_root
from ceasefire.ledger.signing import verify_signature

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
HEX128 = re.compile(r"^[0-9a-f]{128}$")


class Rule(StrEnum):
    """The rule a failed export broke (``docs/ledger.md`` describes each)."""

    ENCODING = "encoding"
    CANONICAL = "canonical"
    SCHEMA = "schema"
    HEADER = "header"
    ORDER = "order"
    KEY = "key"
    SEQUENCE = "sequence"
    CHAIN = "chain"
    HASH = "hash"
    CHECKPOINT = "checkpoint"
    MERKLE_ROOT = "merkle-root"
    SIGNATURE = "signature"
    UNTRUSTED_KEY = "untrusted-key"
    SIGNER = "signer"
    HQ_SIGNATURE = "hq-signature"
    COUNTERSIGNATURES = "countersignatures"
    COVERAGE = "coverage"
    COUNT = "count"
    TRUNCATED = "truncated"
    LEDGER = "ledger"
    ROLLBACK = "rollback"
    REWRITTEN = "rewritten"


class RuleError(CeasefireError):
    """A broken export rule; the verifier turns it into a ``Failure`` with the line number."""

    def __init__(self, rule: Rule, message: str) -> None:
        super().__init__(f"{message} [{rule}]")
        self.rule = rule
        self.message = message


_I, _S = int, str
SCHEMAS: dict[str, dict[str, type]] = {
    "header": {"checkpoints": _I, "entries": _I, "format": _S, "keys": _I, "kind": _S,
               "ledger": _S, "signatures": _I, "version": _I},
    "key": {"fingerprint": _S, "kind": _S, "owner": _S, "public_key": _S, "role": _S},
    "entry": {"chain": _S, "entry": dict, "hdr": dict, "kind": _S, "salt": _S, "seq": _I},
    "withheld": {"body": _S, "chain": _S, "hdr": dict, "kind": _S, "seq": _I},
    "checkpoint": {"at": _S, "first": _I, "hash": _S, "head": _S, "kind": _S, "last": _I,
                   "ledger": _S, "prev": _S, "root": _S, "seq": _I},
    "signature": {"at": _S, "checkpoint": _I, "key": _S, "kind": _S, "role": _S, "sig": _S,
                  "signer": _S},
}  # fmt: skip
"""Exact members of each kind of line and their JSON types (``int`` excludes booleans)."""

ENTRY_SCHEMA: dict[str, type | None] = {
    "at": str, "marking": None, "payload": dict, "subject": str, "type": str,
}  # fmt: skip
"""Exact members of a released line's ``entry`` (``marking`` is checked on its own)."""


@dataclass(frozen=True, slots=True)
class ParsedLine:
    """A line that passed the byte-level rules (``content`` is its bytes without ``\\n``)."""

    kind: str
    obj: dict[str, object]
    content: bytes


@functools.lru_cache(maxsize=8192)
def parse_line(content: bytes) -> ParsedLine | tuple[Rule, str]:
    """Parse one line (without its ``\\n``), or say which rule it breaks.

    Returns the failure instead of raising so that failures are memoised too.
    """
    try:
        obj = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        return Rule.ENCODING, f"not UTF-8 JSON: {exc}"
    if not isinstance(obj, dict):
        return Rule.SCHEMA, "a line must be a JSON object"
    try:
        canonical = canonical_json(obj, field="line", parsed=True)
    except InputError as exc:
        return Rule.CANONICAL, str(exc)
    if canonical != content:
        return Rule.CANONICAL, "line is not byte-for-byte canonical JSON (RFC 8785)"
    kind = obj.get("kind")
    if not isinstance(kind, str) or kind not in SCHEMAS:
        return Rule.SCHEMA, f"unknown kind {kind!r}"
    spec = SCHEMAS[kind]
    if set(obj) != set(spec):
        return Rule.SCHEMA, f"a {kind} line has exactly the members {sorted(spec)}"
    for name, expected in spec.items():
        value = obj[name]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            return Rule.SCHEMA, f"{kind}.{name} must be {expected.__name__}"
    return ParsedLine(kind, obj, content)


def hex64(value: object, what: str) -> str:
    """``value`` if it is 64 lowercase hex digits, else ``RuleError(schema)``."""
    if not isinstance(value, str) or not _HEX64.match(value):
        raise RuleError(Rule.SCHEMA, f"{what} must be 64 lowercase hex digits")
    return value


@functools.lru_cache(maxsize=4096)
def _timestamp_error(value: str) -> str | None:
    try:
        parse_timestamp(value)
    except InputError as exc:
        return str(exc)
    return None


def check_timestamp(value: object) -> None:
    """``RuleError(schema)`` unless ``value`` is a ledger timestamp (``…T…:…:….ffffffZ``)."""
    error = _timestamp_error(str(value))
    if error is not None:
        raise RuleError(Rule.SCHEMA, error)


@functools.lru_cache(maxsize=256)
def merkle_root_hex(leaves: tuple[bytes, ...]) -> str:
    """Merkle root (hex) over leaf inputs ``d_n``."""
    return merkle_root(leaves).hex()


@functools.lru_cache(maxsize=4096)
def signature_ok(public_key: str, message: bytes, signature: str) -> bool:
    """Memoised Ed25519 check (see ``signing.verify_signature``)."""
    return verify_signature(public_key, message, signature)
