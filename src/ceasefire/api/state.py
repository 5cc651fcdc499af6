"""What the app keeps per process: settings, the store, caches, and the single-writer lock."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ceasefire.access.model import User, Viewer
from ceasefire.access.releasability import Pairs, signature_mask, viewer_for
from ceasefire.clock import Clock
from ceasefire.settings import Settings
from ceasefire.store.base import Store
from ceasefire.store.ports import ReportFilter
from ceasefire.store.stores import Stores

if TYPE_CHECKING:
    from ceasefire.api.live_bus import LiveWake
    from ceasefire.bus.intake import BusPublisher
    from ceasefire.pipeline.agreements import AgreementBook
    from ceasefire.reports.gazetteer import Gazetteer


#: Live streams one user may hold open at once, per server process (a few tabs).
MAX_STREAMS_PER_USER = 4
#: Distinct (viewer, labels) conditions kept; beyond, the cache starts again.
_VISIBLE_CACHE_MAX = 256


@dataclass(frozen=True)
class SignatureMasks:
    """One reader's releasability on every known release signature (``store.read_model``)."""

    #: signature pk → the reader's mask, for signatures seen through a tearline
    partial: dict[int, int]
    #: signatures the reader sees at least one report of (whole or partial), sorted
    visible: tuple[int, ...]
    #: signatures all of whose kinds the reader sees, sorted
    whole: tuple[int, ...]
    #: how many signatures these masks know (more stored: some are newer)
    known_count: int


def signature_masks(signatures: dict[int, Pairs], viewer: Viewer) -> SignatureMasks:
    """``viewer``'s masks on ``signatures`` (pk → pairs)."""
    partial: dict[int, int] = {}
    visible: list[int] = []
    for pk, pairs in signatures.items():
        mask = signature_mask(pairs, viewer)
        if mask:
            visible.append(pk)
            if mask != (1 << len(pairs)) - 1:
                partial[pk] = mask
    whole = tuple(sorted(pk for pk in visible if pk not in partial))
    return SignatureMasks(partial, tuple(sorted(visible)), whole, len(signatures))


@dataclass
class StreamSlots:
    """Live streams open per user in this process, at most ``cap`` each (``routes_stream``)."""

    cap: int
    _open: dict[int, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, user_pk: int) -> bool:
        """One more stream for the user, if under the cap."""
        with self._lock:
            if self._open.get(user_pk, 0) >= self.cap:
                return False
            self._open[user_pk] = self._open.get(user_pk, 0) + 1
            return True

    def give_back(self, user_pk: int) -> None:
        """A stream of the user ended."""
        with self._lock:
            left = self._open.get(user_pk, 0) - 1
            if left > 0:
                self._open[user_pk] = left
            else:
                self._open.pop(user_pk, None)


