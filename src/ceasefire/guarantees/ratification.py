"""Ratifications recorded after a guarantees file was loaded.

Parliaments vote on their own calendars ("in most of the countries … parliamentary approval
is required"), long after the instruments were written down; re-editing the YAML for each
vote would lose who recorded what, when, and on which source. So each status is recorded as
it comes (``ceasefire guarantees ratify``) and laid over the file's own list: the latest
record per party wins, and a record counts in a replay only from when it was recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from ceasefire.errors import InputError
from ceasefire.guarantees.model import (
    ConditionKind,
    Instrument,
    InstrumentSet,
    Ratification,
    RatificationStatus,
    Source,
)


@dataclass(frozen=True, slots=True)
class RecordedRatification:
    """A ratification as recorded: for which instrument, by whom, when it was recorded."""

    instrument_id: str
    ratification: Ratification
    by: str
    recorded_at: datetime


def parties_needing_ratification(instrument: Instrument) -> tuple[str, ...]:
    """The parties named by the instrument's ratification conditions, in order."""
    named = [
        p for c in instrument.conditions if c.kind is ConditionKind.RATIFICATION for p in c.parties
    ]
    return tuple(dict.fromkeys(named))


def ratification_of(
    instrument: Instrument,
    *,
    party: str,
    status: RatificationStatus,
    date: datetime | None,
    source: str,
) -> Ratification:
    """A checked ratification of ``instrument`` by ``party``.

    Raises InputError (naming the field and rule) when the party is not one whose
    ratification the instrument needs, a ``ratified`` status has no date (entry into force
    is computed from it), the date is naive, or the source is empty (every status must say
    where it comes from).
    """
    needed = parties_needing_ratification(instrument)
    if party not in needed:
        names = ", ".join(needed) or "none"
        raise InputError(
            "party", "named", f"{instrument.id} needs no ratification by {party} (named: {names})"
        )
    if status in (RatificationStatus.RATIFIED, RatificationStatus.NOT_REQUIRED) and date is None:
        raise InputError("date", "required", f"a {status} status needs its date")
    if date is not None and date.tzinfo is None:
        raise InputError("date", "timezone", "dates must be UTC-aware")
    if not source.strip():
        raise InputError("source", "required", "say where the status comes from")
    text = source.strip()
    url = text if text.startswith(("http://", "https://")) else None
    return Ratification(party, status, date, Source(url=url, note=None if url else text))


def with_ratifications(
    instruments: InstrumentSet,
    recorded: Sequence[RecordedRatification],
    *,
    as_of: datetime | None = None,
) -> InstrumentSet:
    """The instruments with the records recorded by ``as_of`` (all when None) laid over the
    file's ratifications: per party, the latest record replaces what came before.

    Records of instruments no longer in the file are ignored.
    """
    latest: dict[str, dict[str, Ratification]] = {}
    for record in sorted(recorded, key=lambda r: r.recorded_at):
        if as_of is None or record.recorded_at <= as_of:
            mine = latest.setdefault(record.instrument_id, {})
            mine[record.ratification.party] = record.ratification
    if not latest:
        return instruments
    updated = []
    for instrument in instruments.instruments:
        mine = latest.get(instrument.id, {})
        if not mine:
            updated.append(instrument)
            continue
        kept = [r for r in instrument.ratifications if r.party not in mine]
        updated.append(replace(instrument, ratifications=(*kept, *mine.values())))
    return replace(instruments, instruments=tuple(updated))
