"""The intake message: what goes on the bus comes back the same, and large inputs split
only where a report ends."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ceasefire.bus import message
from ceasefire.bus.message import IntakeBatch, from_message, split_input, to_headers
from ceasefire.errors import InputError

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
texts = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=20)


@given(
    raw=st.binary(max_size=2_000),
    name=texts,
    principal=texts,
    account=st.one_of(st.none(), st.integers(0, 10**9)),
)
def test_a_batch_survives_the_headers_and_keeps_its_bytes(
    raw: bytes, name: str, principal: str, account: int | None
) -> None:
    batch = IntakeBatch(raw, name, "ndjson", T0, principal, account)
    again = from_message(to_headers(batch), raw)
    assert again == batch
    assert to_headers(again)["Nats-Msg-Id"] == batch.content_id()


def test_the_content_id_is_per_scope_and_per_bytes_not_per_time() -> None:
    batch = IntakeBatch(b'{"id":"r1"}\n', "a.ndjson", "ndjson", T0, "FRA")
    later = IntakeBatch(b'{"id":"r1"}\n', "b.ndjson", "ndjson", datetime.now(UTC), "FRA")
    other_scope = IntakeBatch(b'{"id":"r1"}\n', "a.ndjson", "ndjson", T0, "USA")
    other_bytes = IntakeBatch(b'{"id":"r2"}\n', "a.ndjson", "ndjson", T0, "FRA")
    assert batch.content_id() == later.content_id()
    assert len({batch.content_id(), other_scope.content_id(), other_bytes.content_id()}) == 3


@pytest.mark.parametrize(
    ("header", "value", "rule"),
    [
        ("Ceasefire-Message", "intake/2", "version"),
        ("Ceasefire-Received-At", "yesterday", "iso8601"),
        ("Ceasefire-Received-At", "2026-03-01T12:00:00", "timezone"),
        ("Ceasefire-Account", "alice", "integer"),
        ("Ceasefire-Part", "3/2", "k/n"),
        ("Ceasefire-Input", "", "required"),
    ],
)
def test_a_message_this_code_cannot_read_is_refused_naming_the_header(
    header: str, value: str, rule: str
) -> None:
    headers = to_headers(IntakeBatch(b"x", "a", "ndjson", T0, "FRA"))
    headers[header] = value
    with pytest.raises(InputError) as caught:
        from_message(headers, b"x")
    assert (caught.value.field, caught.value.rule) == (header, rule)


lines = st.lists(st.binary(min_size=0, max_size=40).map(lambda b: b.replace(b"\n", b"") + b"\n"))


@given(lines=lines, limit=st.integers(45, 200))
def test_ndjson_splits_at_line_ends_into_parts_that_join_back(
    lines: list[bytes], limit: int
) -> None:
    raw = b"".join(lines)
    parts = split_input(
        raw,
        input_name="x",
        report_format="ndjson",
        received_at=T0,
        principal="FRA",
        max_part_bytes=limit,
    )
    assert b"".join(p.raw for p in parts) == raw
    assert all(len(p.raw) <= limit or len(parts) == 1 for p in parts)
    assert all(p.raw.endswith(b"\n") for p in parts if p.raw)
    assert [p.part for p in parts] == [(k, len(parts)) for k in range(1, len(parts) + 1)]


@given(
    rows=st.lists(st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"") + b"\n"), min_size=1)
)
def test_every_csv_part_starts_with_the_header(rows: list[bytes]) -> None:
    header = b"id,lat,lon\n"
    parts = split_input(
        header + b"".join(rows),
        input_name="x",
        report_format="csv",
        received_at=T0,
        principal="FRA",
        max_part_bytes=60,
    )
    assert all(p.raw.startswith(header) for p in parts)
    assert b"".join(p.raw[len(header) :] for p in parts) == b"".join(rows)


def test_what_cannot_be_split_is_refused_not_cut() -> None:
    with pytest.raises(InputError, match=r"\[max_message\]"):
        split_input(
            b"{" + b" " * 100 + b"}",
            input_name="x",
            report_format="geojson",
            received_at=T0,
            principal="FRA",
            max_part_bytes=50,
        )
    with pytest.raises(InputError, match=r"\[max_line\]"):
        split_input(
            b"a\n" + b"b" * 100 + b"\n",
            input_name="x",
            report_format="ndjson",
            received_at=T0,
            principal="FRA",
            max_part_bytes=50,
        )


def test_docstring_examples() -> None:
    assert doctest.testmod(message).failed == 0
