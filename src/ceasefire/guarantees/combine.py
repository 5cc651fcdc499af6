"""Combinators (``all``, ``any``) over the alerts of other triggers, and the bound trigger.

``any`` fires once per child alert. ``all`` fires when the last of its children fires while
every other child has fired within ``window_h`` before; it then rests for ``window_h``, so one
episode gives one alert (numbered ``#1``, ``#2`` ... per trigger, hence stable across replays).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

from ceasefire.guarantees.alerts import Alert, alert_id
from ceasefire.guarantees.model import Instrument
from ceasefire.guarantees.triggers import AllOf, AnyOf, Trigger, clause_of


@dataclass(frozen=True, slots=True)
class Bound:
    """A trigger of an instrument, with its instrument's interval of force in epoch seconds."""

    instrument: Instrument
    trigger: Trigger
    from_s: float
    until_s: float
    key: str = ""

    @classmethod
    def of(cls, instrument: Instrument, trigger: Trigger, from_s: float, until_s: float) -> Bound:
        """Bind ``trigger``; ``key`` is ``instrument/trigger``, unique in an instrument set."""
        return cls(instrument, trigger, from_s, until_s, f"{instrument.id}/{trigger.id}")

    def active(self, seconds: float) -> bool:
        """True while the instrument is in force (half-open interval)."""
        return self.from_s <= seconds < self.until_s


class Combinators:
    """The combinator triggers of an instrument set and their state between alerts."""

    def __init__(self) -> None:
        self._parents: dict[str, list[tuple[Bound, AllOf | AnyOf]]] = {}
        self._all_state: dict[str, dict[str, Alert]] = {}
        self._all_last: dict[str, float] = {}
        self._episodes: dict[str, int] = {}

    def add(self, child_key: str, bound: Bound, trigger: AllOf | AnyOf) -> None:
        """Register ``trigger`` as a parent of the trigger ``instrument/child``."""
        self._parents.setdefault(child_key, []).append((bound, trigger))

    def propagate(self, leaves: list[Alert]) -> list[Alert]:
        """Leaves in time order, each followed by the combinator alerts it completes."""
        out: list[Alert] = []
        for alert in sorted(leaves, key=lambda a: (a.fired_at, a.id)):
            out.append(alert)
            out += self.propagate(self._parents_fire(alert))
        return out

    def _parents_fire(self, child: Alert) -> list[Alert]:
        fired: list[Alert] = []
        now_s = child.fired_at.timestamp()
        for bound, trigger in self._parents.get(f"{child.instrument_id}/{child.trigger_id}", []):
            if not bound.active(now_s):
                continue
            if isinstance(trigger, AnyOf):
                fired.append(self._combined(bound, child.id, [child]))
                continue
            state = self._all_state.setdefault(bound.key, {})
            state[child.trigger_id] = child
            window_s = trigger.window_h * 3600.0
            recent = [state.get(c) for c in trigger.of]
            if any(a is None or now_s - a.fired_at.timestamp() > window_s for a in recent):
                continue
            last = self._all_last.get(bound.key)
            if last is not None and now_s - last < window_s:
                continue
            self._all_last[bound.key] = now_s
            episode = self._episodes[bound.key] = self._episodes.get(bound.key, 0) + 1
            fired.append(self._combined(bound, f"#{episode}", [a for a in recent if a]))
        return fired

    def _combined(self, bound: Bound, key: str, children: list[Alert]) -> Alert:
        last = max(children, key=lambda a: a.fired_at)
        return Alert(
            id=alert_id(bound.instrument.id, bound.trigger.id, key),
            instrument_id=bound.instrument.id,
            trigger_id=bound.trigger.id,
            kind=bound.trigger.kind,
            level=bound.trigger.level,
            fired_at=last.fired_at,
            key=key,
            clause=clause_of(bound.trigger),
            measures={"children": len(children)},
            fact_ids=tuple(dict.fromkeys(chain.from_iterable([a.fact_ids for a in children]))),
            report_ids=tuple(dict.fromkeys(chain.from_iterable([a.report_ids for a in children]))),
            child_alert_ids=tuple(a.id for a in children),
            sector=last.sector,
        )
