"""Intake on the bus: ``ceasefire ingest --bus`` and the API's POST with ``CEASEFIRE_BUS``
publish the bytes as received and answer "accepted for processing" once the stream has them;
nothing is written to the store by them. A NATS server of the test's own (``nats_process``)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from nats_process import NatsProcess, free_port
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from ceasefire.access.model import Role
from ceasefire.api.accounts import create_account
from ceasefire.api.app import create_app
from ceasefire.bus.jetstream import BusNames, connect
from ceasefire.bus.message import IntakeBatch, from_message
from ceasefire.cli.main import app as cli
from ceasefire.pipeline.agreements import load_agreement_file
from ceasefire.reports.model import Classification
from ceasefire.settings import Settings
from ceasefire.store.base import open_store
from ceasefire.store.queries import engine_of

MINI = Path(__file__).resolve().parents[1] / "data" / "mini-agreement" / "agreement.yaml"
REPORT = {
    "id": "r1",
    "source": "op-1",
    "source_type": "observation_post",
    "observed_at": "2026-03-10T10:00:00Z",
    "lat": 48.0,
    "lon": 37.4,
    "uncertainty_m": 100,
    "category": "explosion",
}


@pytest.fixture
def nats(tmp_path: Path) -> Iterator[NatsProcess]:
    server = NatsProcess(tmp_path / "nats")
    server.start()
    yield server
    server.kill()


@pytest.fixture
def mini_db(fresh_db: str) -> str:
    store = open_store(Settings(db=fresh_db))
    store.init_schema()
    load_agreement_file(store, MINI)
    engine_of(store).dispose()
    store.close()
    return fresh_db


def on_stream(url: str) -> list[IntakeBatch]:
    """Every message of the intake stream, read back."""

    async def read() -> list[IntakeBatch]:
        client = await connect(url)
        try:
            js = client.jetstream()
            stream = BusNames().intake_stream
            last = (await js.stream_info(stream)).state.last_seq or 0
            found = []
            for seq in range(1, last + 1):
                raw = await js.get_msg(stream, seq)
                found.append(from_message(raw.headers, raw.data or b""))
            return found
        finally:
            await client.close()

    return asyncio.run(read())


def stored_reports(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM reports")).scalar_one())
    finally:
        engine.dispose()


def test_ingest_with_a_bus_publishes_the_file_as_received_and_stores_nothing(
    mini_db: str, nats: NatsProcess, tmp_path: Path
) -> None:
    path = tmp_path / "two.ndjson"
    raw = orjson.dumps(REPORT) + b"\n" + orjson.dumps({**REPORT, "id": "r2"}) + b"\n"
    path.write_bytes(raw)
    command = ["--db", mini_db, "ingest", "--bus", nats.url, str(path)]
    first = CliRunner().invoke(cli, command)
    again = CliRunner().invoke(cli, [*command[:-1], "--json", str(path)])
    assert first.exit_code == 0, first.output
    assert again.exit_code == 0, again.output
    (batch,) = on_stream(nats.url)
    assert first.output.strip() == (
        f"two.ndjson part 1/1: accepted for processing, content id {batch.content_id()}"
    )
    answer = orjson.loads(again.stdout)["inputs"][0]
    assert answer["status"] == "accepted for processing"
    assert answer["batches"] == [
        {"content_id": batch.content_id(), "part": "1/1", "duplicate": True}
    ]
    assert (batch.raw, batch.input_name, batch.report_format) == (raw, "two.ndjson", "ndjson")
    assert (batch.principal, batch.account_pk) == ("HQ", None)
    assert stored_reports(mini_db) == 0  # the workers store, not the publisher


def test_ingest_with_a_bus_refuses_observed_receipt_times_and_bad_urls(
    mini_db: str, tmp_path: Path
) -> None:
    path = tmp_path / "one.ndjson"
    path.write_bytes(orjson.dumps(REPORT) + b"\n")
    base = ["--db", mini_db, "ingest", str(path)]
    observed = CliRunner().invoke(
        cli, [*base, "--bus", "nats://127.0.0.1:1", "--received-at", "observed"]
    )
    not_nats = CliRunner().invoke(cli, [*base, "--bus", "http://example.org"])
    assert observed.exit_code == 2
    assert "received-at" in observed.output
    assert "[not_on_bus]" in observed.output
    assert not_nats.exit_code == 2
    assert "bus: 'http://example.org' is not a nats:// or tls:// URL [nats_url]" in not_nats.output


def test_a_post_with_a_bus_is_answered_202_once_on_the_stream_as_the_caller(
    mini_db: str, nats: NatsProcess
) -> None:
    app = create_app(Settings(db=mini_db, bus=nats.url))
    account = create_account(
        app.state.hq.stores.access,
        name="fra-monitor",
        nation="FRA",
        organisation=None,
        clearance=Classification.SECRET,
        roles=(Role.MONITOR,),
        password=None,
        now=datetime.now(UTC),
    )
    body = orjson.dumps(REPORT) + b"\n"
    with TestClient(app) as client:
        response = client.post(
            "/api/reports",
            content=body,
            headers={
                "Authorization": f"Bearer {account.token}",
                "Content-Type": "application/x-ndjson",
            },
        )
    assert response.status_code == 202, response.text
    (batch,) = on_stream(nats.url)
    assert response.json() == {
        "status": "accepted for processing",
        "input": "api",
        "batches": [{"content_id": batch.content_id(), "part": "1/1", "duplicate": False}],
    }
    assert (batch.raw, batch.input_name, batch.principal) == (body, "api", "FRA")
    assert batch.account_pk == account.user.pk
    assert stored_reports(mini_db) == 0


def test_ingest_with_a_bus_that_does_not_answer_fails_clearly_and_accepts_nothing(
    mini_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ceasefire.bus.intake.PUBLISH_PATIENCE_S", 1.0)
    path = tmp_path / "one.ndjson"
    path.write_bytes(orjson.dumps(REPORT) + b"\n")
    silent = f"nats://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(cli, ["--db", mini_db, "ingest", "--bus", silent, str(path)])
    assert result.exit_code == 2
    assert f"error: bus: no NATS server at {silent} within 1 s" in result.output
