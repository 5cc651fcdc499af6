"""What a user of the web COP sees: their view, the incidents their nation may see, filters,
live updates, and a picture of it all."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from e2e_hq import HQ, VIEWPORT, Account, count_incidents, post_live_report
from PIL import Image
from playwright.sync_api import Page, expect

ARTIFACTS = Path(__file__).parent / "artifacts"
Login = Callable[[Account], Page]


def week_ago() -> str:
    """The `since` of the COP's default window (last 7 days)."""
    return (datetime.now(UTC) - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")


def shown(page: Page) -> int:
    return int(page.get_by_test_id("incident-count").inner_text())


def open_categories(page: Page) -> None:
    """Unfold the category filters (a <details>), unless they are unfolded already."""
    details = page.get_by_test_id("filter-categories")
    if details.get_attribute("open") is None:
        details.locator("summary").click()


def only_category(page: Page, category: str) -> None:
    """Untick every category but one, as a user would."""
    open_categories(page)
    page.get_by_test_id("filter-category-none").click()
    page.get_by_test_id(f"filter-category-{category}").check()


def test_wrong_password_stays_on_the_login_page(hq: HQ, new_page: Callable[[], Page]) -> None:
    page = new_page()
    page.goto(f"{hq.url}/login")
    page.get_by_test_id("login-name").fill("fra-analyst")
    page.get_by_test_id("login-password").fill("not-the-password")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("login-message")).to_have_text("wrong name or password")
    assert page.url.endswith("/login")


def test_picture_of_a_french_analyst(hq: HQ, login: Login, tmp_path: Path) -> None:
    """Who and whose view, the incidents the API lists for France, all drawn; a screenshot."""
    page = login(hq.accounts["fra"])
    header = page.get_by_test_id("header")
    expect(header.get_by_test_id("user-name")).to_have_text("fra-analyst")
    expect(header.get_by_test_id("user-nation")).to_have_text("FRA")
    expect(header.get_by_test_id("user-detail")).to_contain_text("analyst")

    with hq.client(hq.accounts["fra"]) as api:
        expected = count_incidents(api, since=week_ago())
    # the seed gives France 5 (3 default + 2 France-only); a test may have posted more
    assert expected >= 5
    assert shown(page) == expected
    # every located incident is drawn, as a symbol or inside a cluster
    drawn = page.locator(".cf-symbol").count()
    clustered = sum(int(t) for t in page.locator(".cf-cluster span").all_inner_texts())
    assert drawn + clustered == expected

    path = tmp_path / "cop.png"
    page.screenshot(path=str(path))
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(path, ARTIFACTS / "cop-fra.png")
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (VIEWPORT["width"], VIEWPORT["height"])
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000) or []
    # a blank page has one or two colours; the map, symbols and header have hundreds
    assert len(colours) > 50


def test_filters_change_the_count(hq: HQ, login: Login) -> None:
    page = login(hq.accounts["fra"])
    since_day = (datetime.now(UTC) - timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with hq.client(hq.accounts["fra"]) as api:
        total = count_incidents(api, since=week_ago())
        explosions = count_incidents(api, since=week_ago(), category="explosion")
        last_day = count_incidents(api, since=since_day)
    assert explosions == 2
    assert last_day == total - 2  # the seed's def-2 (30 h ago) and def-3 (50 h ago) drop out

    open_categories(page)
    page.get_by_test_id("filter-category-explosion").uncheck()
    expect(page.get_by_test_id("incident-count")).to_have_text(str(total - explosions))
    page.get_by_test_id("filter-category-explosion").check()
    expect(page.get_by_test_id("incident-count")).to_have_text(str(total))

    page.get_by_test_id("filter-time").select_option("24h")
    expect(page.get_by_test_id("incident-count")).to_have_text(str(last_day))
    only_category(page, "explosion")
    expect(page.get_by_test_id("incident-count")).to_have_text(str(explosions))

    # a custom UTC range holding only the seed's def-2 (30 h ago) and def-3 (50 h ago)
    now = datetime.now(UTC)
    since, until = now - timedelta(hours=60), now - timedelta(hours=24)
    with hq.client(hq.accounts["fra"]) as api:
        in_range = count_incidents(api, since=since.isoformat(), until=until.isoformat())
    assert in_range == 2
    page.get_by_test_id("filter-category-all").click()
    page.get_by_test_id("filter-time").select_option("custom")
    page.get_by_test_id("filter-since").fill(since.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_test_id("filter-until").fill(until.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_test_id("filter-apply").click()
    expect(page.get_by_test_id("incident-count")).to_have_text(str(in_range))


def test_each_nation_sees_only_what_is_releasable_to_it(hq: HQ, login: Login) -> None:
    """The USA-only heavy weapon: on the American picture, absent from the French one."""
    american = login(hq.accounts["usa"])
    french = login(hq.accounts["fra"])
    with hq.client(hq.accounts["usa"]) as api:
        assert shown(american) == count_incidents(api, since=week_ago())
    with hq.client(hq.accounts["fra"]) as api:
        assert shown(french) == count_incidents(api, since=week_ago())
    # the seed: France has 2 France-only incidents, the USA 1 USA-only: 5 - 2 + 1
    assert shown(american) == shown(french) - 1

    only_category(american, "heavy_weapon")
    expect(american.get_by_test_id("incident-count")).to_have_text("1")
    only_category(french, "heavy_weapon")
    expect(french.get_by_test_id("incident-count")).to_have_text("0")


def test_a_report_posted_elsewhere_appears_without_reload(hq: HQ, login: Login) -> None:
    page = login(hq.accounts["fra"])
    before = shown(page)
    expect(page.get_by_test_id("live-status")).to_have_text("live")
    posted = post_live_report(
        hq, "live", 5, lat=48.9, lon=37.9, uncertainty_m=400, category="muzzle_flash"
    )
    expect(page.get_by_test_id("incident-count")).to_have_text(str(before + 1), timeout=2_000)
    assert time.monotonic() - posted < 2.0


def test_analyst_verifies_an_incident_from_its_panel(hq: HQ, login: Login) -> None:
    """The panel lists the reports; `verify` (a POST with the CSRF token) changes the state."""
    page = login(hq.accounts["fra"])
    page.locator(".cf-symbol").first.click()
    panel = page.get_by_test_id("incident-panel")
    expect(panel.get_by_test_id("panel-state")).to_be_visible()
    expect(panel).to_contain_text("Reports (1")
    for action in ("verify", "dispute", "reject"):
        expect(panel.get_by_test_id(f"action-{action}")).to_be_visible()
    incident_id = panel.get_attribute("data-incident-id")

    panel.get_by_test_id("action-note").fill("seen on the UAV feed")
    panel.get_by_test_id("action-verify").click()
    expect(panel.get_by_test_id("panel-state")).to_contain_text("verified")
    expect(panel).to_contain_text("seen on the UAV feed")
    with hq.client(hq.accounts["fra"]) as api:
        detail = api.get(f"/api/incidents/{incident_id}").json()
    assert detail["state"] == "verified"
    assert detail["history"][-1]["note"] == "seen on the UAV feed"


def test_monitor_sees_no_analyst_actions(hq: HQ, login: Login) -> None:
    page = login(hq.accounts["monitor"])
    page.locator(".cf-symbol").first.click()
    panel = page.get_by_test_id("incident-panel")
    expect(panel.get_by_test_id("panel-state")).to_be_visible()
    expect(panel.get_by_test_id("action-verify")).to_have_count(0)
