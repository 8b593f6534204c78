"""Fetch workers take turns at the interpreter, so that a scrape never queues behind all of them.

When OVH answers fast, a refresh is CPU work (signing, ``requests``, decoding, parsing) spread over
``collect.concurrency`` threads, and every one of them is runnable most of the time. CPython hands the
GIL to one waiting thread at a time, each after a switch interval, so a thread that wants it (the HTTP
server's, answering a scrape, at every system call it makes) waits behind the whole queue. That Python
work runs one thread at a time under the GIL whatever we do; the length of the queue is ours to choose.

So a worker runs its Python under a turn (one lock, process-wide, like the GIL it stands in front of)
and gives the turn up whenever it may wait for something outside the process: connecting, an answer's
head or bytes that have not arrived, a pause before a retry or for the call rate, a lock another worker
holds across a call. Workers waiting for the turn sleep on the lock, out of the GIL's queue; the calls
in flight still overlap.

A wait that was not marked must not stall the others: a worker waits at most ``PATIENCE`` for the turn,
then runs without it, as every thread did before. It asks again at its next mark, but without waiting
while the turn has not changed hands since it gave up: a holder stuck in an unmarked wait costs each
other worker one ``PATIENCE``, not one per call.
"""

from __future__ import annotations

import threading
from types import TracebackType

# How long a worker waits for the turn before it runs anyway: far longer than a turn normally lasts
# (one answer's decoding and parsing), short enough that an unmarked wait costs the others little.
PATIENCE = 0.1


class Turns:
    """The lock and, per thread, where the thread stands: inside a turn, holding it, waiting away."""

    def __init__(self, patience: float = PATIENCE) -> None:
        self.patience = patience
        self._lock = threading.Lock()
        self._local = threading.local()
        self._handoffs = 0  # times the turn was given up; read without the lock (a hint, not a count)

    def turn(self) -> _Turn:
        """A worker's whole task: the turn is held within it, except while :meth:`away`."""
        return _Turn(self)

    def away(self) -> _Away:
        """A wait: the turn is given up for its length and asked for again after. Outside a turn (the
        scheduling thread, ``collect --once``'s discovery, tests) it changes nothing; within another
        ``away``, nothing either (the outer one gives and takes)."""
        return _Away(self)

    def locked(self, lock: threading.Lock) -> _Locked:
        """``with lock``, for a lock its holder may keep across a call: waited for away from the turn."""
        return _Locked(self, lock)

    @property
    def holding(self) -> bool:
        """This thread holds the turn now."""
        return bool(getattr(self._local, "held", False))

    def _state(self, name: str) -> int:
        return int(getattr(self._local, name, 0))

    def _take(self) -> None:
        local = self._local
        if self._handoffs == getattr(local, "gave_up_at", None):
            local.held = self._lock.acquire(blocking=False)  # still the holder that made us give up
        else:
            local.held = self._lock.acquire(timeout=self.patience)
        local.gave_up_at = None if local.held else self._handoffs

    def _give(self) -> None:
        if self.holding:
            self._local.held = False
            self._handoffs += 1
            self._lock.release()


# Classes rather than generator context managers: those set ``__traceback__`` on the exception passing
# through, which the frozen dataclass exceptions of ``otel_ovh.ovh.errors`` refuse.
class _Turn:
    def __init__(self, turns: Turns) -> None:
        self._turns = turns

    def __enter__(self) -> None:
        turns = self._turns
        turns._local.inside = turns._state("inside") + 1
        if turns._local.inside == 1:  # a turn within a turn is the outer one's
            turns._take()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        turns = self._turns
        turns._local.inside -= 1
        if turns._local.inside == 0:
            turns._give()
            turns._local.gave_up_at = None


class _Away:
    def __init__(self, turns: Turns) -> None:
        self._turns = turns

    def __enter__(self) -> None:
        turns = self._turns
        turns._local.away = turns._state("away") + 1
        if turns._local.away == 1:
            turns._give()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        turns = self._turns
        turns._local.away -= 1
        if turns._local.away == 0 and turns._state("inside"):
            turns._take()


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
