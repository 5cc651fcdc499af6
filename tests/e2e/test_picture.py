"""The picture an analyst works from (issue 17): a legend, the gravest incidents visible,
windows that count back from the newest data, live arrivals highlighted, a panel that fits.

Screenshots go to tests/e2e/artifacts/ (ignored by git) for a human to look at.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from e2e_colour import RGB, contrast, distance, dominant_colours, parse_css_colour
from e2e_history import LAST_DAY, LONG_SOURCE, NEWEST, ON_DAY_BEFORE, ON_LAST_DAY
from e2e_hq import HQ, Account, count_incidents, post_live_report
from playwright.sync_api import FloatRect, Locator, Page, expect

ARTIFACTS = Path(__file__).parent / "artifacts"
Login = Callable[[Account], Page]
WHITE: RGB = (255, 255, 255)


def save(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def shown(page: Page) -> int:
    return int(page.get_by_test_id("incident-count").inner_text())


def legend_counts(page: Page) -> list[int]:
    """The legend's count of shown incidents per severity, 0 to 5."""
    return [int(page.get_by_test_id(f"legend-count-{level}").inner_text()) for level in range(6)]


def base_colours(page: Page) -> tuple[RGB, RGB]:
    """The base map's two background colours: land (the countries' fill, from the page's own
    module) and sea (the map's background)."""
    land = page.evaluate("async () => (await import('/static/js/map.js')).LAND")
    sea = page.locator("#map").evaluate("e => getComputedStyle(e).backgroundColor")
    return parse_css_colour(land), parse_css_colour(sea)


def ring_background(page: Page, element: Locator) -> RGB:
    """The most common colour of an 8-pixel frame around ``element``: what it is drawn
    against there."""
    box = element.bounding_box()
    assert box is not None
    margin = 8
    clip: FloatRect = {
        "x": box["x"] - margin,
        "y": box["y"] - margin,
        "width": box["width"] + 2 * margin,
        "height": box["height"] + 2 * margin,
    }
    around = dominant_colours(page.screenshot(clip=clip), frame_px=margin)
    return around[0][0]


def test_last_24_h_counts_back_from_the_newest_data(history_hq: HQ, history_login: Login) -> None:
    """Data ending on day D, days before the clock: "last 24 h" shows D's incidents only."""
    account = history_hq.accounts["fra"]
    with history_hq.client(account) as api:
        day_before = (NEWEST - timedelta(hours=24)).isoformat()
        assert count_incidents(api, since=day_before) == ON_LAST_DAY
        assert count_incidents(api, since=LAST_DAY.isoformat()) == ON_LAST_DAY
        # the clock's "last 24 h" would be empty: the anchor is what makes the window useful
        now_minus_day = (datetime.now(UTC) - timedelta(hours=24)).isoformat()
        assert count_incidents(api, since=now_minus_day) == 0
    page = history_login(account)
    page.get_by_test_id("filter-time").select_option("24h")
    expect(page.get_by_test_id("incident-count")).to_have_text(str(ON_LAST_DAY))
    # explicit start and end, in the control and on the chart
    expect(page.get_by_test_id("window-range")).to_have_text(
        "2026-12-03 20:00Z → 2026-12-04 20:00Z"
    )
    chart = page.get_by_test_id("daily-chart")
    expect(chart).to_have_attribute("data-start", "2026-12-03T20:00:00.000Z")
    expect(chart).to_have_attribute("data-end", "2026-12-04T20:00:00.000Z")
    save(page, "picture-last-24h.png")

    # replay: the slider at D 06:00 shows what had been observed by then (03:00 and 05:00)
    page.get_by_test_id("replay").fill(str(10 * 60))
    expect(page.get_by_test_id("incident-count")).to_have_text("2")
    expect(page.get_by_test_id("replay-at")).to_contain_text("2026-12-04 06:00Z")
    save(page, "picture-replay-0600.png")
    page.get_by_test_id("replay").fill(page.get_by_test_id("replay").get_attribute("max") or "")
    expect(page.get_by_test_id("incident-count")).to_have_text(str(ON_LAST_DAY))

    # "as of" the end of the day before: that day's incidents only
    page.get_by_test_id("filter-anchor").select_option("asof")
    page.get_by_test_id("filter-asof").fill("2026-12-03T23:59")
    page.get_by_test_id("filter-asof-apply").click()
    expect(page.get_by_test_id("incident-count")).to_have_text(str(ON_DAY_BEFORE))
    expect(page.get_by_test_id("window-range")).to_have_text(
        "2026-12-02 23:59Z → 2026-12-03 23:59Z"
    )


