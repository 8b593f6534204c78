"""Fetch workers take turns (``otel_ovh.ovh.turns``): one runs at a time, a wait gives the turn up, an
unmarked wait costs each other worker ``patience`` once, and a failure passing through leaves no turn held.

Threads signal where they are with events, not sleeps, so that a loaded machine changes no outcome."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from otel_ovh.ovh.errors import ApiError
from otel_ovh.ovh.turns import Turns

Log = list[tuple[str, float, bool]]  # (event, when, whether the thread held the turn)


def _in_turn(
    turns: Turns, work: Callable[[], None], name: str, log: Log, *, wait_inside: bool = True
) -> threading.Thread:
    """A worker running ``work`` in its turn; started, and waited for until it is inside unless
    ``wait_inside`` is False (a worker that may have to wait for its turn)."""
    inside = threading.Event()

    def run() -> None:
        with turns.turn():
            log.append((f"{name} in", time.monotonic(), turns.holding))
            inside.set()
            work()
            log.append((f"{name} out", time.monotonic(), turns.holding))

    thread = threading.Thread(target=run)
    thread.start()
    if wait_inside:
        assert inside.wait(10)
    return thread


def _events(log: Log) -> dict[str, tuple[float, bool]]:
    return {name: (at, held) for name, at, held in log}


def test_a_worker_waits_for_the_one_whose_turn_it_is() -> None:
    turns, log, done = Turns(patience=10.0), Log(), threading.Event()
    first = _in_turn(turns, lambda: done.wait(10), "a", log)  # CPU work, as far as turns can tell
    second = _in_turn(turns, lambda: None, "b", log, wait_inside=False)
    time.sleep(0.2)
    assert second.is_alive()  # still waiting for the turn
    done.set()
    first.join(), second.join()
    seen = _events(log)
    assert seen["b in"][0] >= seen["a out"][0]
    assert seen["a in"][1] and seen["b in"][1]


def test_a_wait_gives_the_turn_up_and_asks_for_it_again_after() -> None:
    turns, log = Turns(patience=10.0), Log()
    waiting, back = threading.Event(), threading.Event()

    def waits() -> None:
        with turns.away():
            log.append(("a away", time.monotonic(), turns.holding))
            waiting.set()
            back.wait(10)
        log.append(("a back", time.monotonic(), turns.holding))

    first = _in_turn(turns, waits, "a", log)
    assert waiting.wait(10)
    release = threading.Event()
    second = _in_turn(turns, lambda: release.wait(10), "b", log)  # gets the turn during a's wait
    back.set()
    time.sleep(0.2)
    assert first.is_alive()  # a's wait is over; its turn is b's until b ends
    release.set()
    first.join(), second.join()
    seen = _events(log)
    assert seen["b in"][1] and not seen["a away"][1]
    assert seen["a back"][0] >= seen["b out"][0] and seen["a back"][1]


def test_a_wait_nobody_marked_costs_each_other_worker_the_patience_once() -> None:
    turns, log, done = Turns(patience=0.2), Log(), threading.Event()
    first = _in_turn(turns, lambda: done.wait(10), "a", log)  # blocks, unmarked
    costs: list[float] = []

    def marks() -> None:
        for _ in range(5):  # five calls' waits: none of them waits for the stuck turn again
            started = time.monotonic()
            with turns.away():
                pass
            costs.append(time.monotonic() - started)
        assert not turns.holding

    second = _in_turn(turns, marks, "b", log, wait_inside=False)
    second.join(10)
    done.set()
    first.join()
    seen = _events(log)
    assert not seen["b in"][1]  # ran without the turn, after the patience
    assert sum(costs) < 0.2, costs


def test_a_worker_that_ran_without_the_turn_waits_for_it_again_once_it_changes_hands() -> None:
    turns = Turns(patience=0.2)
    release, ran_without = threading.Event(), threading.Event()
    held_after: list[bool] = []

    def hog() -> None:
        with turns.turn():
            release.wait(10)  # unmarked; ends once the worker has run without the turn

    def worker() -> None:
        with turns.turn():
            ran_without.set()
            release.wait(10)
            time.sleep(0.05)  # the hog's turn ends: the turn changes hands
            with turns.away():
                pass
            held_after.append(turns.holding)

    hogging = threading.Thread(target=hog)
    hogging.start()
    time.sleep(0.05)
    working = threading.Thread(target=worker)
    working.start()
    assert ran_without.wait(10)
    assert not turns.holding
    release.set()
    working.join(10), hogging.join(10)
    assert held_after == [True]


def test_outside_a_turn_nothing_is_taken_and_a_nested_one_is_the_outer_ones() -> None:
    turns = Turns()
    with turns.away():
        assert not turns.holding
    assert not turns.holding
    with turns.turn():
        with turns.turn():
            assert turns.holding
        assert turns.holding
    assert not turns.holding


def test_a_wait_within_a_wait_takes_the_turn_back_only_at_the_outer_end() -> None:
    turns = Turns(patience=10.0)
    seen: list[bool] = []
    with turns.turn(), turns.away():
        with turns.away():
            pass
        seen.append(turns.holding)
    assert seen == [False]


def test_a_failure_passing_through_leaves_no_turn_held() -> None:
    turns = Turns(patience=0.5)
    error = ApiError("/cloud/project", 503, "down")  # a frozen dataclass: its traceback cannot be set
    with pytest.raises(ApiError) as caught, turns.turn(), turns.away():
        raise error
    assert caught.value is error
    assert not turns.holding
    started = time.monotonic()
    with turns.turn():
        assert turns.holding
    assert time.monotonic() - started < 0.1


def test_a_lock_held_across_a_call_is_waited_for_away_from_the_turn() -> None:
    turns, log = Turns(patience=10.0), Log()
    lock = threading.Lock()
    lock.acquire()  # a worker syncing the clock with OVH, say
    locked = threading.Event()

    def wants_the_lock() -> None:
        with turns.locked(lock):
            log.append(("locked", time.monotonic(), turns.holding))
            locked.set()

    waiter = _in_turn(turns, wants_the_lock, "a", log)
    time.sleep(0.1)
    other = _in_turn(turns, lambda: None, "b", log, wait_inside=False)
    other.join(timeout=5)
    assert not other.is_alive()  # the waiter gave its turn up while it waited
    lock.release()
    assert locked.wait(10)
    waiter.join()
    seen = _events(log)
    assert seen["b in"][1] and seen["locked"][1]
