"""Copying the write-ahead log into the database file on a thread of its own, during ingests.

Why: in WAL mode the connection whose commit pushes the log past ``wal_autocheckpoint`` pages
copies the whole log into the database file (and syncs it) before the commit returns. For a
50,000-report chunk that is tens of megabytes, written a second time, on the ingest's critical
path: on 1,000,000 reports the writer spent about 15 s of its 77 s in commits (measured with
``bench/ingest.py``'s data, 2 cores). The writer connection therefore commits chunks with
automatic checkpoints off, and after each commit this class starts a ``PASSIVE`` checkpoint on
its own connection and thread, which copies the log while the writer builds the next chunk
(SQLite releases the GIL while it works).

Safety is SQLite's: a checkpoint only copies committed frames and never blocks or breaks a
writer or readers; a process killed in the middle leaves a log that the next connection
checkpoints. ``PASSIVE`` copies what it can without waiting, so the log may grow while
chunks keep coming; ``close`` waits for the thread and checkpoints the rest.
"""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import Future, ThreadPoolExecutor

#: SQLite's default ``wal_autocheckpoint`` (pages), restored on a connection after its chunk.
DEFAULT_AUTOCHECKPOINT_PAGES = 1000


class BackgroundCheckpointer:
    """At most one ``PASSIVE`` checkpoint at a time, on a thread and connection of its own."""

    def __init__(self, database: str) -> None:
        self._database = database
        self._pool: ThreadPoolExecutor | None = None
        self._running: Future[None] | None = None
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def kick(self) -> None:
        """Start a checkpoint unless one is still running (it will copy the new frames too,
        or the next kick will)."""
        with self._lock:
            if self._running is not None and not self._running.done():
                return
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="ceasefire-checkpoint")
            self._running = self._pool.submit(self._checkpoint)

    def _checkpoint(self) -> None:
        if self._connection is None:
            # made and used on the pool's one thread only
            self._connection = sqlite3.connect(
                self._database, isolation_level=None, check_same_thread=False
            )
            self._connection.execute("PRAGMA busy_timeout=10000")
        self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def close(self) -> None:
        """Wait for the running checkpoint, copy what is left, and release the thread.

        A checkpoint error is raised here: the data is committed either way, but a log that
        cannot be copied (disk full) must not pass silently.
        """
        with self._lock:
            running, pool = self._running, self._pool
            self._running, self._pool = None, None
        if pool is None:
            return
        try:
            if running is not None:
                running.result()
            pool.submit(self._checkpoint).result()
        finally:
            pool.submit(self._disconnect).result()
            pool.shutdown()

    def _disconnect(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