@dataclass
class HQState:
    """Per-process state of the HQ app (one per ``create_app``)."""

    settings: Settings
    #: the database's ports per subject (no engine: issue 14)
    stores: Stores
    clock: Clock
    #: SQLite has one writer: ingests and analyst actions from many requests queue here.
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    #: intake on the bus (``settings.bus``): submissions are published, not ingested here
    publisher: BusPublisher | None = None
    #: live streams open per user (``routes_stream``)
    streams: StreamSlots = field(default_factory=lambda: StreamSlots(cap=MAX_STREAMS_PER_USER))
    #: with a bus: what wakes the live streams (``api/live_bus.py``); ``None``: they poll
    wake: LiveWake | None = None
    _groups: dict[str, frozenset[str]] | None = None
    _labels: tuple[int, list[str]] | None = None
    _book: AgreementBook | None = None
    _book_key: tuple[int, ...] = ()
    _book_lock: threading.Lock = field(default_factory=threading.Lock)
    _gazetteer: Gazetteer | None = None
    _visible: dict[tuple[Viewer, tuple[str, ...]], ReportFilter] = field(default_factory=dict)
    _signatures: dict[int, Pairs] = field(default_factory=dict)
    _signatures_read_s: int = -1
    _masks: dict[Viewer, tuple[int, SignatureMasks]] = field(default_factory=dict)

    @property
    def store(self) -> Store:
        """The ingest's port (reports, chunks, agreement versions)."""
        return self.stores.store

    def groups(self) -> dict[str, frozenset[str]]:
        """Release groups (stored ones; the shipped table on first use)."""
        if self._groups is None:
            self._groups = self.stores.access.release_groups()
        return self._groups

    def viewer(self, user: User) -> Viewer:
        """The releasability filter of ``user``."""
        return viewer_for(user, self.groups())

    def labels(self, *, fresh: bool = False) -> list[str]:
        """Stored releasability labels, re-read at most once a second unless ``fresh`` (new
        ones arrive with ingests, possibly from another process; the live stream asks
        ``fresh``: what it judges with a stale list it never sends again)."""
        now = int(self.clock.now().timestamp())
        if fresh or self._labels is None or self._labels[0] != now:
            self._labels = (now, self.stores.access.labels())
        return self._labels[1]

    def visible(self, user: User) -> ReportFilter:
        """The SQL condition on reports for what ``user`` may see (built once per viewer and
        set of stored labels: every request of a user reuses it)."""
        return self.visible_to(self.viewer(user))

    def visible_to(self, viewer: Viewer) -> ReportFilter:
        """The SQL condition on reports for what ``viewer`` may see (cached like ``visible``)."""
        key = (viewer, tuple(self.labels()))
        clause = self._visible.get(key)
        if clause is None:
            if len(self._visible) >= _VISIBLE_CACHE_MAX:
                self._visible.clear()
            clause = self._visible[key] = self.stores.read_model.visible_filter(*key)
        return clause

    def signatures(self, *, fresh: bool = False) -> dict[int, Pairs]:
        """Stored release signatures, new ones read at most once a second unless ``fresh``
        (they are only ever added, by any process that writes incidents; a page that meets a
        signature newer than these asks again with ``fresh``)."""
        now = int(self.clock.now().timestamp())
        if fresh or self._signatures_read_s != now:
            self._signatures_read_s = now
            self._signatures.update(self.stores.read_model.new_signatures(self._signatures.keys()))
        return self._signatures

    def masks(self, user: User, *, fresh: bool = False) -> SignatureMasks:
        """``user``'s masks on every stored signature (kept per viewer until a signature is
        added; a change of release groups makes another viewer, so other masks)."""
        signatures = self.signatures(fresh=fresh)
        viewer = self.viewer(user)
        cached = self._masks.get(viewer)
        if cached is None or cached[0] != len(signatures):
            if len(self._masks) >= _VISIBLE_CACHE_MAX:
                self._masks.clear()
            cached = self._masks[viewer] = (len(signatures), signature_masks(signatures, viewer))
        return cached[1]

    def book(self) -> AgreementBook:
        """The stored agreement versions, compiled, rebuilt when a version is added.

        The check per call reads only the versions' pks (not their YAML and GeoJSON text);
        the lock makes concurrent first requests wait for one compile instead of each
        compiling the geography.
        """
        from ceasefire.pipeline.agreements import AgreementBook  # noqa: PLC0415 - heavy

        key = self.stores.read_model.agreement_version_pks()
        if self._book is not None and key == self._book_key:
            return self._book
        with self._book_lock:
            if self._book is None or key != self._book_key:
                self._book = AgreementBook.from_store(self.store)
                self._book_key = key
            return self._book

    def gazetteer(self) -> Gazetteer:
        """The bundled gazetteer, loaded on the first report that names a place."""
        from ceasefire.reports.gazetteer import Gazetteer  # noqa: PLC0415 - heavy

        if self._gazetteer is None:
            self._gazetteer = Gazetteer.default()
        return self._gazetteer
