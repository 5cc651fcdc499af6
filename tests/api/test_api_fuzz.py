"""Schemathesis against the HQ's own /openapi.json: no request makes the API answer 5xx.

Every operation but the endless ``/api/stream`` is fuzzed with a user holding every role:
cases valid per the schema, cases that break it, cases on the ids that exist (random ids
almost never do), and report bodies built from the report spec. Every 4xx must carry the
error JSON of docs/hq-api.md, naming field and rule for bad input. Then the same operations
without a token: all but the open ones answer 401.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
import schemathesis
from api_fuzz_helpers import error_contract_problem, report_bodies, seed_reports
from api_helpers import build_hq_template
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err

from backend_databases import BACKENDS, Databases, drop_url
from ceasefire.access.model import Role
from ceasefire.api.accounts import create_account
from ceasefire.api.app import create_app
from ceasefire.reports.model import Classification
from ceasefire.settings import Settings
from ceasefire.store.access_port import SqlAccess
from ceasefire.store.base import open_store
from ceasefire.store.queries import engine_of

#: Cases per operation and generation mode (positive: valid per the schema; negative: not).
EXAMPLES = 40
#: Fewer for operations that cost far more than a query (each case builds a whole report).
EXAMPLES_FOR = {"GET /api/report/daily": 8}
#: Cases per operation with an id in its path, drawn from the rows that exist.
EXAMPLES_ON_ROWS = 20
#: Report bodies from the report spec, posted before the rest so that reads meet odd rows.
REPORT_BODIES = 50
MIN_CALLS = 1000
#: Cases per operation without a token.
EXAMPLES_WITHOUT_TOKEN = 3
#: An endless Server-Sent Events stream: not fuzzed here (it never ends a response).
NOT_FUZZED = frozenset({"GET /api/stream"})
#: Answered without a user (``/login`` is HTML and not in the schema).
OPEN = frozenset({"GET /healthz", "POST /api/session"})
Operation = APIOperation[Any, Any, Any, Any]
AnyCase = Case[Any]
_JSON = {"Content-Type": "application/json"}
_NDJSON = {"Content-Type": "application/x-ndjson"}
#: A valid report west of the mini line.
_REPORT = {
    "source": "op-edge",
    "source_type": "observation_post",
    "observed_at": "2026-03-11T09:00:00Z",
    "lat": 48.0,
    "lon": 37.4,
    "category": "explosion",
}


@dataclass(frozen=True)
class FuzzedHQ:
    """The app under test, the token of a user with every role, and ids that exist."""

    app: FastAPI
    token: str
    rows: dict[str, list[int]]


@pytest.fixture(scope="module", params=BACKENDS)
def fuzzed_hq(
    request: pytest.FixtureRequest,
    databases: Databases,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[FuzzedHQ]:
    """An HQ on the mini agreement with incidents (some partial), violations, a proposal,
    on each backend (``sqlite``, ``postgres``)."""
    folder = tmp_path_factory.mktemp("hq-fuzz")
    url = databases.fresh(str(request.param), folder, key="hq", build=build_hq_template)
    store = open_store(Settings(db=url))
    account = create_account(
        SqlAccess(engine_of(store)),
        name="fuzzer",
        nation="USA",
        organisation=None,
        clearance=Classification.SECRET,
        roles=[Role.MONITOR, Role.ANALYST, Role.COMMISSION],
        password="fuzzer-password-1",
        now=datetime.now(UTC),
    )
    store.close()
    app = create_app(Settings(db=url))
    client = TestClient(app)  # no lifespan here: schemathesis runs the app's own
    auth = {"Authorization": f"Bearer {account.token}"}
    seeded = client.post(
        "/api/reports",
        content=seed_reports(),
        headers={**auth, "Content-Type": "application/x-ndjson"},
    ).json()
    assert seeded["accepted"] == 8, seeded
    incidents = client.get("/api/incidents", headers=auth).json()["items"]
    violations = [v["id"] for v in client.get("/api/violations", headers=auth).json()["items"]]
    assert any(i["partial"] for i in incidents), "the seed must give a tearline case"
    assert violations, "the seed must give violations"
    proposed = client.post(
        f"/api/violations/{violations[0]}/attribution",
        json={"party": "RUS", "basis": "crater analysis", "confidence": 0.7},
        headers=auth,
    )
    assert proposed.status_code == 200, proposed.text
    rows = {
        "incident_id": [int(i["id"]) for i in incidents],
        "violation_id": violations,
        "attribution_id": [int(proposed.json()["id"])],
    }
    yield FuzzedHQ(app=app, token=account.token, rows=rows)
    app.state.hq.store.close()
    drop_url(url)


def _operations(app: FastAPI) -> list[Operation]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = []
    for result in schema.get_all_operations():
        assert not isinstance(result, Err), result
        operations.append(result.ok())
    return operations


def _run(
    strategy: st.SearchStrategy[AnyCase], examples: int, send: Callable[[AnyCase], None]
) -> None:
    """``send`` each of ``examples`` cases (no example database: each run explores anew)."""

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(case=strategy)
    def run(case: AnyCase) -> None:
        send(case)

    run()


def _has_inputs(operation: Operation) -> bool:
    """Whether there is anything to get wrong (else no negative case exists)."""
    return any(True for _ in operation.iter_parameters()) or any(True for _ in operation.body)


def _on_rows(operation: Operation, rows: dict[str, list[int]]) -> st.SearchStrategy[AnyCase]:
    """Cases of ``operation`` whose path ids name rows that exist."""
    names = [p.name for p in operation.path_parameters]
    return st.one_of(
        [
            operation.as_strategy(path_parameters={name: pk})
            for name in names
            for pk in rows.get(name, [])
        ]
    )


def test_no_request_makes_a_server_error(fuzzed_hq: FuzzedHQ) -> None:
    """≥ 1,000 generated requests, none answered 5xx; every 4xx carries the error JSON."""
    auth = {"Authorization": f"Bearer {fuzzed_hq.token}"}
    calls: Counter[str] = Counter()

    def send(case: AnyCase) -> None:
        response = case.call(headers=auth)
        calls[case.operation.label] += 1
        case.validate_response(response, checks=[not_a_server_error])
        if 400 <= response.status_code < 500:
            problem = error_contract_problem(response.status_code, response.content)
            assert problem is None, f"{problem}\n{case.as_curl_command(headers=auth)}"

    operations = [op for op in _operations(fuzzed_hq.app) if op.label not in NOT_FUZZED]
    submit = next(op for op in operations if op.label == "POST /api/reports")
    reports = report_bodies().map(lambda r: submit.Case(body=r, media_type="application/json"))
    _run(reports, REPORT_BODIES, send)
    for op in operations:
        examples = EXAMPLES_FOR.get(op.label, EXAMPLES)
        _run(op.as_strategy(generation_mode=GenerationMode.POSITIVE), examples, send)
        if _has_inputs(op):
            _run(op.as_strategy(generation_mode=GenerationMode.NEGATIVE), examples, send)
        if any(True for _ in op.path_parameters):
            _run(_on_rows(op, fuzzed_hq.rows), EXAMPLES_ON_ROWS, send)
    assert set(calls) == {op.label for op in operations}
    assert sum(calls.values()) >= MIN_CALLS, calls


def test_every_path_but_the_open_ones_needs_a_user(fuzzed_hq: FuzzedHQ) -> None:
    """Without a token every operation answers 401 with a Bearer challenge, except the open
    ones; the health check answers without one."""
    answered: dict[str, set[int]] = {}

    def send(case: AnyCase) -> None:
        response = case.call()
        answered.setdefault(case.operation.label, set()).add(response.status_code)
        if case.operation.label not in OPEN:
            assert response.status_code == 401, case.as_curl_command()
            assert response.headers.get("www-authenticate") == ["Bearer"], case.operation.label
        if response.status_code == 422:  # malformed before any account is looked up
            body = response.request.body
            text = body.decode() if isinstance(body, bytes) else str(body or "")
            assert "\\u0000" in text, case.as_curl_command()

    operations = [op for op in _operations(fuzzed_hq.app) if op.label not in NOT_FUZZED]
    for op in operations:
        _run(op.as_strategy(), EXAMPLES_WITHOUT_TOKEN, send)
    assert answered.keys() == {op.label for op in operations}
    assert answered["GET /healthz"] == {200}
    # random names and passwords: refused, throttled, or (with a NUL) malformed
    assert answered["POST /api/session"] <= {401, 422, 429}


def _cursor(observed_at_s: float, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{observed_at_s!r}:{pk}".encode()).decode()


#: Values past an edge the generated cases rarely reach: (method, url, request, field named).
EDGES = [
    ("GET", f"/api/incidents/{2**63}", {}, "incident_id"),
    ("GET", f"/api/incidents/{2**31}", {}, "incident_id"),  # past PostgreSQL's integer
    ("POST", "/api/incidents/0/verify", {"json": {}}, "incident_id"),
    (
        "POST",
        f"/api/attributions/{-(2**70)}/decision",
        {"json": {"decision": "upheld"}},
        "attribution_id",
    ),
    (
        "POST",
        "/api/violations/99999999999999999999/attribution",
        {"json": {"party": "RUS", "basis": "crater", "confidence": 0.5}},
        "violation_id",
    ),
    ("GET", f"/api/incidents?cursor={_cursor(1.0, 2**64)}", {}, "cursor"),
    ("GET", f"/api/violations?cursor={_cursor(1.0, 2**31)}", {}, "cursor"),
    ("GET", f"/api/reports?cursor={_cursor(1.0, -1)}", {}, "cursor"),
    ("GET", f"/api/violations?cursor={_cursor(float('nan'), 1)}", {}, "cursor"),
    ("GET", f"/api/violations?limit={10**30}", {}, "limit"),
    ("GET", "/api/incidents?bbox=nan,0,1,1", {}, "bbox"),
    ("GET", "/api/counts/daily?since=1e400", {}, "since"),
    ("GET", "/api/report/daily?date=0001-01-01", {}, "date"),
    ("GET", "/api/report/daily?date=9999-12-31", {}, "date"),
    ("POST", "/api/incidents/1/dispute", {"json": []}, "body"),
    ("POST", "/api/incidents/1/dispute", {"json": {"": 1}}, "body"),
    ("POST", "/api/incidents/1/dispute", {"content": b"{", "headers": _JSON}, "body"),
    ("POST", "/api/incidents/1/dispute", {"content": b"\xff\xfe", "headers": _JSON}, "body"),
]


@pytest.mark.parametrize(("method", "url", "request_", "field"), EDGES)
def test_values_past_an_edge_are_refused_by_name(
    fuzzed_hq: FuzzedHQ, method: str, url: str, request_: dict[str, Any], field: str
) -> None:
    """Huge or negative ids, forged cursors, NaN, days with no day before them, bodies that
    are not objects: a 4xx naming the field and the rule, never a 500."""
    client = TestClient(fuzzed_hq.app)
    sent = dict(request_)
    headers = {"Authorization": f"Bearer {fuzzed_hq.token}", **sent.pop("headers", {})}
    response = client.request(method, url, headers=headers, **sent)
    assert response.status_code in (400, 422), response.text
    assert error_contract_problem(response.status_code, response.content) is None
    assert response.json()["error"]["field"] == field


def test_a_time_past_year_9999_in_utc_is_quarantined(fuzzed_hq: FuzzedHQ) -> None:
    """``9999-12-31T23:59:59-23:59`` is valid RFC 3339 but has no UTC datetime: the report is
    quarantined naming ``observed_at``, and the rest of the batch is ingested."""
    client = TestClient(fuzzed_hq.app)
    good = {**_REPORT, "id": "edge-ok"}
    bad = {**_REPORT, "id": "edge-late", "observed_at": "9999-12-31T23:59:59-23:59"}
    response = client.post(
        "/api/reports",
        content=orjson.dumps(good) + b"\n" + orjson.dumps(bad) + b"\n",
        headers={"Authorization": f"Bearer {fuzzed_hq.token}", **_NDJSON},
    )
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["accepted"], summary["quarantined"]) == (1, 1)
    assert summary["rejected"][0]["field"] == "observed_at"


def test_a_report_dated_year_9999_leaves_the_daily_report_working(fuzzed_hq: FuzzedHQ) -> None:
    """A source's wrong date must not take the HQ's default daily report down with it."""
    client = TestClient(fuzzed_hq.app)
    auth = {"Authorization": f"Bearer {fuzzed_hq.token}"}
    late = {**_REPORT, "id": "edge-9999", "observed_at": "9999-12-31T12:00:00Z"}
    sent = client.post("/api/reports", json=late, headers=auth)
    assert sent.status_code == 200, sent.text
    response = client.get("/api/report/daily", headers=auth)
    assert response.status_code == 200, response.text
    assert "<title>Daily report — 2026-03-1" in response.text  # a seeded day, not 9999
