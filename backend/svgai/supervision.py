"""Calls into plugins under supervision: bounded worker threads, time limits and circuit breakers.

Every call the router makes into a plugin runs in a worker thread of that plugin's :class:`Lane`, so
that a call which does not return in time can be abandoned. A lane holds at most
``CONCURRENT_CALLS`` calls at once (concurrent routes share it); a call that hangs keeps its slot
until it returns, so a hung plugin costs at most that many threads, never one per call. A call waits
for a free slot within its own time limit (concurrent routes take turns) and is refused
(:class:`Busy`) when none frees up in time; a background refresh is refused at once.

Worker threads are daemon threads: an abandoned call must not keep the process alive at exit (the
worker threads of ``concurrent.futures`` executors are joined at exit, so one hung plugin call would
block the interpreter from exiting).

A :class:`Breaker` per plugin opens after ``FAILURES_TO_OPEN`` consecutive failed calls (an error,
a time-out, a refused call, an invalid answer) and then refuses calls for ``COOL_DOWN_S`` seconds;
after that calls go through again: the next success closes it, the next failure opens it at once.

The lanes, breakers and the cached performance info of one plugin manager live in one
:class:`Supervision` (``supervision_of(manager)``), shared by every router over that manager.
"""

from __future__ import annotations

import queue
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import pluggy

from svgai.errors import PluginError
from svgai.hookspecs import PerformanceInfo
from svgai.log import get_logger

log = get_logger("plugins")

CONCURRENT_CALLS = 4
"""Calls one plugin may have running at once (threads it may hold), hung ones included."""
FAILURES_TO_OPEN = 3
"""Consecutive failed calls after which a plugin's breaker opens."""
COOL_DOWN_S = 30.0
"""How long an open breaker refuses calls before it lets one through again."""


class TimedOut(Exception):
    """A plugin call did not return within the time it was given (it is abandoned, not stopped)."""


class Busy(TimedOut):
    """Every worker slot of the plugin is taken by calls that are still running (hung, or a busy server)."""


class Lane:
    """One plugin's worker threads: at most ``CONCURRENT_CALLS`` running calls.

    A worker that finishes a call waits for the next one, so routing does not start a thread per
    call; a worker whose call hangs keeps its slot, and a new one is started only when no worker is
    idle, so the lane never holds more than ``CONCURRENT_CALLS`` threads.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._slots = threading.BoundedSemaphore(CONCURRENT_CALLS)
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0

    def submit(self, fn: Callable[[], Any], wait_s: float = 0.0) -> Future[Any]:
        """Run ``fn`` in a worker thread once a slot is free; ``Busy`` if none frees up within ``wait_s``."""
        if not self._slots.acquire(timeout=max(wait_s, 0.0)):
            raise Busy(f"refused: its {CONCURRENT_CALLS} earlier calls are still running")
        future: Future[Any] = Future()
        future.set_running_or_notify_cancel()

        def run() -> None:
            try:
                result, error = fn(), None
            except BaseException as e:  # a plugin's panic or SystemExit is still just a failed call
                result, error = None, e if isinstance(e, Exception) else PluginError(f"{type(e).__name__}: {e}")
            with self._lock:  # this worker takes the next call
                self._idle += 1
            self._slots.release()  # before the result is seen: the caller may call again at once
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)

        with self._lock:
            idle = self._idle > 0
            self._idle -= idle
        if idle:
            self._jobs.put(run)
        else:
            threading.Thread(target=self._work, args=(run,), daemon=True, name=f"svgai-plugin-{self.name}").start()
        return future

    def _work(self, job: Callable[[], None]) -> None:
        while True:
            job()
            job = self._jobs.get()

    def call(self, fn: Callable[[], Any], timeout_s: float) -> Any:
        """``fn()`` in a worker thread: its result or its error, or ``TimedOut`` (``Busy``) after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        future = self.submit(fn, timeout_s)
        try:
            return future.result(timeout=max(deadline - time.monotonic(), 0.0))
        except FutureTimeout:
            raise TimedOut(f"timed out after {timeout_s * 1e3:.0f} ms") from None


class Breaker:
    """Counts one plugin's consecutive failures and refuses calls for a while after too many."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._failures = 0
        self._open_until = 0.0

    def open_reason(self) -> str | None:
        """Why calls are refused now, or ``None`` when the breaker lets calls through."""
        with self._lock:
            left = self._open_until - time.monotonic()
            if left <= 0:
                return None
            return f"{self._failures} consecutive failures; retried in {left:.0f} s"

    def record(self, ok: bool) -> None:
        """Count one call's outcome; the ``FAILURES_TO_OPEN``-th failure in a row opens the breaker."""
        with self._lock:
            if ok:
                self._failures = 0
                return
            self._failures += 1
            if self._failures >= FAILURES_TO_OPEN:
                self._open_until = time.monotonic() + COOL_DOWN_S
                log.warning("circuit_open", plugin=self.name, failures=self._failures, cool_down_s=COOL_DOWN_S)


class Supervision:
    """The lanes, breakers and cached performance info of the plugins of one manager."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lanes: dict[str, Lane] = {}
        self._breakers: dict[str, Breaker] = {}
        self._performance: dict[str, tuple[float, PerformanceInfo]] = {}

    def lane(self, name: str) -> Lane:
        """Plugin ``name``'s lane (created on first use)."""
        with self._lock:
            return self._lanes.setdefault(name, Lane(name))

    def breaker(self, name: str) -> Breaker:
        """Plugin ``name``'s breaker (created on first use)."""
        with self._lock:
            return self._breakers.setdefault(name, Breaker(name))

    def remember(self, name: str, info: PerformanceInfo) -> None:
        """Cache ``name``'s performance info as of now."""
        with self._lock:
            self._performance[name] = (time.monotonic(), info)

    def remembered(self, name: str) -> tuple[float, PerformanceInfo] | None:
        """``(age in seconds, info)`` of ``name``'s cached performance info, or ``None``."""
        with self._lock:
            found = self._performance.get(name)
        return None if found is None else (time.monotonic() - found[0], found[1])


_supervisions: weakref.WeakKeyDictionary[pluggy.PluginManager, Supervision] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def supervision_of(manager: pluggy.PluginManager) -> Supervision:
    """The one :class:`Supervision` of ``manager`` (it lives as long as the manager)."""
    with _registry_lock:
        found = _supervisions.get(manager)
        if found is None:
            found = _supervisions[manager] = Supervision()
        return found
