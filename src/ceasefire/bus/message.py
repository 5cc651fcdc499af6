"""The intake message: one batch of raw reports as received, versioned (docs/bus.md).

Why this shape: a report is evidence, so the bus carries the exact bytes that arrived, never a
parsed form: the worker that prepares them parses, validates and places them with the agreement
versions it reads from the store, and a re-play of the stream gives the same store. The payload
is those bytes; everything else travels in NATS headers, so a tool that knows nothing of
``ceasefire`` (``nats stream view``) still shows the evidence as it came.

Version 1 headers (all text):

* ``Ceasefire-Message``: ``intake/1``; a worker refuses any other value (quarantined whole).
* ``Ceasefire-Input``: the input's name (file name, ``api``, ``cot:<peer>``).
* ``Ceasefire-Format``: a ``ReportFormat`` value (``ndjson``, ``csv``, …).
* ``Ceasefire-Received-At``: receipt time, ISO 8601 UTC: the time the evidence reached the
  mission, not the time a worker got round to it.
* ``Ceasefire-Principal``, ``Ceasefire-Account``: the submitting scope and account id
  (``-`` for the HQ itself), so ownership is decided as for a direct ingest.
* ``Ceasefire-Part``: ``k/n`` when a large input was split at line boundaries.
* ``Nats-Msg-Id``: the content id (below): JetStream drops a re-send inside its
  de-duplication window; the store's own keys absorb one sent later.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from ceasefire.errors import InputError

MESSAGE_VERSION = "intake/1"
#: Payload bytes per message; below NATS's default 1 MiB ``max_payload`` with room for headers.
MAX_PART_BYTES = 768 * 1024
_NO_ACCOUNT = "-"
#: Formats that are one record per line (after a CSV header line), so they split at newlines.
_LINE_FORMATS = frozenset({"ndjson", "csv"})


@dataclass(frozen=True, slots=True)
class IntakeBatch:
    """Raw reports as received, with who sent them, when, and from which input."""

    raw: bytes
    input_name: str
    report_format: str
    received_at: datetime
    principal: str
    account_pk: int | None = None
    part: tuple[int, int] = (1, 1)

    def content_id(self) -> str:
        """The batch's identity for de-duplication: SHA-256 over the scope, the input's
        format and the bytes (the same bytes sent by two scopes are two batches; the same
        bytes re-sent by one scope, at any time, are one)."""
        digest = hashlib.sha256()
        for part in (MESSAGE_VERSION, self.principal, self.report_format):
            digest.update(part.encode())
            digest.update(b"\x00")
        digest.update(self.raw)
        return digest.hexdigest()


def to_headers(batch: IntakeBatch) -> dict[str, str]:
    """The NATS headers of ``batch`` (its payload is ``batch.raw`` itself)."""
    return {
        "Ceasefire-Message": MESSAGE_VERSION,
        "Ceasefire-Input": batch.input_name,
        "Ceasefire-Format": batch.report_format,
        "Ceasefire-Received-At": batch.received_at.astimezone(UTC).isoformat(),
        "Ceasefire-Principal": batch.principal,
        "Ceasefire-Account": _NO_ACCOUNT if batch.account_pk is None else str(batch.account_pk),
        "Ceasefire-Part": f"{batch.part[0]}/{batch.part[1]}",
        "Nats-Msg-Id": batch.content_id(),
    }


def from_message(headers: Mapping[str, str] | None, payload: bytes) -> IntakeBatch:
    """Read a delivered message back; ``InputError`` naming the header and the rule when it
    is not an intake message this code understands (the worker quarantines it whole)."""
    found = dict(headers or {})
    version = found.get("Ceasefire-Message")
    if version != MESSAGE_VERSION:
        raise InputError("Ceasefire-Message", "version", f"{version!r} is not {MESSAGE_VERSION!r}")
    for name in ("Ceasefire-Input", "Ceasefire-Format", "Ceasefire-Principal"):
        if not found.get(name):
            raise InputError(name, "required", "missing")
    try:
        received_at = datetime.fromisoformat(found.get("Ceasefire-Received-At", ""))
    except ValueError as error:
        raise InputError("Ceasefire-Received-At", "iso8601", str(error)) from None
    if received_at.tzinfo is None:
        raise InputError("Ceasefire-Received-At", "timezone", "must carry an offset (UTC)")
    account = found.get("Ceasefire-Account", _NO_ACCOUNT)
    if account != _NO_ACCOUNT and not account.isdigit():
        raise InputError("Ceasefire-Account", "integer", f"{account!r} is not an account id")
    return IntakeBatch(
        raw=payload,
        input_name=found["Ceasefire-Input"],
        report_format=found["Ceasefire-Format"],
        received_at=received_at.astimezone(UTC),
        principal=found["Ceasefire-Principal"],
        account_pk=None if account == _NO_ACCOUNT else int(account),
        part=_part(found.get("Ceasefire-Part", "1/1")),
    )


def _part(text: str) -> tuple[int, int]:
    index, _, total = text.partition("/")
    if not (index.isdigit() and total.isdigit() and 1 <= int(index) <= int(total)):
        raise InputError("Ceasefire-Part", "k/n", f"{text!r} is not k/n with 1 <= k <= n")
    return int(index), int(total)


def split_input(
    raw: bytes,
    *,
    input_name: str,
    report_format: str,
    received_at: datetime,
    principal: str,
    account_pk: int | None = None,
    max_part_bytes: int = MAX_PART_BYTES,
) -> list[IntakeBatch]:
    """One input as messages of at most ``max_part_bytes`` each, split only at line ends of
    line formats (a CSV part repeats the header line, so each part parses alone).

    An input of another format, or a single line, larger than the limit is refused with an
    ``InputError`` (field ``size``) rather than cut: a cut report would be a different report.

    >>> parts = split_input(b'{"a":1}\\n{"b":2}\\n', input_name="x", report_format="ndjson",
    ...     received_at=datetime(2026, 3, 1, tzinfo=UTC), principal="FRA", max_part_bytes=10)
    >>> [(p.raw, p.part) for p in parts]
    [(b'{"a":1}\\n', (1, 2)), (b'{"b":2}\\n', (2, 2))]
    """
    pieces = list(_pieces(raw, report_format, max_part_bytes))
    return [
        IntakeBatch(
            raw=piece,
            input_name=input_name,
            report_format=report_format,
            received_at=received_at,
            principal=principal,
            account_pk=account_pk,
            part=(k, len(pieces)),
        )
        for k, piece in enumerate(pieces, start=1)
    ]


def _pieces(raw: bytes, report_format: str, limit: int) -> Iterator[bytes]:
    if len(raw) <= limit:
        yield raw
        return
    if report_format not in _LINE_FORMATS:
        raise InputError(
            "size", "max_message", f"a {report_format} input over {limit} bytes cannot be split"
        )
    # at "\n" only: bytes.splitlines would also cut at a lone "\r" inside a value
    lines = [line + b"\n" for line in raw.split(b"\n")]
    lines[-1] = lines[-1][:-1]
    if not lines[-1]:
        lines.pop()
    header = lines.pop(0) if report_format == "csv" and lines else b""
    part: list[bytes] = []
    size = len(header)
    for line in lines:
        if len(header) + len(line) > limit:
            raise InputError("size", "max_line", f"one line is over {limit} bytes")
        if part and size + len(line) > limit:
            yield header + b"".join(part)
            part, size = [], len(header)
        part.append(line)
        size += len(line)
    if part:
        yield header + b"".join(part)
