"""Every single-byte change, deletion and insertion, and every line deletion, duplication,
swap and truncation of a realistic export is detected by ``verify``; the unchanged file passes.

The export: France's (at SECRET) of a ledger of 243 entries (3 key registrations, 240 report
acceptances with floats, nulls and Cyrillic text, in five markings), so 147 released lines
(entry and salt) and 96 withheld lines (a commitment only), 3 checkpoints, 8 signatures (HQ
on each, FRA and GBR on the first two, FRA on the third), ~107 kB. Byte mutations are
exhaustive over every position, withheld lines included:

* replace: the byte XOR 0x01 (flips the lowest bit: digit to digit, ``"`` to ``#``, ``\\n`` to
  ``\\v``) and the byte XOR 0x20 (flips letter case: lowercase hex to uppercase);
* delete the byte;
* insert a space before it (whitespace: the same JSON value, a different file);
* cut the file just before it.

That is ~535,000 files (inserting a blank or a repeated line is in the line test below). To
keep the test in tens of seconds, each mutated file is verified by a ``Verifier`` resumed
from a snapshot taken after the unchanged lines before the mutation, which is exactly the
state a fresh run reaches there (the verifier is a deterministic function of the lines fed);
one mutant in 1009 is also run from scratch with ``verify_bytes`` and must get the same
verdict, which checks that shortcut.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from ledger_builders import build_ledger

from ceasefire.ledger.verify import Verifier, split_lines, verify_bytes

Mutation = tuple[int, int, str, bytes]  # line index, offset in line, kind, mutated line bytes


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    built = build_ledger(tmp_path_factory.mktemp("keys"), batches=(100, 80, 60))
    return built.export(nation="FRA", clearance="SECRET")


def _byte_mutations(lines: list[bytes]) -> Iterator[Mutation]:
    for j, line in enumerate(lines):
        for i in range(len(line)):
            before, byte, after = line[:i], line[i : i + 1], line[i + 1 :]
            yield j, i, "xor01", before + bytes([byte[0] ^ 0x01]) + after
            yield j, i, "xor20", before + bytes([byte[0] ^ 0x20]) + after
            yield j, i, "delete", before + after
            yield j, i, "insert-space", before + b" " + byte + after
            yield j, i, "truncate", before


def _resumed_ok(snapshots: list[Verifier], lines: list[bytes], j: int, mutated: bytes) -> bool:
    """Verdict of the file ``lines[:j] + mutated + lines[j+1:]`` from the snapshot at line j."""
    verifier = snapshots[j].clone()
    if mutated.endswith(b"\n") or j + 1 == len(lines):
        head = mutated
        rest = lines[j + 1 :]
    else:  # the newline was changed or deleted: the next line merges into this one
        head = mutated + lines[j + 1]
        rest = lines[j + 2 :]
    for raw in split_lines(head) if head.count(b"\n") != 1 else (head,):
        if not verifier.feed(raw):
            return False
    for raw in rest:
        if not verifier.feed(raw):
            return False
    return verifier.finish().ok


def test_the_unchanged_export_verifies(export: bytes) -> None:
    verdict = verify_bytes(export)
    assert verdict.ok, verdict.failure
    assert (verdict.entries, verdict.checkpoints, verdict.signatures) == (243, 3, 8)
    assert verdict.withheld == 96
    assert len(export) > 100_000


@pytest.mark.slow
def test_every_byte_mutation_is_detected(export: bytes) -> None:
    lines = split_lines(export)
    snapshots: list[Verifier] = []
    verifier = Verifier()
    for raw in lines:
        snapshots.append(verifier.clone())
        assert verifier.feed(raw)
    assert verifier.finish().ok
    undetected: list[Mutation] = []
    count = 0
    for j, i, kind, mutated in _byte_mutations(lines):
        count += 1
        ok = _resumed_ok(snapshots, lines, j, mutated)
        if count % 1009 == 0:
            whole = b"".join([*lines[:j], mutated, *lines[j + 1 :]])
            assert verify_bytes(whole).ok == ok, (j, i, kind)
        if ok:
            undetected.append((j, i, kind, mutated))
    assert count == 5 * len(export)
    assert undetected == [], undetected[:5]


def _line_mutations(lines: list[bytes]) -> Iterator[tuple[str, list[bytes]]]:
    for j in range(len(lines)):
        yield f"delete line {j}", lines[:j] + lines[j + 1 :]
        yield f"duplicate line {j}", lines[: j + 1] + lines[j:]
        yield f"truncate before line {j}", lines[:j]
        yield f"blank line before line {j}", [*lines[:j], b"\n", *lines[j:]]
        if j + 1 < len(lines):
            yield f"swap lines {j},{j + 1}", [*lines[:j], lines[j + 1], lines[j], *lines[j + 2 :]]
    yield "append a blank line", [*lines, b"\n"]


def test_every_line_deletion_duplication_swap_and_truncation_is_detected(export: bytes) -> None:
    lines = split_lines(export)
    missed = [
        name for name, mutated in _line_mutations(lines) if verify_bytes(b"".join(mutated)).ok
    ]
    assert missed == []


def test_semantically_identical_rewrites_are_detected(export: bytes) -> None:
    lines = split_lines(export)
    j = next(i for i, line in enumerate(lines) if "Авдіївка".encode() in line)
    rewrites: list[Callable[[bytes], bytes]] = [
        lambda line: line.replace(b'","', b'", "', 1),  # a space between members
        lambda line: line.replace(
            "Авдіївка".encode(), b"\\u0410\\u0432\\u0434\\u0456\\u0457\\u0432\\u043a\\u0430"
        ),
        lambda line: re.sub(rb'"count":(\d+)', rb'"count":\1.0', line, count=1),  # 3 as 3.0
        lambda line: b'{"kind":"entry",' + line[1:].replace(b',"kind":"entry"', b"", 1),
        lambda line: line.replace(b"\n", b"\r\n"),
    ]
    for rewrite in rewrites:
        mutated = rewrite(lines[j])
        assert mutated != lines[j]
        verdict = verify_bytes(b"".join([*lines[:j], mutated, *lines[j + 1 :]]))
        assert not verdict.ok
        assert verdict.failure is not None
        assert verdict.failure.rule == "canonical"
        assert verdict.failure.line_no == j + 1
