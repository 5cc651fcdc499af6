"""Intake on the bus: an input's bytes published to the intake stream, answered on its ack.

What ``ceasefire ingest --bus`` and the API's POST do instead of ingesting in process. The
answer comes once JetStream has stored every part (``publish_batches``), so an answered
submission survives the submitter going away; it says *accepted for processing* and gives
the content ids (``Nats-Msg-Id``), not counts: the ``prepare`` workers decide later, and a
re-send of the same bytes by the same scope is the same batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.js import JetStreamContext

from ceasefire.bus.jetstream import (
    PUBLISH_PATIENCE_S,
    BusNames,
    connect,
    ensure_intake_stream,
    publish_batches,
)
from ceasefire.bus.message import IntakeBatch, split_input
from ceasefire.errors import BusUnavailableError

#: What an answered submission says: the workers will decide, later.
ACCEPTED = "accepted for processing"


@dataclass(frozen=True, slots=True)
class IntakeInput:
    """One input to publish: its bytes as received and where they came from."""

    raw: bytes
    input_name: str
    report_format: str


@dataclass(frozen=True, slots=True)
class AcceptedPart:
    """One stored message: its content id, its part ``k/n``, and whether it was a re-send."""

    content_id: str
    part: str
    duplicate: bool


@dataclass(frozen=True, slots=True)
class AcceptedInput:
    """What the stream acknowledged for one input."""

    input_name: str
    parts: tuple[AcceptedPart, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "status": ACCEPTED,
            "input": self.input_name,
            "batches": [
                {"content_id": p.content_id, "part": p.part, "duplicate": p.duplicate}
                for p in self.parts
            ],
        }


async def publish_inputs(
    client: Client,
    inputs: Sequence[IntakeInput],
    *,
    principal: str,
    account_pk: int | None,
    received_at: datetime,
    names: BusNames,
    max_part_bytes: int | None = None,
) -> list[AcceptedInput]:
    """Split every input into messages (refusing, before anything is sent, an input that
    cannot be split: ``InputError`` field ``size``), publish them in order and wait for
    each acknowledgement."""
    extra = {} if max_part_bytes is None else {"max_part_bytes": max_part_bytes}
    planned = [
        (
            item.input_name,
            split_input(
                item.raw,
                input_name=item.input_name,
                report_format=item.report_format,
                received_at=received_at,
                principal=principal,
                account_pk=account_pk,
                **extra,
            ),
        )
        for item in inputs
    ]
    js = client.jetstream()
    answers = []
    try:
        await ensure_intake_stream(js, names)
        for name, batches in planned:
            answers.append(await _publish_one(js, names, name, batches))
    except (NatsError, TimeoutError) as error:
        raise BusUnavailableError(
            f"bus: the intake stream did not store the input ({type(error).__name__}: {error}); "
            "nothing after the inputs answered was accepted"
        ) from error
    return answers


async def _publish_one(
    js: JetStreamContext, names: BusNames, name: str, batches: Sequence[IntakeBatch]
) -> AcceptedInput:
    published = await publish_batches(js, names, batches)
    parts = tuple(
        AcceptedPart(b.content_id(), f"{b.part[0]}/{b.part[1]}", p.duplicate)
        for b, p in zip(batches, published, strict=True)
    )
    return AcceptedInput(name, parts)


def publish_inputs_blocking(
    url: str,
    inputs: Sequence[IntakeInput],
    *,
    principal: str,
    account_pk: int | None,
    received_at: datetime,
    names: BusNames | None = None,
    max_part_bytes: int | None = None,
) -> list[AcceptedInput]:
    """``publish_inputs`` from synchronous code (the CLI): connect, publish, close."""

    async def run() -> list[AcceptedInput]:
        client = await connect(url, patience_s=PUBLISH_PATIENCE_S)
        try:
            return await publish_inputs(
                client,
                inputs,
                principal=principal,
                account_pk=account_pk,
                received_at=received_at,
                names=names or BusNames(),
                max_part_bytes=max_part_bytes,
            )
        finally:
            await client.close()

    return asyncio.run(run())


@dataclass
class BusPublisher:
    """The API's connection to the bus: opened on first use in the server's event loop,
    reconnecting by itself (``connect``), closed with the app."""

    url: str
    names: BusNames = field(default_factory=BusNames)
    _client: Client | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def publish(
        self, item: IntakeInput, *, principal: str, account_pk: int | None, received_at: datetime
    ) -> AcceptedInput:
        async with self._lock:
            if self._client is None:
                self._client = await connect(self.url, patience_s=PUBLISH_PATIENCE_S)
        (answer,) = await publish_inputs(
            self._client,
            [item],
            principal=principal,
            account_pk=account_pk,
            received_at=received_at,
            names=self.names,
        )
        return answer

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
