"""Fetch workers take turns at the interpreter, so that a scrape never queues behind all of them.

When OVH answers fast, a refresh is CPU work (signing, ``requests``, decoding, parsing) spread over
``collect.concurrency`` threads, and every one of them is runnable most of the time. CPython hands the
GIL to one waiting thread at a time, each after a switch interval, so a thread that wants it (the HTTP
server's, answering a scrape, at every system call it makes) waits behind the whole queue. The work is
serial anyway, under the GIL; only the length of that queue is ours to choose.

So a worker runs its Python under a turn (one lock, process-wide, like the GIL it stands in front of)
and gives the turn up whenever it waits for something outside the process: connecting, an answer's
bytes, a pause before a retry or for the call rate, a lock another worker holds across a call. Workers
waiting for the turn sleep on the lock, out of the GIL's queue; the calls in flight still overlap.

A wait that was not marked must not stall the others: they wait at most ``PATIENCE`` for the turn,
then run without it (as every thread did before) until their next wait, when they ask again.
"""

from __future__ import annotations

import threading
from types import TracebackType

# How long a worker waits for the turn before it runs anyway: far longer than a turn normally lasts
# (one answer's decoding and parsing), short enough that an unmarked wait costs the others little.
PATIENCE = 0.1


class Turns:
    """The lock and, per thread, whether the thread is inside a turn and whether it holds it now."""

    def __init__(self, patience: float = PATIENCE) -> None:
        self.patience = patience
        self._lock = threading.Lock()
        self._local = threading.local()

    def turn(self) -> _Turn:
        """A worker's whole task: the turn is held within it, except while :meth:`away`."""
        return _Turn(self)

    def away(self) -> _Away:
        """A wait: the turn is given up for its length and asked for again after. Outside a turn (the
        scheduling thread, ``collect --once``'s discovery, tests), it changes nothing."""
        return _Away(self)

    def locked(self, lock: threading.Lock) -> _Locked:
        """``with lock``, for a lock its holder may keep across a call: waited for away from the turn."""
        return _Locked(self, lock)

    @property
    def holding(self) -> bool:
        """This thread holds the turn now."""
        return bool(getattr(self._local, "held", False))

    @property
    def _inside(self) -> bool:
        return bool(getattr(self._local, "inside", False))

    def _take(self) -> None:
        self._local.held = self._lock.acquire(timeout=self.patience)

    def _give(self) -> None:
        if self.holding:
            self._local.held = False
            self._lock.release()


# Classes rather than generator context managers: those set ``__traceback__`` on the exception passing
# through, which the frozen dataclass exceptions of ``otel_ovh.ovh_api.errors`` refuse.
class _Turn:
    def __init__(self, turns: Turns) -> None:
        self._turns = turns
        self._outer = False

    def __enter__(self) -> None:
        self._outer = self._turns._inside
        if not self._outer:  # nested: already inside the outer turn
            self._turns._local.inside = True
            self._turns._take()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if not self._outer:
            self._turns._local.inside = False
            self._turns._give()


class _Away:
    def __init__(self, turns: Turns) -> None:
        self._turns = turns

    def __enter__(self) -> None:
        self._turns._give()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._turns._inside:
            self._turns._take()


class _Locked:
    def __init__(self, turns: Turns, lock: threading.Lock) -> None:
        self._turns = turns
        self._lock = lock

    def __enter__(self) -> None:
        if self._lock.acquire(blocking=False):
            return
        with _Away(self._turns):
            self._lock.acquire()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._lock.release()


TURNS = Turns()  # process-wide, as the GIL is
