"""Our long-lived threads, kept running: one that dies is restarted, and ``/healthz`` says so meanwhile.

A thread that ends on an exception ends silently in Python: the refresher would stop refreshing (data
going stale behind a healthy probe), the self metrics would stop being rendered. Each loop runs here in
a thread of its own; a watchdog sees it gone, logs why (the traceback once, one line on later deaths),
and starts it again after a backoff that doubles up to ``MAX_BACKOFF``. Threads that are not ours to
restart (the SDK's periodic OTLP readers) are only watched, so that the probe tells of them too.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

FIRST_BACKOFF = 1.0  # seconds before the first restart; doubled for each death in a row
MAX_BACKOFF = 60.0  # and at most this; a loop alive this long since its start counts as recovered
WATCH_EVERY = 0.2  # seconds between the watchdog's looks


@dataclass
class _Task:
    name: str
    work: Callable[[], None]  # runs until the owner's stop; returning earlier counts as a death
    thread: threading.Thread | None = None
    started: float = 0.0
    deaths: int = 0  # in a row
    restart_at: float | None = None  # set while the loop is down
    reason: str = ""
    logged_traceback: bool = False
    error: BaseException | None = field(default=None, repr=False)


class Supervisor:
    """Starts, watches and restarts named loops; :meth:`health` is the liveness probe's answer."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tasks: dict[str, _Task] = {}
        self._watched: dict[str, Callable[[], str | None]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._watchdog: threading.Thread | None = None

    def start(self, name: str, work: Callable[[], None]) -> None:
        """Run ``work`` in a thread named ``otel-ovh-<name>``, restarted whenever it ends before stop."""
        task = _Task(name, work)
        with self._lock:
            self._tasks[name] = task
            self._launch(task)
        if self._watchdog is None:
            self._watchdog = threading.Thread(target=self._watch, name="otel-ovh-supervisor", daemon=True)
            self._watchdog.start()

    def retire(self, name: str) -> None:
        """Stop looking after ``name``: its owner is ending it for good (a reload replaces it)."""
        with self._lock:
            self._tasks.pop(name, None)

    def watch(self, name: str, trouble: Callable[[], str | None]) -> None:
        """Report ``trouble()`` (None when fine, else why not) in :meth:`health`; nothing is restarted."""
        self._watched[name] = trouble

    def health(self) -> str | None:
        """None when every loop runs; else one line saying which does not, and why."""
        if self._watchdog is not None and not self._watchdog.is_alive() and not self._stop.is_set():
            return "the supervisor thread died; nothing restarts a loop that ends"
        now = self._clock()
        with self._lock:
            for task in self._tasks.values():
                if task.restart_at is not None:
                    wait = max(0.0, task.restart_at - now)
                    return f"{task.name} thread died ({task.reason}); restarting in {wait:.0f}s"
        for name, trouble in list(self._watched.items()):
            try:
                problem = trouble()
            except Exception as exc:  # a probe must answer whatever a check does
                problem = f"cannot tell ({type(exc).__name__})"
            if problem:
                return f"{name}: {problem}"
        return None

    def stop(self) -> None:
        """Stop restarting (first: a loop told to stop by its owner then ends for good)."""
        self._stop.set()

    def join(self, *names: str, timeout: float = 1.0) -> None:
        """Wait, up to ``timeout`` in all, for the loops named (all when none is) that their owners told
        to stop."""
        deadline = self._clock() + timeout
        for task in list(self._tasks.values()):
            if task.thread is not None and (not names or task.name in names):
                task.thread.join(max(0.0, deadline - self._clock()))

    # -- the watchdog ------------------------------------------------------------------------------

    def _launch(self, task: _Task) -> None:
        task.started, task.restart_at, task.error = self._clock(), None, None
        task.thread = threading.Thread(
            target=self._run, args=(task,), name=f"otel-ovh-{task.name}", daemon=True
        )
        task.thread.start()

    def _run(self, task: _Task) -> None:
        try:
            task.work()
        except BaseException as exc:  # whatever ended the loop, the watchdog reports it
            task.error = exc

    def _watch(self) -> None:
        while not self._stop.wait(WATCH_EVERY):
            now = self._clock()
            with self._lock:
                for task in self._tasks.values():
                    self._look_after(task, now)

    def _look_after(self, task: _Task, now: float) -> None:
        if task.restart_at is not None:
            if now >= task.restart_at and not self._stop.is_set():
                self._launch(task)
                log.info("%s thread restarted", task.name)
            return
        if task.thread is None or task.thread.is_alive() or self._stop.is_set():
            return
        if now - task.started >= MAX_BACKOFF:
            task.deaths = 0  # it ran long enough: this death starts a new series
        task.deaths += 1
        backoff = min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (task.deaths - 1))
        task.restart_at = now + backoff
        error = task.error
        reason = f"{type(error).__name__}: {error}" if error is not None else "it returned"
        task.reason = reason.splitlines()[0][:200]
        if error is not None and not task.logged_traceback:
            task.logged_traceback = True
            log.error("%s thread died; restarting in %.0fs", task.name, backoff, exc_info=error)
        else:
            log.error("%s thread died again (%s); restarting in %.0fs", task.name, task.reason, backoff)
