"""Attacks that need no real server: open redirects after login, bodies over their route's
limit, and the headers every answer carries."""

from __future__ import annotations

import orjson
import pytest
from api_helpers import HQ, report

from ceasefire.access.model import Role
from ceasefire.api.guards import DEFAULT_BODY_BYTES, LOGIN_BODY_BYTES

#: Known ways off the site after a login (the first was found against this HQ).
OFF_SITE = [
    "/%5Cevil.example/phish",
    "/\\evil.example/phish",
    "//evil.example",
    "///evil.example",
    "https://evil.example",
    "http:evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/%09/evil.example",
    "/%2F/evil.example",
    "/%255Cevil.example",
    "\\\\evil.example",
    "javascript:alert(document.cookie)",
    " /evil",
    "evil.example",
    "",
]
ON_SITE = ["/", "/?since=2026-03-01", "/login", "/api/incidents?bbox=1,2,3,4", "/a%20b"]


@pytest.mark.parametrize("target", OFF_SITE + ON_SITE)
def test_login_sends_the_browser_only_to_a_path_of_this_site(hq: HQ, target: str) -> None:
    hq.user("ana", password="right")
    answer = hq.client.post(
        "/api/session", params={"next": target}, json={"name": "ana", "password": "right"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["next"] == (target if target in ON_SITE else "/")


def test_a_login_without_next_goes_home(hq: HQ) -> None:
    hq.user("ana", password="right")
    answer = hq.client.post("/api/session", json={"name": "ana", "password": "right"})
    assert answer.json()["next"] == "/"


@pytest.mark.parametrize(
    ("path", "limit"),
    [("/api/session", LOGIN_BODY_BYTES), ("/api/incidents/1/verify", DEFAULT_BODY_BYTES)],
)
def test_a_body_over_the_routes_limit_is_refused_before_authentication(
    hq: HQ, path: str, limit: int
) -> None:
    for body in (b"x" * (limit + 1), iter([b"x" * 4096] * (limit // 4096 + 1))):
        # no credentials at all: the size is judged first
        answer = hq.client.post(path, content=body, headers={"Content-Type": "application/json"})
        assert answer.status_code == 413
        assert answer.json()["error"]["field"] == "body"
        assert answer.json()["error"]["rule"] == "size"


def test_report_submissions_keep_their_larger_limit(hq: HQ) -> None:
    monitor = hq.user("mon", roles=[Role.MONITOR])
    padding = "x" * 3_000
    lines = [
        report(f"r{k}", source=f"OP-{k}", minute=k % 60, description=padding) for k in range(40)
    ]
    body = b"".join(orjson.dumps(line) + b"\n" for line in lines)
    assert len(body) > DEFAULT_BODY_BYTES
    answer = hq.client.post(
        "/api/reports",
        content=body,
        headers={**monitor, "Content-Type": "application/x-ndjson"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 40


def test_every_answer_carries_the_security_headers(hq: HQ) -> None:
    headers = hq.user("ana")
    answers = {
        "login page": hq.client.get("/login"),
        "page": hq.client.get("/", cookies={"cf_session": "x"}),
        "json": hq.client.get("/api/incidents", headers=headers),
        "error": hq.client.get("/api/incidents"),
        "script": hq.client.get("/static/js/login.js"),
    }
    for what, answer in answers.items():
        assert answer.headers["x-frame-options"] == "DENY", what
        assert answer.headers["x-content-type-options"] == "nosniff", what
        assert answer.headers["referrer-policy"] == "no-referrer", what
        policy = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy, what
    for what in ("login page", "page"):
        policy = answers[what].headers["content-security-policy"]
        assert "script-src 'self';" in policy
        assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    # and the templates need nothing else: no inline script or handler to allow
    for what in ("login page", "page"):
        html = answers[what].text
        assert "<script>" not in html
        assert " onload=" not in html
        assert " onclick=" not in html
