"""Builders for HQ API tests: users with tokens, reports as NDJSON, ingest, bearer headers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ceasefire.access.model import Role
from ceasefire.api.accounts import create_account
from ceasefire.api.state import HQState
from ceasefire.pipeline.ingest import ingest_files
from ceasefire.reports.gazetteer import Gazetteer
from ceasefire.reports.model import Classification
from ceasefire.reports.parse import ReportFormat

#: A point on the Ukrainian side of the mini agreement's line (37.5 E), inside its zones.
WEST = (37.45, 48.0)


@dataclass
class HQ:
    """The app under test, its client and its database folder."""

    app: FastAPI
    client: TestClient
    folder: Path

    @property
    def state(self) -> HQState:
        state: HQState = self.app.state.hq
        return state

    def user(
        self,
        name: str,
        *,
        nation: str | None = "FRA",
        organisation: str | None = None,
        clearance: Classification = Classification.SECRET,
        roles: Iterable[Role] = (Role.ANALYST,),
        password: str | None = "correct horse",
    ) -> dict[str, str]:
        """Create a user; the bearer header of their token."""
        account = create_account(
            self.state.engine,
            name=name,
            nation=nation,
            organisation=organisation,
            clearance=clearance,
            roles=roles,
            password=password,
            now=datetime.now(UTC),
        )
        return {"Authorization": f"Bearer {account.token}"}

    def ingest(self, reports: Sequence[dict[str, Any]]) -> None:
        """Ingest reports through the same pipeline as the CLI (with fusion)."""
        if self.state._gazetteer is None:  # one bundled gazetteer for the whole test session
            self.state._gazetteer = _shared_gazetteer()
        path = self.folder / f"batch-{datetime.now(UTC).timestamp()}.ndjson"
        path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in reports))
        ingest_files(
            self.state.store,
            [path],
            fmt=ReportFormat.NDJSON,
            gazetteer=self.state.gazetteer(),
            parallel=False,
        )


@cache
def _shared_gazetteer() -> Gazetteer:
    return Gazetteer.default()


def report(
    rid: str,
    *,
    source: str = "OP-1",
    minute: int = 0,
    lon: float = WEST[0],
    lat: float = WEST[1],
    count: int = 1,
    releasable_to: Sequence[str] | None = None,
    classification: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An explosion heard by an observation post, as the spec writes it."""
    body: dict[str, Any] = {
        "id": rid,
        "source": source,
        "source_type": "observation_post",
        "reliability": "B",
        "credibility": 2,
        "observed_at": f"2026-03-10T10:{minute:02d}:00Z",
        "lat": lat,
        "lon": lon,
        "uncertainty_m": 200,
        "category": "explosion",
        "count": count,
        **extra,
    }
    if releasable_to is not None:
        body["releasable_to"] = list(releasable_to)
    if classification is not None:
        body["classification"] = classification
    return body
