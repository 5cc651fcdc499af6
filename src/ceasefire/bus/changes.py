"""The change messages, version 1: what the notify worker tells the HQ servers was committed.

A change message names one committed change (a row of a commit-ordered log: the change log
or the ledger, ``store/change_feed.py``) by its log, ``seq``, kind and subject id. It carries
no releasable content: an HQ server that hears of a change re-reads the rows through its own
releasability-filtered reads, per viewer, so what a reader sees never depends on the bus.

Subjects are ``<prefix>.changes.<topic>``: ``reports`` (a stored report), ``incidents``
(fusion's new, re-stated and superseded incidents), ``violations`` (violations and their
attributions) and ``alerts`` (guarantee triggers fired). The stream keeps them for a short
while only (``RETENTION_S``): they are wake-ups, the database is the record, and the notify
worker can publish them again from its cursors.

``Nats-Msg-Id`` is ``<log>:<seq>``: a notify worker that dies after publishing and before
moving its cursor publishes the same changes again, and the stream drops the copies inside
its de-duplication window.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from ceasefire.store.change_feed import CHANGES_LOG, Change

#: The ``Ceasefire-Message`` header of a change message.
CHANGE_MESSAGE = "change/1"
#: Seconds the changes stream keeps a message (a wake-up, not a record).
RETENTION_S = 3600.0
#: Seconds within which the stream drops a message whose ``Nats-Msg-Id`` it has seen.
DUPLICATE_WINDOW_S = 600.0
#: Most messages the stream keeps; the oldest go first.
MAX_MESSAGES = 2_000_000

#: Topic of each kind of the change log (``store/changes.py``). Only ``report`` is logged on
#: this branch; the others are the kinds branch ``progress`` adds (fusion's incidents, states,
#: attribution decisions, remedies), named here so that they are published once it is merged.
CHANGE_TOPICS = {
    "report": "reports",
    "incident": "incidents",
    "superseded": "incidents",
    "state": "incidents",
    "decision": "violations",
    "remedy": "violations",
}
#: Topic of each ledger entry kind worth telling; other kinds are passed over.
LEDGER_TOPICS = {
    "incident.state": "incidents",
    "violation.recorded": "violations",
    "attribution.recorded": "violations",
    "trigger.fired": "alerts",
}
#: The topics that change what an HQ screen shows (a stored report does not, until fused).
HQ_TOPICS = ("incidents", "violations", "alerts")


@dataclass(frozen=True, slots=True)
class ChangeNames:
    """Stream and subject names; a test may give its run its own prefix."""

    prefix: str = "CEASEFIRE"

    @property
    def stream(self) -> str:
        return f"{self.prefix}_CHANGES"

    def subject(self, topic: str) -> str:
        return f"{self.prefix.lower()}.changes.{topic}"

    @property
    def subjects(self) -> str:
        return f"{self.prefix.lower()}.changes.>"


def topic_of(change: Change) -> str | None:
    """The topic ``change`` is published under, or ``None``: not published."""
    table = CHANGE_TOPICS if change.log == CHANGES_LOG else LEDGER_TOPICS
    return table.get(change.kind)


def change_headers(change: Change) -> dict[str, str]:
    """The message's headers: its version and its id (``<log>:<seq>``, for de-duplication)."""
    return {"Ceasefire-Message": CHANGE_MESSAGE, "Nats-Msg-Id": f"{change.log}:{change.seq}"}


def change_payload(change: Change) -> bytes:
    """The message's body: ids and kind only, as JSON."""
    return orjson.dumps(
        {"log": change.log, "seq": change.seq, "kind": change.kind, "subject": change.subject}
    )


async def ensure_changes_stream(
    js: JetStreamContext, names: ChangeNames, *, replicas: int = 1
) -> None:
    """Create the changes stream if absent (idempotent; an existing one is left as is).

    ``replicas``: 3 on a three-node cluster (docs/deploy.md), 1 on one machine.
    """
    try:
        await js.stream_info(names.stream)
    except NotFoundError:
        await js.add_stream(
            StreamConfig(
                name=names.stream,
                subjects=[names.subjects],
                storage=StorageType.FILE,
                max_age=RETENTION_S,
                max_msgs=MAX_MESSAGES,
                discard=DiscardPolicy.OLD,
                duplicate_window=DUPLICATE_WINDOW_S,
                num_replicas=replicas,
            )
        )
