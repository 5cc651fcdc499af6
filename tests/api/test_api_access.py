"""Authentication, sessions, CSRF, throttling and roles, as a client of the HQ sees them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from api_helpers import HQ, FreshHQDB, fresh_hq, report
from db_rows import RawDB
from sqlalchemy.engine import make_url

from ceasefire.access.model import Role
from ceasefire.clock import FixedClock

OPEN = {("GET", "/healthz"), ("POST", "/api/session"), ("GET", "/login")}


def test_every_endpoint_but_health_and_login_refuses_a_request_without_a_token(hq: HQ) -> None:
    paths = hq.client.get("/openapi.json").json()["paths"]
    checked = 0
    for path, operations in paths.items():
        url = re.sub(r"\{[^}]+\}", "1", path)
        for method in operations:
            if (method.upper(), path) in OPEN:
                continue
            response = hq.client.request(method.upper(), url)
            assert response.status_code == 401, (method, path, response.text)
            assert response.json()["error"]["code"] == "unauthorized"
            checked += 1
    assert checked >= 15
    wrong = {"Authorization": "Bearer cf_not-a-token"}
    assert hq.client.get("/api/incidents", headers=wrong).status_code == 401
    assert hq.client.get("/healthz").json() == {"status": "ok"}
    assert hq.client.get("/login").status_code == 200


def test_tokens_and_passwords_are_stored_only_as_hashes(hq: HQ) -> None:
    header = hq.user("ana", password="a very secret passphrase")
    token = header["Authorization"].split()[1]
    hq.state.store.close()
    data = stored_bytes(hq)
    assert b"ana" in data  # the account is there
    assert token.encode() not in data
    assert b"a very secret passphrase" not in data
    assert hq.client.get("/api/me", headers=header).json()["name"] == "ana"


def stored_bytes(hq: HQ) -> bytes:
    """Everything the database holds: the SQLite files (journal included), or on PostgreSQL
    every row of every table as text."""
    if not hq.db.startswith("postgresql"):
        folder = Path(str(make_url(hq.db).database)).parent
        return b"".join(p.read_bytes() for p in folder.rglob("*.db*") if p.is_file())
    with RawDB(hq.db) as db:
        tables = db.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
        return b"".join(
            str(row[0]).encode()
            for (name,) in tables
            for row in db.execute(f'SELECT t::text FROM "{name}" AS t')
        )


def test_browser_session_cookie_is_httponly_strict_and_needs_csrf_for_changes(hq: HQ) -> None:
    monitor = hq.user("mon", roles=[Role.MONITOR])
    hq.client.post("/api/reports", json=report("r1"), headers=monitor)
    hq.user("ana", password="pw-ana")
    login = hq.client.post("/api/session", json={"name": "ana", "password": "pw-ana"})
    assert login.status_code == 200
    cookie = login.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    csrf = login.json()["csrf"]
    assert hq.client.get("/api/me").json()["view"] == "FRA"
    incident = hq.client.get("/api/incidents").json()["items"][0]["id"]
    refused = hq.client.post(f"/api/incidents/{incident}/verify", json={"note": "seen"})
    assert refused.status_code == 403
    assert "X-CSRF-Token" in refused.json()["error"]["message"]
    done = hq.client.post(
        f"/api/incidents/{incident}/verify", json={"note": "seen"}, headers={"X-CSRF-Token": csrf}
    )
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "verified"
    assert done.json()["history"][-1]["by"].startswith("ana")
    assert hq.client.delete("/api/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert hq.client.get("/api/me").status_code == 401


def test_repeated_failed_logins_are_slowed_down(hq_db: FreshHQDB, tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 3, 10, 12, tzinfo=UTC))
    with fresh_hq(hq_db, tmp_path / "hq", clock=clock) as hq:
        client = hq.client
        hq.user("ana", password="right")
        for _ in range(3):
            wrong = client.post("/api/session", json={"name": "ana", "password": "wrong"})
            assert wrong.status_code == 401
        throttled = client.post("/api/session", json={"name": "ana", "password": "right"})
        assert throttled.status_code == 429
        assert int(throttled.headers["Retry-After"]) >= 1
        clock.set(clock.now() + timedelta(seconds=3))
        assert client.post("/api/session", json={"name": "ana", "password": "right"}).is_success


def test_roles_decide_who_submits_and_who_verifies(hq: HQ) -> None:
    liaison = hq.user("lo", roles=[Role.LIAISON])
    monitor = hq.user("mon", roles=[Role.MONITOR])
    refused = hq.client.post("/api/reports", json=report("r1"), headers=liaison)
    assert refused.status_code == 403
    assert hq.client.post("/api/reports", json=report("r1"), headers=monitor).is_success
    incident = hq.client.get("/api/incidents", headers=liaison).json()["items"][0]["id"]
    verify = hq.client.post(f"/api/incidents/{incident}/verify", json={}, headers=liaison)
    assert verify.status_code == 403
    assert hq.client.get(f"/api/incidents/{incident}", headers=liaison).json()["actions"] == []


def test_submitted_reports_are_validated_quarantined_and_idempotent(hq: HQ) -> None:
    monitor = hq.user("mon", roles=[Role.MONITOR])
    first = hq.client.post("/api/reports", json=report("r1"), headers=monitor).json()
    assert (first["accepted"], first["duplicates"], first["quarantined"]) == (1, 0, 0)
    again = hq.client.post("/api/reports", json=report("r1"), headers=monitor).json()
    assert (again["accepted"], again["duplicates"]) == (0, 1)
    bad = report("r2", lat=91.0)
    lines = b'{"id": "r3"}\n' + __import__("orjson").dumps(bad) + b"\n"
    batch = hq.client.post(
        "/api/reports",
        content=lines,
        headers={**monitor, "Content-Type": "application/x-ndjson"},
    ).json()
    assert batch["quarantined"] == 2
    fields = {r["field"] for r in batch["rejected"]}
    assert "lat" in fields
    assert all(r["rule"] for r in batch["rejected"])
    kept = {q.raw for q in hq.state.store.list_quarantine()}
    assert '{"id": "r3"}' in kept
    wrong_type = hq.client.post(
        "/api/reports", content=b"x", headers={**monitor, "Content-Type": "text/plain"}
    )
    assert wrong_type.status_code == 422
    assert wrong_type.json()["error"]["field"] == "content-type"


def test_bad_query_parameters_name_the_field(hq: HQ) -> None:
    ana = hq.user("ana")
    for params, field in (
        ({"bbox": "1,2,3"}, "bbox"),
        ({"since": "yesterday"}, "since"),
        ({"cursor": "zz"}, "cursor"),
        ({"limit": "0"}, "limit"),
    ):
        response = hq.client.get("/api/incidents", params=params, headers=ana)
        assert response.status_code == 422, params
        assert response.json()["error"]["field"] == field
