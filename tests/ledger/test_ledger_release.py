"""Per-nation exports, tried as a nation that wants what it may not see would try them.

One world, built through the command line as the HQ builds it: reports of mixed markings
ingested (and fused) through the real pipeline, a quarantined line, analysts' decisions and an
attribution whose notes quote the sources they saw, keys of the HQ and two nations, a
checkpoint countersigned by both. Then ``ledger export --for`` each nation at
several clearances, and ``ledger verify`` of each with the nations' pinned public keys.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import create_engine
from sqlalchemy import text as sa_text
from typer.testing import CliRunner, Result

from backend_databases import BACKENDS, Databases, drop_url
from ceasefire.cli.main import app
from ceasefire.ledger.canonical import canonical_json
from ceasefire.ledger.chain import BODY_TAG, leaf_data
from ceasefire.ledger.merkle import inclusion_proof, verify_inclusion
from ceasefire.ledger.verify import split_lines, verify_bytes
from ceasefire.store.ledger_marking import fact_marking

MINI = Path(__file__).resolve().parents[1] / "data" / "mini-agreement" / "agreement.yaml"
_BASE = {"source_type": "observation_post", "uncertainty_m": 100, "category": "explosion"}

Report = tuple[str, str, str | None, list[str] | None, tuple[float, float], int]
#: (id, source, classification, releasable_to, position, day): who may read which report.
REPORTS: tuple[Report, ...] = (
    ("s-fra-1", "fra-post-7", "SECRET", ["FRA"], (37.40, 48.00), 10),
    ("r-mnf-1", "mnf-patrol-2", "RESTRICTED", ["MNF"], (37.40, 48.00), 10),
    ("u-open-1", "osce-cam-3", None, None, (37.41, 48.10), 11),
    ("u-usa-1", "usa-uav-9", None, ["USA"], (37.42, 48.20), 12),
    ("c-nato-1", "nato-sensor-4", "CONFIDENTIAL", ["NATO"], (37.43, 48.30), 13),
    ("s-usa-1", "usa-sigint-5", "SECRET", ["USA"], (37.44, 48.40), 14),
)
RANK = {"UNCLASSIFIED": 0, "RESTRICTED": 1, "CONFIDENTIAL": 2, "SECRET": 3}
#: Independent of the code under test: who is in which audience (data/release_groups.yaml).
AUDIENCES = {
    "FRA": {"FRA", "MNF", "NATO", "EU", "COALITION"},
    "USA": {"USA", "NATO", "FVEY", "COALITION"},
    "JPN": {"JPN", "COALITION"},
    "CHN": {"CHN"},
}
RECIPIENTS = (
    ("FRA", "UNCLASSIFIED"),
    ("FRA", "RESTRICTED"),
    ("FRA", "SECRET"),
    ("USA", "UNCLASSIFIED"),
    ("USA", "SECRET"),
    ("JPN", "SECRET"),
    ("CHN", "SECRET"),
)


def may_read(nation: str, clearance: str, report: Report) -> bool:
    _, _, classification, releasable_to, _, _ = report
    if RANK[classification or "UNCLASSIFIED"] > RANK[clearance]:
        return False
    if releasable_to is None:
        return "COALITION" in AUDIENCES[nation]
    return bool(AUDIENCES[nation] & set(releasable_to))


def _line(report: Report) -> bytes:
    rid, source, classification, releasable_to, (lon, lat), day = report
    body: dict[str, object] = {**_BASE, "id": rid, "source": source, "lon": lon, "lat": lat}
    body["observed_at"] = f"2026-03-{day}T10:00:00Z"
    if classification is not None:
        body["classification"] = classification
    if releasable_to is not None:
        body["releasable_to"] = releasable_to
    return orjson.dumps(body)


@dataclass
class World:
    folder: Path
    db: str
    full: bytes
    exports: dict[tuple[str, str], bytes]
    trust: list[str]
    raw_sha256: dict[str, str]
    quarantine_hash: str

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(app, ["--db", self.db, *args])

    def query(self, sql: str, **params: object) -> list[tuple[Any, ...]]:
        """Rows of ``sql`` (``:name`` parameters) on the world's database."""
        engine = create_engine(self.db)
        with engine.connect() as conn:
            rows = [tuple(row) for row in conn.execute(sa_text(sql), params)]
        engine.dispose()
        return rows


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest,
    databases: Databases,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[World]:
    """The world on each backend (module-scoped: built once per backend)."""
    folder = tmp_path_factory.mktemp("release")
    db = databases.fresh(str(request.param), folder)
    keys = folder / "keys"

    def run(*args: str) -> Result:
        result = CliRunner().invoke(app, ["--db", db, *args])
        assert result.exit_code == 0, result.output
        return result

    run("init")
    run("agreement", "load", str(MINI))
    lines = [_line(r) for r in REPORTS]
    (folder / "reports.ndjson").write_bytes(b"\n".join([*lines, b"{not json"]) + b"\n")
    run("ingest", str(folder / "reports.ndjson"))
    engine = create_engine(db)
    with engine.connect() as conn:
        incident_of: dict[str, int] = {
            str(rid): int(pk)
            for rid, pk in conn.execute(
                sa_text(
                    "SELECT r.id, ir.incident_pk FROM reports r JOIN incident_reports ir "
                    "ON ir.report_pk = r.pk JOIN incidents i ON i.pk = ir.incident_pk "
                    "WHERE i.status = 'active'"
                )
            )
        }
        [(violation,)] = conn.execute(
            sa_text("SELECT pk FROM violations WHERE active AND incident_pk = :pk"),
            {"pk": incident_of["s-fra-1"]},
        ).all()
    # analysts' notes and an attribution quoting the sources they saw
    secret, open_ = str(incident_of["s-fra-1"]), str(incident_of["u-open-1"])
    run("incident", "dispute", secret, "--by", "analyst-1", "--note", "fra-post-7 heard two")
    run("incident", "verify", open_, "--by", "analyst-1", "--note", "osce-cam-3 saw it")
    run("attribution", "propose", str(violation), "--by", "analyst-1", "--party", "RUS",
        "--basis", "bearing from fra-post-7")  # fmt: skip
    for owner in ("--hq", "FRA", "USA"):
        run(
            "keys",
            "add",
            "--keys-dir",
            str(keys),
            *(["--hq"] if owner == "--hq" else ["--nation", owner]),
        )
    run("ledger", "checkpoint", "--keys-dir", str(keys))
    for nation in ("FRA", "USA"):
        run("ledger", "countersign", "--nation", nation, "--keys-dir", str(keys))
    run("ledger", "export", "--out", str(folder / "full.jsonl"))
    exports = {}
    for nation, clearance in RECIPIENTS:
        out = folder / f"{nation}-{clearance}.jsonl"
        made = run("ledger", "export", "--out", str(out), "--for", nation, "--clearance", clearance)
        assert f"for {nation} at {clearance}" in made.output
        exports[nation, clearance] = out.read_bytes()
    trust = [a for p in sorted(keys.glob("*.pub.json")) for a in ("--trust-key", str(p))]
    with engine.connect() as conn:
        [(reason,)] = conn.execute(sa_text("SELECT reason_hash FROM quarantine")).all()
    engine.dispose()
    yield World(
        folder,
        db,
        (folder / "full.jsonl").read_bytes(),
        exports,
        trust,
        {
            str(r[0]): hashlib.sha256(line).hexdigest()
            for r, line in zip(REPORTS, lines, strict=True)
        },
        bytes(reason).hex(),
    )
    drop_url(db)