def test_legend_and_the_gravest_incidents_stand_out(history_hq: HQ, history_login: Login) -> None:
    """The legend counts what is shown per severity; a severity-5 cluster and a severity-5
    symbol are drawn in a colour with a contrast of at least 3:1 against the base map, both
    measured on the screen."""
    page = history_login(history_hq.accounts["fra"])
    page.get_by_test_id("filter-time").select_option("7d")
    legend = page.get_by_test_id("legend")
    expect(legend).to_be_visible()
    for level in range(6):
        expect(legend.locator(f"li[data-severity='{level}']")).to_be_visible()
    counts = legend_counts(page)
    assert sum(counts) == shown(page)
    assert counts[5] == 5  # the plant's four explosions and the attack on monitors
    assert counts[0] == 1  # the troops near Kyiv broke no rule
    save(page, "picture-legend.png")

    land, sea = base_colours(page)
    cluster = page.locator(".cf-cluster.cf-severity-5 span").first
    expect(cluster).to_be_visible()
    symbol = page.locator(".cf-symbol.cf-severity-5").first
    expect(symbol).to_be_visible()
    for element in (cluster, symbol):
        around = ring_background(page, element)
        png = element.screenshot()
        colours = dominant_colours(png, ignore=(WHITE, around))
        # the element's own colour: the most common one that is neither halo nor background
        colour, pixels = colours[0]
        assert pixels > 40, colours[:5]
        for background in (land, sea, around):
            assert contrast(colour, background) >= 3.0, (colour, background)
    # the drawn colour is the severity-5 colour of the palette
    expected = parse_css_colour(
        page.evaluate("async () => (await import('/static/js/symbols.js')).SEVERITY_COLOUR[5]")
    )
    assert distance(dominant_colours(cluster.screenshot(), ignore=(WHITE,))[0][0], expected) < 24


def test_the_panel_fits_at_1280_px_and_the_selection_is_marked(
    history_hq: HQ, history_login: Login
) -> None:
    page = history_login(history_hq.accounts["fra"])
    assert page.viewport_size == {"width": 1280, "height": 800}
    page.locator(".cf-symbol.cf-severity-5").first.click()
    panel = page.get_by_test_id("incident-panel")
    expect(panel.get_by_test_id("panel-state")).to_be_visible()
    incident_id = panel.get_attribute("data-incident-id")
    expect(page.locator(f".cf-selected[data-incident-id='{incident_id}']")).to_be_visible()
    # open the cluster at the plant, then its member with the long source name
    clusters = page.locator(".cf-cluster.cf-severity-5")
    for _ in range(6):  # each click zooms to where the cluster splits
        if clusters.count() == 0:
            break
        clusters.first.click()
        page.wait_for_timeout(800)
    expect(clusters).to_have_count(0)
    symbols = page.locator(".cf-symbol.cf-severity-5")
    for k in range(symbols.count()):
        symbols.nth(k).click()
        expect(panel.get_by_test_id("panel-state")).to_be_visible()
        if LONG_SOURCE in panel.inner_text():
            break
    expect(panel).to_contain_text(LONG_SOURCE)
    save(page, "picture-panel-1280.png")
    sizes = panel.evaluate(
        """p => ({right: p.getBoundingClientRect().right, scroll: p.scrollWidth,
                 client: p.clientWidth,
                 tables: [...p.querySelectorAll('table')]
                   .map(t => t.getBoundingClientRect().right)})"""
    )
    assert sizes["right"] <= 1280
    assert sizes["scroll"] <= sizes["client"], sizes
    assert all(right <= sizes["right"] for right in sizes["tables"]), sizes


def test_a_posted_incident_is_highlighted_within_2_s(hq: HQ, login: Login) -> None:
    page = login(hq.accounts["fra"])
    expect(page.get_by_test_id("live-status")).to_have_text("live")
    before = shown(page)
    posted = post_live_report(
        hq, "fresh", 1, lat=49.2, lon=37.4, uncertainty_m=300, category="explosion", count=2
    )
    fresh = page.locator(".cf-fresh[data-incident-id]")
    expect(fresh).to_have_count(1, timeout=2_000)
    assert time.monotonic() - posted < 2.0
    expect(page.get_by_test_id("incident-count")).to_have_text(str(before + 1))
    # the legend's counts follow the arrival too
    assert sum(legend_counts(page)) == before + 1
    save(page, "picture-live-arrival.png")
    # a few seconds, not for ever
    expect(fresh).to_have_count(0, timeout=10_000)


def test_the_force_layer_shows_the_plans_units(history_hq: HQ, history_login: Login) -> None:
    """The units of the plan's month at the window's end, as friendly symbols: as many as the
    API places on the map."""
    page = history_login(history_hq.accounts["fra"])
    with history_hq.client(history_hq.accounts["fra"]) as api:
        response = api.get("/api/force/deployed", params={"at": NEWEST.isoformat()})
        assert response.status_code == 200
        plan = response.json()
    assert plan["month"] == 0  # D is in the first 30 days after the ceasefire
    placed = [u for u in plan["units"] if u["lon"] is not None]
    assert placed, plan
    units = page.locator(".cf-unit")
    expect(units).to_have_count(len(placed), timeout=60_000)  # the first solve takes seconds
    expect(page.locator("#map")).to_have_attribute("data-force-month", "0")
    units.first.hover()
    expect(page.locator(".leaflet-tooltip")).to_contain_text(placed[0]["nation"])
    save(page, "picture-force.png")
