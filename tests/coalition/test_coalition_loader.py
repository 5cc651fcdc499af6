"""Coalition files: the real scenario loads with a source and date on every row; bad input
is refused with file, line and rule, all problems at once."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ceasefire.coalition.catalogue import PledgeStatus
from ceasefire.coalition.caveats import (
    Caveat,
    CaveatKind,
    MinDistanceFromLine,
    RequiresParliament,
    caveat_to_dict,
    parse_caveat,
)
from ceasefire.coalition.loader import (
    load_scenario,
    parse_pledges,
    parse_registry,
    parse_requirements,
)
from ceasefire.coalition.model import MemberRole, Registry
from ceasefire.coalition.yamlfile import LocatedError, RefusedFileError
from ceasefire.errors import InputError
from ceasefire.scenarios import scenario_dir

PARIS = scenario_dir("paris-2026")


@pytest.fixture(scope="module")
def registry() -> Registry:
    return parse_registry(PARIS / "coalition.yaml")


def test_paris_registry_rows_all_have_source_and_date(registry: Registry) -> None:
    assert len(registry.members) >= 30
    sourced = [x.sourced for x in registry.members]
    sourced += [x.sourced for x in registry.areas]
    sourced += [x.sourced for x in registry.declarations]
    for s in sourced:
        assert s.source.strip()
        assert s.as_of.year in (2025, 2026)
    roles = {m.id: m.role for m in registry.members}
    assert roles["GBR"] is MemberRole.LEAD
    assert roles["FRA"] is MemberRole.LEAD
    assert roles["USA"] is MemberRole.BACKSTOP
    assert roles["UKR"] is MemberRole.BENEFICIARY


def test_paris_declarations_and_signatories(registry: Registry) -> None:
    by_id = {d.id: d for d in registry.declarations}
    berlin = by_id["berlin-2025-12-15"]
    assert berlin.signed_on.isoformat() == "2025-12-15"
    assert set(berlin.signatories) == {
        "DEU", "FRA", "GBR", "ITA", "DNK", "NLD", "NOR", "SWE", "POL", "FIN", "EU",
    }  # fmt: skip
    assert by_id["uk-fr-ua-intent-2026-01-06"].signatories == ("GBR", "FRA", "UKR")
    paris = by_id["paris-2026-01-06"]
    assert "USA" not in paris.signatories  # the US did not sign
    assert paris.sourced.illustrative  # no signatory list was published


def test_paris_pledges_carry_the_public_conditions() -> None:
    scenario = load_scenario(PARIS)
    by_id = {p.id: p for p in scenario.pledges}
    deu = {c.kind for c in by_id["DEU-AD"].caveats}
    assert {"nato_soil_only", "requires_us_backstop", "requires_parliament"} <= deu
    assert RequiresParliament("House of Commons", "commons_vote") in by_id["GBR-MECH"].caveats
    assert MinDistanceFromLine(100) in by_id["FRA-MECH"].caveats
    assert {c.kind for c in by_id["POL-LOG"].caveats} == {"not_in_ukraine"}
    assert by_id["USA-ISR"].status is PledgeStatus.INTENT
    assert [c.status for c in by_id["GBR-MECH"].history] == [
        PledgeStatus.INTENT,
        PledgeStatus.COMMITTED,
    ]
    assert all(p.sourced.illustrative or "weak" in p.note for p in scenario.pledges)
    assert len(scenario.requirements) >= 20


GOOD = """\
pledges:
  - id: GBR-1
    nation: GBR
    capability: mech_infantry_battalion
    units: 2
    readiness_days: 30
    source: test
    as_of: 2026-01-06
"""

BAD = """\
pledges:
  - id: OK-1
    nation: GBR
    capability: mech_infantry_battalion
    units: 2
    readiness_days: 30
    source: test
    as_of: 2026-01-06
  - id: BAD-CAP
    nation: GBR
    capability: hovercraft_squadron
    units: 2
    readiness_days: 30
    source: test
    as_of: 2026-01-06
  - id: BAD-CAVEAT
    nation: FRA
    capability: frigate
    units: 1
    readiness_days: 30
    caveats:
      - {type: no_night_flying}
    source: test
    as_of: 2026-01-06
  - id: BAD-QTY
    nation: POL
    capability: logistics_battalion
    units: -3
    readiness_days: 30
    source: test
    as_of: 2026-01-06
  - id: BAD-NATION
    nation: RUS
    capability: logistics_battalion
    units: 1
    readiness_days: 30
    source: test
    as_of: 2026-01-06
