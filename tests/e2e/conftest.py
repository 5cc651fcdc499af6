"""Browser tests of the web COP: a real HQ (`ceasefire serve` on a SQLite database built with
the CLI) driven by Debian's chromium through Playwright.

The browser is /usr/bin/chromium (`make install` installs it), never a Playwright download.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from e2e_history import start_history_hq
from e2e_hq import HQ, VIEWPORT, Account, start_hq, stop_server
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def hq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HQ]:
    """The HQ with the seed data, served for the whole session and stopped at its end."""
    process, running = start_hq(tmp_path_factory.mktemp("hq"), datetime.now(UTC))
    try:
        yield running
    finally:
        stop_server(process)


@pytest.fixture(scope="session")
def history_hq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HQ]:
    """An HQ whose data ends days before now (e2e_history), for the whole session."""
    process, running = start_history_hq(tmp_path_factory.mktemp("history"))
    try:
        yield running
    finally:
        stop_server(process)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make install` (tools/install-system-deps.sh)")
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[[], Page]]:
    """Pages in fresh browser profiles (no cookie or sessionStorage shared), closed after."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def open_page() -> Page:
        context = browser.new_context(viewport=VIEWPORT)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def log_in_at(url: str, page: Page, account: Account) -> Page:
    """Log ``account`` in on the HQ at ``url``; returns the COP page once it has loaded."""
    page.goto(f"{url}/")
    page.wait_for_url("**/login**")
    page.get_by_test_id("login-name").fill(account.name)
    page.get_by_test_id("login-password").fill(account.password)
    page.get_by_test_id("login-submit").click()
    page.wait_for_selector("body[data-ready='1']", timeout=15_000)
    return page


@pytest.fixture
def login(hq: HQ, new_page: Callable[[], Page]) -> Callable[[Account], Page]:
    """Log a user in through the login page; returns the COP page once it has loaded."""
    return lambda account: log_in_at(hq.url, new_page(), account)


@pytest.fixture
def history_login(history_hq: HQ, new_page: Callable[[], Page]) -> Callable[[Account], Page]:
    """``login`` on the history HQ."""
    return lambda account: log_in_at(history_hq.url, new_page(), account)
