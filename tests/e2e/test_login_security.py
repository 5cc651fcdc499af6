"""The login page in a real browser: after login it never leaves the site, whatever `next`
says, and the COP runs under the HQ's Content-Security-Policy without a single violation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from e2e_hq import HQ
from playwright.sync_api import Page

#: `next` as it appears in the login page's URL (the page decodes it once)
OFF_SITE = [
    "/%5Cevil.example/phish",
    "//evil.example/phish",
    "/%5C%5Cevil.example",
    "https://evil.example/phish",
    "/%09/evil.example",
    "javascript:alert(document.domain)",
]


def _log_in_at(page: Page, url: str, hq: HQ) -> None:
    account = hq.accounts["fra"]
    page.goto(url)
    page.get_by_test_id("login-name").fill(account.name)
    page.get_by_test_id("login-password").fill(account.password)
    page.get_by_test_id("login-submit").click()


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_never_sends_the_browser_off_site(
    hq: HQ, new_page: Callable[[], Page], target: str
) -> None:
    page = new_page()
    _log_in_at(page, f"{hq.url}/login?next={target}", hq)
    page.wait_for_selector("body[data-ready='1']", timeout=15_000)
    assert page.url == f"{hq.url}/"


def test_login_follows_a_path_of_the_site(hq: HQ, new_page: Callable[[], Page]) -> None:
    page = new_page()
    _log_in_at(page, f"{hq.url}/login?next=%2F%3Fkeep%3D1", hq)
    page.wait_for_selector("body[data-ready='1']", timeout=15_000)
    assert page.url == f"{hq.url}/?keep=1"


def test_the_cop_runs_under_its_content_security_policy(
    hq: HQ, new_page: Callable[[], Page]
) -> None:
    page = new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    _log_in_at(page, f"{hq.url}/login", hq)
    page.wait_for_selector("body[data-ready='1']", timeout=15_000)
    page.locator(".leaflet-marker-icon").first.wait_for(timeout=15_000)  # symbols drawn
    page.reload()
    page.wait_for_selector("body[data-ready='1']", timeout=15_000)
    assert violations == []
    policy = page.evaluate("async () => (await fetch('/')).headers.get('content-security-policy')")
    assert "frame-ancestors 'none'" in policy