"""


def test_bad_pledges_refused_with_file_line_and_rule(tmp_path: Path, registry: Registry) -> None:
    path = tmp_path / "pledges.yaml"
    path.write_text(BAD)
    with pytest.raises(RefusedFileError) as info:
        parse_pledges(path, registry)
    got = [(e.line, e.rule, e.field) for e in info.value.errors]
    assert got == [
        (11, "unknown-capability", "pledges[1].capability"),
        (22, "caveat-type", "pledges[2].caveats[0].type"),
        (28, "range", "pledges[3].units"),
        (33, "unknown-nation", "pledges[4].nation"),
    ]
    text = str(info.value)
    assert f"{path}:11: pledges[1].capability" in text
    assert "nothing loaded" in text
    assert all(e.file == str(path) for e in info.value.errors)


def test_line_numbers_follow_the_yaml_not_a_guess(tmp_path: Path, registry: Registry) -> None:
    """The same bad value moved down by blank lines and comments moves its reported line."""
    for pad in (0, 3, 7):
        path = tmp_path / f"p{pad}.yaml"
        path.write_text("# comment\n" * pad + GOOD.replace("units: 2", "units: -1"))
        with pytest.raises(RefusedFileError) as info:
            parse_pledges(path, registry)
        (err,) = info.value.errors
        assert err.line == 5 + pad
        assert err.rule == "range"


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("pledges: [\n", "yaml-syntax"),
        ("", "empty"),
        ("nothing: here\n", "required"),
        (GOOD.replace("as_of: 2026-01-06", "as_of: soon"), "type"),
        (GOOD.replace("  - id: GBR-1\n", "  - id: GBR-1\n    colour: red\n"), "unknown-key"),
        (GOOD + GOOD.split("pledges:\n")[1], "duplicate-id"),
        (GOOD.replace("    units: 2\n", "    domain: air\n    units: 2\n"), "domain-mismatch"),
        (
            GOOD.replace(
                "    source: test\n",
                "    status:\n      - {status: committed, at: 2026-01-02, by: a, source: b}\n"
                "      - {status: intent, at: 2026-01-03, by: a, source: b}\n    source: test\n",
            ),
            "status-ladder",
        ),
    ],
)
def test_other_refusals(tmp_path: Path, registry: Registry, text: str, rule: str) -> None:
    path = tmp_path / "pledges.yaml"
    path.write_text(text)
    with pytest.raises(LocatedError) as info:
        parse_pledges(path, registry)
    assert info.value.rule == rule
    assert info.value.line >= 1


def test_existing_ids_are_refused(tmp_path: Path, registry: Registry) -> None:
    path = tmp_path / "pledges.yaml"
    path.write_text(GOOD)
    assert [p.id for p in parse_pledges(path, registry)] == ["GBR-1"]
    with pytest.raises(RefusedFileError) as info:
        parse_pledges(path, registry, existing_ids={"GBR-1"})
    assert (info.value.errors[0].line, info.value.errors[0].rule) == (2, "duplicate-id")


_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 500), st.floats(allow_nan=False), st.text(max_size=8)
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["type", "km", "areas", "body", "assumption", "until_day", "x"]),
        st.one_of(_scalars, st.sampled_from(list(CaveatKind)), st.lists(st.text(max_size=5))),
    )
)
def test_parse_caveat_accepts_or_refuses_never_crashes(raw: dict[str, object]) -> None:
    refused: InputError | None = None
    caveat: Caveat | None = None
    try:
        caveat = parse_caveat(raw)
    except InputError as exc:
        refused = exc
    if caveat is None:
        assert refused is not None
        assert refused.rule in {"caveat-type", "caveat-parameter", "range"}
    else:
        assert parse_caveat(caveat_to_dict(caveat)) == caveat


_REGISTRY = parse_registry(PARIS / "coalition.yaml")


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="pledges:- {}[]id,nation:GBR\n units12-#'\"", max_size=120))
def test_pledge_file_parser_accepts_or_locates_never_crashes(text: str) -> None:
    refused: LocatedError | None = None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.yaml"
        path.write_text(text)
        try:
            parse_pledges(path, _REGISTRY)
        except LocatedError as exc:
            refused = exc
    if refused is not None:
        assert refused.rule
        assert refused.line >= 0


REGISTRY_BAD = """\
members:
  - {id: GBR, name: UK, kind: state, role: lead, source: s, as_of: 2026-01-06}
  - {id: GBR, name: UK again, kind: state, role: lead, source: s, as_of: 2026-01-06}
  - {id: FRA, name: France, kind: state, role: framework, source: s, as_of: 2026-01-06}
areas:
  - {id: sea, name: sea, kind: sea, source: s, as_of: 2026-01-06}
  - {id: ua, name: west, kind: ukraine, source: s, as_of: 2026-01-06}
declarations:
  - {id: d, title: t, signed_on: 2026-01-06, signatories: [GBR, RUS], source: s,
     as_of: 2026-01-06}
"""


def test_bad_registry_lists_every_problem_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "coalition.yaml"
    path.write_text(REGISTRY_BAD)
    with pytest.raises(RefusedFileError) as info:
        parse_registry(path)
    got = sorted((e.line, e.rule) for e in info.value.errors)
    assert got == [(3, "duplicate-id"), (4, "unknown-role"), (7, "required"), (9, "unknown-member")]


def test_requirement_area_must_suit_the_domain(tmp_path: Path, registry: Registry) -> None:
    path = tmp_path / "requirements.yaml"
    path.write_text(
        "requirements:\n"
        "  - {id: R1, capability: frigate, quantity: 1, area: ua-west, task: maritime_security,\n"
        "     start_day: 0, duration_days: 90, priority: 1, tour_months: 3, source: s,\n"
        "     as_of: 2026-01-06}\n"
        "  - {id: R2, capability: frigate, quantity: 1, area: black-sea-w, task: demining,\n"
        "     start_day: 0, duration_days: 90, priority: 6, tour_months: 3, source: s,\n"
        "     as_of: 2026-01-06}\n"
    )
    with pytest.raises(RefusedFileError) as info:
        parse_requirements(path, registry)
    assert [(e.line, e.rule) for e in info.value.errors] == [(2, "domain-area"), (6, "range")]
