"""The fair-use ceiling on OVH calls: one pacer for the process, its slots shared by every worker.

OVH rate-limits an application key; a 429 names a pause (``Retry-After``) that every call must honour,
not only the one that got it, so the pacer is shared and carried across reloads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


def _spacing(calls_per_second: float) -> float:
    """10% wider than 1/rate: calls leave exactly spaced, but reach OVH with some jitter (threads waiting
    for the interpreter lock on a busy machine, the network), and exact spacing would then show rate+1
    calls in some second at OVH's end; five gaps of a ceiling of 5 leave 100 ms of it."""
    return 1.10 / calls_per_second if calls_per_second > 0 else 0.0


class CallPacer:
    """Spaces calls so that the whole process stays under a ceiling, and pauses everyone after a 429.

    A burst of 429s must never make us call faster: the pause OVH asks for (``Retry-After``) applies to
    every thread, not only to the one that was told.
    """

    def __init__(
        self,
        calls_per_second: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = _spacing(calls_per_second)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = 0.0
        self._paused_until = 0.0

    def set_rate(self, calls_per_second: float) -> None:
        """A reload's ceiling, for this pacer: its next slot and any pause OVH asked for stay."""
        with self._lock:
            self._interval = _spacing(calls_per_second)

    def wait_slot(self) -> None:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot, self._paused_until)
            self._next_slot = slot + self._interval
        delay = slot - now
        if delay > 0:
            self._sleep(delay)
            with self._lock:  # woken late (a busy machine): the calls after this one keep their distance
                self._next_slot = max(self._next_slot, self._clock() + self._interval)

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)
