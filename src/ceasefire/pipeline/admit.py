"""Stage 2 of the ingest: decide against the store what a prepared chunk adds, in file order.

Decisions (documented in the README):

Keys are scoped per submitting principal (docs/spec/observation-report.md, "Ownership"):
every lookup below is in the submitter's own scope, so what another nation stored never
changes an answer.

* ``(source, id)`` already stored with the same content (hash of the parsed report, so the same
  report re-sent as CSV instead of NDJSON is still a duplicate) → counted as a duplicate,
  nothing written. Different content → quarantined whole, field ``id``, rule
  ``duplicate_id_different_content``.
* ``amends`` must name a report of the same source received *earlier* (stored, or accepted
  earlier in the same chunk); otherwise the report is quarantined (field ``amends``, rule
  ``unknown_report``). Quarantine, not a hold: nothing waits invisibly, and a re-send after the
  original arrived is accepted normally. A stored target is amended only by the account that
  sent it or an account its principal delegated (``Submitter.delegate``); any other account
  gets exactly the ``unknown_report`` answer, so it cannot tell a key it may not change from
  one that is not used.
* A withdrawal (``withdrawn: true`` with ``amends``) is stored but never fused into an
  incident: it is a notice about another report, not an observation.

What is written is the accepted reports (with their placement), the status changes, the
quarantine and the ledger entries; no incident and no violation. Those are fusion's
(``pipeline.fuse``), which reads the reports this chunk stores from the change log.

The outcome equals processing the reports one by one, whatever the chunking: a report is
compared only with what was stored or accepted before it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from ceasefire.access.model import SYSTEM_PRINCIPAL
from ceasefire.pipeline.prepare import PreparedChunk
from ceasefire.store.base import (
    SYSTEM_SUBMITTER,
    ChunkWrite,
    KnownReport,
    ReportStatus,
    StatusChange,
    Store,
    Submitter,
)

COUNT_KEYS = ("read", "accepted", "duplicates", "amended", "withdrawn", "quarantined")


def reason_hash(raw: str, field: str, rule: str, principal: str = SYSTEM_PRINCIPAL) -> bytes:
    """Quarantine identity: the same text rejected for the same reason is stored once per
    submitting principal (one nation's re-send never hides behind another's). The HQ's own
    scope hashes as before revision 0012, so quarantine rows stored earlier keep their identity.
    """
    parts = (raw, field, rule) if principal == SYSTEM_PRINCIPAL else (raw, field, rule, principal)
    data = "\x1f".join(parts).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).digest()


@dataclass(slots=True)
class _Admission:
    """Which reports of a chunk are accepted, and why the others are not."""

    accept: NDArray[np.bool_]
    quarantine: list[tuple[object, ...]]
    changes: list[tuple[int, int | None, ReportStatus]]  # (report i, stored target pk, status)
    change_local: dict[int, int]  # report i -> chunk index of its target, when in the chunk
    duplicates: int = 0
    amended: int = 0
    withdrawn: int = 0


def admit_chunk(
    chunk: PreparedChunk,
    *,
    store: Store,
    run_pk: int,
    received_at: datetime,
    submitter: Submitter = SYSTEM_SUBMITTER,
) -> tuple[ChunkWrite, dict[str, int]]:
    """The store write for ``chunk`` (accepted reports, status changes, quarantine) and its
    summary counts, for reports sent by ``submitter``."""
    admission = _admit(chunk, store, submitter)
    source, scope = chunk.source_file, submitter.principal
    admission.quarantine.extend(
        (
            reason_hash(r.raw, r.field, r.rule, scope),
            r.raw,
            source,
            r.line_no,
            r.field,
            r.rule,
            r.message,
        )
        for r in chunk.rejected
    )
    accept = admission.accept
    accepted = np.flatnonzero(accept)
    everything = len(accepted) == len(chunk)
    rows = chunk.rows if everything else [chunk.rows[i] for i in accepted]
    digests = chunk.raw_sha256 if everything else [chunk.raw_sha256[i] for i in accepted]
    local_of = np.full(len(chunk), -1, dtype=np.int64)
    local_of[accepted] = np.arange(len(accepted))

    counts = {
        "read": len(chunk) + len(chunk.rejected),
        "accepted": len(accepted),
        "duplicates": admission.duplicates,
        "amended": admission.amended,
        "withdrawn": admission.withdrawn,
        "quarantined": len(admission.quarantine),
    }
    write = ChunkWrite(
        run_pk=run_pk,
        received_at=received_at,
        report_rows=rows,
        status_changes=[
            StatusChange(status, target_pk=pk)
            if pk is not None
            else StatusChange(status, target_local=int(local_of[admission.change_local[i]]))
            for i, pk, status in admission.changes
        ],
        quarantine_rows=admission.quarantine,
        counts=counts,
        raw_sha256=digests,
        submitter=submitter,
    )
    return write, counts


def _admit(chunk: PreparedChunk, store: Store, submitter: Submitter) -> _Admission:
    """Decide, in file order, which reports are new, duplicates, or to quarantine."""
    n, keys, hashes, scope = len(chunk), chunk.keys, chunk.hashes, submitter.principal
    known = store.find_reports(scope, keys)
    admission = _Admission(np.ones(n, dtype=bool), [], [], {})
    pending = [i for i, a in enumerate(chunk.amends) if a is not None] + [
        int(i) for i in np.flatnonzero(chunk.withdrawn) if chunk.amends[i] is None
    ]
    pending.sort()
    targets = (
        store.find_reports(scope, [(keys[i][0], chunk.amends[i] or "") for i in pending])
        if pending
        else {}
    )
    amend = _AmendContext(chunk, _changeable(targets, submitter), admission, scope)
    first = dict(zip(keys, range(n), strict=True))
    if not known and len(first) == n:  # fast path: every key new and unique in the chunk
        for i in pending:
            amend.admit(i, first)
        return admission
    seen: dict[tuple[str, str], int] = {}
    amending = set(pending)
    for i, key in enumerate(keys):
        prior = known.get(key)
        if prior is not None:
            prior_hash = prior.content_hash
        elif key in seen:
            prior_hash = hashes[seen[key]]
        else:
            if i not in amending or amend.admit(i, seen):
                seen[key] = i
            continue
        admission.accept[i] = False
        if prior_hash == hashes[i]:
            admission.duplicates += 1
        else:
            message = f"{key[0]}/{key[1]} was received before with different content"
            admission.quarantine.append(
                _reject(chunk, i, "id", "duplicate_id_different_content", message, scope=scope)
            )
    return admission


def _changeable(
    targets: dict[tuple[str, str], KnownReport], submitter: Submitter
) -> dict[tuple[str, str], KnownReport]:
    """The stored targets ``submitter`` may amend or withdraw: its own, or all of its scope
    when its principal delegated it. The others are dropped, so that they are answered as
    unknown, exactly like keys never used."""
    if submitter.delegate:
        return targets
    return {key: known for key, known in targets.items() if known.submitter_pk == submitter.user_pk}


@dataclass(frozen=True, slots=True)
class _AmendContext:
    chunk: PreparedChunk
    targets: dict[tuple[str, str], KnownReport]
    admission: _Admission
    scope: str

    def admit(self, i: int, seen: dict[tuple[str, str], int]) -> bool:
        """Resolve report ``i``'s ``amends`` to a stored or earlier accepted report, or
        quarantine it; ``seen`` maps keys to chunk indices (only earlier accepted ones count)."""
        chunk, admission = self.chunk, self.admission
        source, report_id = chunk.keys[i]
        amends = chunk.amends[i]
        status = ReportStatus.WITHDRAWN if chunk.withdrawn[i] else ReportStatus.AMENDED
        reason: tuple[str, str, str] | None = None
        if amends is None:
            reason = ("withdrawn", "withdrawal_without_amends", "withdrawn: true needs amends")
        elif amends == report_id:
            reason = ("amends", "amends_itself", f"report {report_id} names itself in amends")
        else:
            stored = self.targets.get((source, amends))
            earlier = seen.get((source, amends))
            if stored is not None:
                admission.changes.append((i, stored.pk, status))
            elif earlier is not None and earlier < i and admission.accept[earlier]:
                admission.changes.append((i, None, status))
                admission.change_local[i] = earlier
            else:
                message = f"no earlier report {amends!r} from source {source!r}"
                reason = ("amends", "unknown_report", message)
        if reason is not None:
            admission.accept[i] = False
            admission.quarantine.append(_reject(chunk, i, *reason, scope=self.scope))
            return False
        if status is ReportStatus.WITHDRAWN:
            admission.withdrawn += 1
        else:
            admission.amended += 1
        return True


def _reject(
    chunk: PreparedChunk, i: int, field: str, rule: str, message: str, *, scope: str
) -> tuple[object, ...]:
    raw = chunk.raws[i]
    reason = reason_hash(raw, field, rule, scope)
    return (reason, raw, chunk.source_file, None, field, rule, message)
