"""A small process supervisor for ``ceasefire up``: start a list of commands, restart one that
dies, stop them all on SIGINT or SIGTERM.

For a try-out on one machine, not production: there systemd (or the container platform)
supervises each worker on its own machine (docs/deploy.md). What to run is data
(``Spec``), so the launcher needs no change when a worker kind is added.

Children run in their own session, so a Ctrl-C in the terminal reaches the supervisor only,
and it stops them in an order it controls (one SIGTERM each, SIGKILL after
``STOP_GRACE_S``). On Linux each child also gets SIGTERM if the supervisor itself dies
(``PR_SET_PDEATHSIG``), so a killed ``up`` leaves no workers behind.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO

#: Seconds a child has to stop after SIGTERM before it is killed.
STOP_GRACE_S = 10.0
#: First pause before restarting a child that died; doubled at each death, up to the max.
RESTART_PAUSE_S = 1.0
RESTART_PAUSE_MAX_S = 30.0
#: A child that ran this long before dying is restarted after the first pause again.
HEALTHY_AFTER_S = 60.0
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True, slots=True)
class Spec:
    """One supervised process: a name for its output lines and its command line."""

    name: str
    argv: tuple[str, ...]


@dataclass
class _Child:
    spec: Spec
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    pause_s: float = RESTART_PAUSE_S
    restart_at: float | None = None
    restarts: int = 0


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the parent dies (Linux; elsewhere nothing)."""
    name = ctypes.util.find_library("c")
    if name is None or not sys.platform.startswith("linux"):
        return
    ctypes.CDLL(name, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _copy_lines(name: str, source: IO[bytes], out: IO[str], lock: threading.Lock) -> None:
    """Copy a child's output to ``out``, each line prefixed with the child's name."""
    for raw in iter(source.readline, b""):
        with lock:
            out.write(f"[{name}] {raw.decode('utf-8', errors='replace')}")
            out.flush()


@dataclass
class Supervisor:
    """Runs ``specs`` with ``env`` until ``stop`` is called (from a signal handler)."""

    specs: Sequence[Spec]
    env: Mapping[str, str]
    out: IO[str] = field(default_factory=lambda: sys.stdout)
    _children: list[_Child] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def say(self, text: str) -> None:
        with self._lock:
            self.out.write(f"[up] {text}\n")
            self.out.flush()

    def stop(self, *_: object) -> None:
        """Ask the run loop to stop every child and return (safe in a signal handler)."""
        self._stopping.set()

    def _start(self, child: _Child) -> None:
        process = subprocess.Popen(
            child.spec.argv,
            env=dict(self.env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads touch state in the child
        )
        assert process.stdout is not None
        threading.Thread(
            target=_copy_lines,
            args=(child.spec.name, process.stdout, self.out, self._lock),
            daemon=True,
        ).start()
        child.process, child.started_at, child.restart_at = process, time.monotonic(), None
        self.say(f"started {child.spec.name} (pid {process.pid})")

    def _watch(self, child: _Child, now: float) -> None:
        """Restart ``child`` if it died and its pause is over."""
        if child.restart_at is not None:
            if now >= child.restart_at:
                child.restarts += 1
                self._start(child)
            return
        process = child.process
        if process is None or process.poll() is None:
            return
        if now - child.started_at >= HEALTHY_AFTER_S:
            child.pause_s = RESTART_PAUSE_S
        self.say(
            f"{child.spec.name} exited with {process.returncode}; "
            f"restarting in {child.pause_s:.0f} s"
        )
        child.restart_at = now + child.pause_s
        child.pause_s = min(child.pause_s * 2, RESTART_PAUSE_MAX_S)

    def run(self, *, ready: Callable[[], None] | None = None, tick_s: float = 0.2) -> int:
        """Start every spec, supervise until ``stop``, stop them all; 0 if every child
        stopped on SIGTERM, 1 if one had to be killed."""
        self._children = [_Child(spec) for spec in self.specs]
        for child in self._children:
            self._start(child)
        if ready is not None:
            ready()
        while not self._stopping.wait(tick_s):
            now = time.monotonic()
            for child in self._children:
                self._watch(child, now)
        return self._stop_all()

    def _stop_all(self) -> int:
        """SIGTERM to every child (last started first), then wait; SIGKILL stragglers."""
        running = [c.process for c in reversed(self._children) if c.process is not None]
        for process in running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        status = 0
        deadline = time.monotonic() + STOP_GRACE_S
        for process in running:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                status = 1
        self.say("all stopped" if status == 0 else "stopped (some had to be killed)")
        return status


def stop_on_signals(supervisor: Supervisor) -> None:
    """SIGINT (Ctrl-C) and SIGTERM stop ``supervisor`` (call from the main thread)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, supervisor.stop)