def _entries(export: bytes) -> dict[int, dict[str, object]]:
    """Entry and withheld lines by seq."""
    found = {}
    for raw in split_lines(export):
        obj = orjson.loads(raw)
        if obj["kind"] in ("entry", "withheld"):
            found[obj["seq"]] = obj
    return found


def test_the_full_export_names_every_report_so_the_greps_below_can_fail(world: World) -> None:
    for rid, source, *_ in REPORTS:
        assert rid.encode() in world.full
        assert str(source).encode() in world.full
        assert world.raw_sha256[rid].encode() in world.full
    assert world.quarantine_hash.encode() in world.full
    assert b'"kind":"withheld"' not in world.full


@pytest.mark.parametrize(("nation", "clearance"), RECIPIENTS)
def test_an_export_verifies_offline_with_pinned_keys(
    world: World, nation: str, clearance: str
) -> None:
    path = world.folder / f"{nation}-{clearance}.jsonl"
    result = CliRunner().invoke(
        app, ["ledger", "verify", str(path), *world.trust, "--min-countersignatures", "2"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("VERIFIED")
    extends = CliRunner().invoke(
        app, ["ledger", "verify", str(path), "--previous", str(world.folder / "full.jsonl")]
    )
    assert extends.exit_code == 0, extends.output


@pytest.mark.parametrize(("nation", "clearance"), RECIPIENTS)
def test_an_export_names_no_report_its_nation_may_not_read(
    world: World, nation: str, clearance: str
) -> None:
    export = world.exports[nation, clearance]
    for report in REPORTS:
        rid, source = str(report[0]), str(report[1])
        secrets = (rid, source, world.raw_sha256[rid])
        if may_read(nation, clearance, report):
            assert rid.encode() in export  # released: the nation can check its report
        else:
            for secret in secrets:
                assert secret.encode() not in export, (nation, clearance, secret)
    assert world.quarantine_hash.encode() not in export  # rejected lines: HQ only


@pytest.mark.parametrize(("nation", "clearance"), RECIPIENTS)
def test_a_withheld_line_carries_a_commitment_and_nothing_else(
    world: World, nation: str, clearance: str
) -> None:
    full, mine = _entries(world.full), _entries(world.exports[nation, clearance])
    assert full.keys() == mine.keys()
    withheld = [seq for seq, obj in mine.items() if obj["kind"] == "withheld"]
    assert withheld  # every recipient here is denied something
    for seq in withheld:
        line = mine[seq]
        assert set(line) == {"body", "chain", "hdr", "kind", "seq"}
        assert line["hdr"] == {}
        assert line["chain"] == full[seq]["chain"]
        text = orjson.dumps(line)
        assert not re.search(rb"\d{4}-\d{2}-\d{2}T", text)
        assert b"report." not in text
        assert b"incident" not in text
    for seq, obj in mine.items():
        if obj["kind"] == "entry":
            assert obj == full[seq]  # released lines are the HQ's, byte for byte


def test_every_export_carries_the_same_checkpoints_and_signatures(world: World) -> None:
    def signed(export: bytes) -> list[bytes]:
        return [raw for raw in split_lines(export) if b'"kind":"checkpoint"' in raw
                or b'"kind":"signature"' in raw or b'"kind":"key"' in raw]  # fmt: skip

    reference = signed(world.full)
    assert len(reference) == 1 + 3 + 3  # a checkpoint, its 3 signatures, 3 keys
    for export in world.exports.values():
        assert signed(export) == reference
        assert verify_bytes(export).checkpoint_hashes == verify_bytes(world.full).checkpoint_hashes


def test_a_commitment_cannot_be_matched_without_its_salt(world: World) -> None:
    """The attacker knows the withheld entry exactly (the full export tells us): only the salt
    is missing. Guessed salts do not match; the HQ's stored salt does (so the target is right)."""
    full, fra = _entries(world.full), _entries(world.exports["FRA", "UNCLASSIFIED"])
    seq = next(s for s, obj in full.items() if b"s-fra-1" in orjson.dumps(obj))
    assert fra[seq]["kind"] == "withheld"
    target = str(fra[seq]["body"])
    entry = orjson.dumps(full[seq]["entry"], option=orjson.OPT_SORT_KEYS)
    guesses = [b"", bytes(32), seq.to_bytes(32, "big"), hashlib.sha256(entry).digest()]
    guesses += [bytes([b]) * 32 for b in range(256)]
    for salt in guesses:
        for tag in (BODY_TAG, b""):
            assert hashlib.sha256(tag + salt + entry).hexdigest() != target
    [(salt_hex,)] = world.query("SELECT salt FROM ledger_entries WHERE seq = :seq", seq=seq)
    assert hashlib.sha256(BODY_TAG + bytes.fromhex(salt_hex) + entry).hexdigest() == target


@pytest.mark.parametrize("kind", ["entry", "withheld"])
def test_tampering_with_a_released_or_a_withheld_line_fails(world: World, kind: str) -> None:
    export = world.exports["FRA", "SECRET"]
    lines = split_lines(export)
    index = next(i for i, raw in enumerate(lines) if f'"kind":"{kind}"'.encode() in raw)
    obj = orjson.loads(lines[index])
    if kind == "entry":
        obj["entry"]["subject"] = "forged/subject"
    else:
        obj["body"] = hashlib.sha256(b"another entry").hexdigest()
    forged = [*lines[:index], orjson.dumps(obj, option=orjson.OPT_SORT_KEYS) + b"\n"]
    forged += lines[index + 1 :]
    verdict = verify_bytes(b"".join(forged))
    assert verdict.failure is not None
    assert (verdict.failure.rule, verdict.failure.line_no) == ("chain", index + 1)
    path = world.folder / f"forged-{kind}.jsonl"
    path.write_bytes(b"".join(forged))
    result = CliRunner().invoke(app, ["ledger", "verify", str(path), *world.trust])
    assert result.exit_code == 1
    assert "rule chain" in result.output


def test_a_released_entry_with_another_salt_fails(world: World) -> None:
    """The salt is bound too: the HQ cannot reveal a different entry (or the same one with a
    chosen salt) behind a commitment it already signed."""
    full = _entries(world.full)
    seq, obj = next((s, o) for s, o in full.items() if o["kind"] == "entry")
    forged_entry = {**obj, "salt": "00" * 32}
    lines = [
        orjson.dumps(forged_entry, option=orjson.OPT_SORT_KEYS) + b"\n"
        if raw.endswith(b'"seq":%d}\n' % seq) and b'"kind":"entry"' in raw
        else raw
        for raw in split_lines(world.full)
    ]
    verdict = verify_bytes(b"".join(lines))
    assert verdict.failure is not None
    assert verdict.failure.rule == "chain"


def test_guarantee_evidence_takes_the_markings_of_its_incidents(world: World) -> None:
    engine = create_engine(world.db)
    with engine.connect() as conn:
        of: dict[str, int] = dict(
            conn.execute(
                sa_text(
                    "SELECT r.id, ir.incident_pk FROM reports r JOIN incident_reports ir "
                    "ON ir.report_pk = r.pk JOIN incidents i ON i.pk = ir.incident_pk "
                    "WHERE i.status = 'active'"
                )
            ).all()
        )
        open_fact, usa_fact = f"I-{of['u-open-1']}", f"I-{of['u-usa-1']}"
        assert fact_marking(conn, [open_fact]) == (("UNCLASSIFIED", ""),)
        assert fact_marking(conn, [open_fact, usa_fact]) == (
            ("UNCLASSIFIED", ""),
            ("UNCLASSIFIED", "USA"),
        )
        assert fact_marking(conn, [f"I-{of['s-fra-1']}"]) == (
            ("RESTRICTED", "MNF"),
            ("SECRET", "FRA"),
        )  # fused with the MNF report: an alert on it is for readers of both
        assert fact_marking(conn, []) is None
        assert fact_marking(conn, [open_fact, "sector@2026-03-10"]) is None
        assert fact_marking(conn, ["I-999999"]) is None
    engine.dispose()


def test_one_released_entry_can_be_shown_to_a_third_party(world: World) -> None:
    """With its salt, the entry's leaf, and an audit path over the other leaves (commitments
    only), a nation proves one entry is under the signed root without showing the rest."""
    export = world.exports["FRA", "SECRET"]
    lines = [orjson.loads(raw) for raw in split_lines(export)]
    [checkpoint] = [obj for obj in lines if obj["kind"] == "checkpoint"]
    leaves: list[bytes] = []
    shown = -1
    for obj in lines:
        if obj["kind"] == "withheld":
            body = str(obj["body"])
        elif obj["kind"] == "entry":
            entry = canonical_json(obj["entry"])
            body = hashlib.sha256(BODY_TAG + bytes.fromhex(str(obj["salt"])) + entry).hexdigest()
            if b"s-fra-1" in entry:
                shown = len(leaves)
        else:
            continue
        leaves.append(leaf_data(int(obj["seq"]), body))
    proof = inclusion_proof(leaves, shown)
    root = bytes.fromhex(str(checkpoint["root"]))
    assert verify_inclusion(leaves[shown], shown, len(leaves), proof, root)
    assert not verify_inclusion(leaves[shown - 1], shown, len(leaves), proof, root)


@pytest.mark.parametrize(("nation", "clearance"), RECIPIENTS)
def test_released_incident_states_name_only_incidents_the_nation_sees_whole(
    world: World, nation: str, clearance: str
) -> None:
    members: dict[int, set[str]] = {}
    for pk, rid in world.query(
        "SELECT ir.incident_pk, r.id FROM incident_reports ir JOIN reports r ON r.pk = ir.report_pk"
    ):
        members.setdefault(int(pk), set()).add(str(rid))
    by_id = {r[0]: r for r in REPORTS}
    sees_whole = {
        pk for pk, ids in members.items() if all(may_read(nation, clearance, by_id[i]) for i in ids)
    }

    def stated(export: bytes) -> tuple[set[int], set[int]]:
        """Incidents named by released ``incident.state`` entries: superseded, stated."""
        superseded, states = set(), set()
        for obj in _entries(export).values():
            entry = obj.get("entry")
            if not isinstance(entry, dict) or entry["type"] != "incident.state":
                continue
            if entry["subject"] == "incidents":  # fusion's
                superseded |= {int(pk) for pk in entry["payload"]["superseded"]}
                states |= {int(state[0]) for state in entry["payload"]["states"]}
            else:  # an analyst's, "I-<pk>"
                states.add(int(entry["subject"].removeprefix("I-")))
        return superseded, states

    superseded, states = stated(world.exports[nation, clearance])
    assert superseded | states <= sees_whole  # nothing about an incident it sees only in part
    all_superseded, all_states = stated(world.full)
    assert states == all_states & sees_whole  # and everything about those it sees whole
    assert superseded == all_superseded & sees_whole
