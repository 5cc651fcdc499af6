"""Release groups as real membership lists: a NATO or EU state outside the coalition sees
nothing released to the coalition, whatever door it knocks on; organisations are literal."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from api_helpers import HQ, FreshHQDB, report
from fastapi.testclient import TestClient
from sqlalchemy import delete, insert

from ceasefire.access.releasability import resolve_groups
from ceasefire.api.app import create_app
from ceasefire.errors import InputError
from ceasefire.reports.model import Classification
from ceasefire.settings import Settings
from ceasefire.store.access import release_groups
from ceasefire.store.access_sql import set_release_group, shipped_release_groups
from ceasefire.store.queries import engine_of

#: The list the HQ shipped before: COALITION named the organisations EU and NATO, and every
#: EU or NATO state was expanded into it.
OLD_COALITION = ("GBR", "FRA", "DEU", "POL", "UKR", "USA", "EU", "NATO")


def _marked_reports() -> list[dict[str, Any]]:
    """Four incidents far apart: unmarked (default), COALITION, NATO, and FRA only."""
    return [
        report("default-1", source="OP-1", lon=37.0, lat=47.6),
        report("coalition-1", source="OP-2", lon=36.6, lat=48.4, releasable_to=["COALITION"]),
        report("nato-1", source="OP-3", lon=37.3, lat=49.0, releasable_to=["NATO"]),
        report("fra-1", source="OP-4", lon=36.2, lat=47.2, releasable_to=["FRA"]),
    ]


def _seen(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    """What a reader is told: report ids, incident count, and the daily counts' totals."""
    reports = client.get("/api/reports", headers=headers, params={"limit": 100})
    incidents = client.get("/api/incidents", headers=headers, params={"limit": 100})
    counts = client.get(
        "/api/counts/daily",
        headers=headers,
        params={"since": "2026-03-09T00:00:00Z", "until": "2026-03-12T00:00:00Z"},
    )
    for answer in (reports, incidents, counts):
        assert answer.status_code == 200, answer.text
    days = counts.json()["days"]
    return {
        "reports": sorted(r["id"] for r in reports.json()["items"]),
        "incidents": len(incidents.json()["items"]),
        "counted_reports": sum(d["reports"] for d in days),
        "counted_incidents": sum(d["incidents"] for d in days),
    }


@pytest.mark.parametrize("nation", ["HUN", "SVK", "MLT"])
def test_an_eu_or_nato_state_outside_the_coalition_sees_nothing_released_to_it(
    hq: HQ, nation: str
) -> None:
    hq.ingest(_marked_reports())
    outsider = hq.user(f"{nation.lower()}-1", nation=nation, clearance=Classification.SECRET)
    seen = _seen(hq.client, outsider)
    if nation == "MLT":  # EU, not NATO
        assert seen == {"reports": [], "incidents": 0, "counted_reports": 0,
                        "counted_incidents": 0}  # fmt: skip
    else:  # NATO: the NATO-marked report only
        assert seen == {"reports": ["nato-1"], "incidents": 1, "counted_reports": 1,
                        "counted_incidents": 1}  # fmt: skip


def test_coalition_members_and_the_eu_as_an_organisation_see_coalition_material(hq: HQ) -> None:
    hq.ingest(_marked_reports())
    fra = _seen(hq.client, hq.user("fra-1", nation="FRA"))
    assert fra["reports"] == ["coalition-1", "default-1", "fra-1", "nato-1"]
    eu = _seen(hq.client, hq.user("eu-1", nation=None, organisation="EU"))
    assert eu["reports"] == ["coalition-1", "default-1"]  # not NATO's: the EU is not in NATO
    ukr = _seen(hq.client, hq.user("ukr-1", nation="UKR"))
    assert ukr["reports"] == ["coalition-1", "default-1"]


def test_an_existing_store_with_the_old_lists_picks_up_the_corrected_ones(
    hq_db: FreshHQDB, tmp_path: Path
) -> None:
    folder = tmp_path / "old"
    settings = Settings(db=hq_db(folder))
    app = create_app(settings)
    with engine_of(app.state.hq.store).begin() as conn:  # as an older HQ seeded it
        conn.execute(delete(release_groups).where(release_groups.c.group_name == "COALITION"))
        conn.execute(
            insert(release_groups),
            [{"group_name": "COALITION", "member": m} for m in OLD_COALITION],
        )
    engine_of(app.state.hq.store).dispose()
    with TestClient(create_app(settings)) as client:  # the next start
        hq = HQ(app=client.app, client=client, folder=folder, db=settings.db)  # type: ignore[arg-type]
        hq.ingest(_marked_reports())
        assert _seen(client, hq.user("hun-1", nation="HUN"))["reports"] == ["nato-1"]
        assert hq.state.groups()["COALITION"] == shipped_release_groups()["COALITION"]


def test_every_shipped_group_names_its_source_and_date() -> None:
    text = resources.files("ceasefire").joinpath("data/release_groups.yaml").read_text("utf-8")
    for name, entry in yaml.safe_load(text)["groups"].items():
        assert str(entry.get("source", "")).strip(), name
        assert entry.get("as_of"), name
        assert entry.get("members"), name
    coalition = shipped_release_groups()["COALITION"]
    assert not coalition & {"HUN", "SVK", "MLT", "AUT"}  # not attested (research §1.7)
    assert {"EU", "NATO", "USA", "UKR"} <= coalition


def test_only_an_explicit_include_nests_groups() -> None:
    flat = resolve_groups(
        {
            "A": (["FRA", "EU"], ["B"]),
            "B": (["GBR"], ["C"]),
            "C": (["JPN"], ["A"]),  # a cycle is harmless
            "EU": (["HUN"], []),
        }
    )
    assert flat["A"] == {"FRA", "EU", "GBR", "JPN"}  # EU literal: no HUN
    assert flat["C"] == {"JPN", "FRA", "EU", "GBR"}
    with pytest.raises(ValueError, match="undefined"):
        resolve_groups({"A": (["FRA"], ["NOPE"])})


def test_a_shipped_group_cannot_be_overwritten_in_the_store(hq: HQ) -> None:
    with pytest.raises(InputError):
        set_release_group(engine_of(hq.state.store), "COALITION", ["HUN"])
