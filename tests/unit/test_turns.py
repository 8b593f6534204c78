"""Fetch workers take turns (``otel_ovh.ovh_api.turns``): one runs at a time, a wait gives the turn up, an
unmarked wait costs the others ``patience`` at most, and a failure passing through leaves no turn held."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from otel_ovh.ovh_api.errors import ApiError
from otel_ovh.ovh_api.turns import Turns

Log = list[tuple[str, float, bool]]  # (event, when, whether the thread held the turn)


def _in_turn(turns: Turns, work: Callable[[], None], name: str, log: Log) -> threading.Thread:
    def run() -> None:
        with turns.turn():
            log.append((f"{name} in", time.monotonic(), turns.holding))
            work()
            log.append((f"{name} out", time.monotonic(), turns.holding))

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _events(log: Log) -> dict[str, tuple[float, bool]]:
    return {name: (at, held) for name, at, held in log}


def test_a_worker_waits_for_the_one_whose_turn_it_is() -> None:
    turns, log = Turns(patience=5.0), Log()
    first = _in_turn(turns, lambda: time.sleep(0.3), "a", log)  # CPU work, as far as turns can tell
    time.sleep(0.05)
    second = _in_turn(turns, lambda: None, "b", log)
    first.join(), second.join()
    seen = _events(log)
    assert seen["b in"][0] >= seen["a out"][0]
    assert seen["a in"][1] and seen["b in"][1]


def test_a_wait_gives_the_turn_up_and_asks_for_it_again_after() -> None:
    turns, log = Turns(patience=5.0), Log()

    def waits() -> None:
        with turns.away():
            log.append(("a away", time.monotonic(), turns.holding))
            time.sleep(0.4)
        log.append(("a back", time.monotonic(), turns.holding))

    first = _in_turn(turns, waits, "a", log)
    time.sleep(0.1)
    second = _in_turn(turns, lambda: time.sleep(0.2), "b", log)
    first.join(), second.join()
    seen = _events(log)
    assert seen["b in"][0] - seen["a away"][0] < 0.2  # not after a's wait: during it
    assert seen["b in"][1] and not seen["a away"][1]
    assert seen["a back"][0] >= seen["b out"][0] and seen["a back"][1]  # b's turn ran to its end first


def test_a_wait_nobody_marked_costs_the_others_the_patience_only() -> None:
    turns, log = Turns(patience=0.1), Log()
    first = _in_turn(turns, lambda: time.sleep(1.0), "a", log)  # blocks, unmarked
    time.sleep(0.05)
    second = _in_turn(turns, lambda: None, "b", log)
    second.join()
    seen = _events(log)
    assert 0.05 < seen["b in"][0] - seen["a in"][0] < 0.5
    assert not seen["b in"][1]  # ran without the turn
    first.join()


def test_a_worker_that_ran_without_the_turn_asks_again_at_its_next_wait() -> None:
    turns = Turns(patience=0.1)
    release = threading.Event()
    held_after: list[bool] = []

    def hog() -> None:
        with turns.turn():
            release.wait(5)  # unmarked

    def worker() -> None:
        with turns.turn():
            assert not turns.holding
            release.set()  # the hog's turn ends
            with turns.away():
                time.sleep(0.05)
            held_after.append(turns.holding)

    hogging = threading.Thread(target=hog)
    hogging.start()
    time.sleep(0.05)
    working = threading.Thread(target=worker)
    working.start()
    working.join(), hogging.join()
    assert held_after == [True]


def test_outside_a_turn_nothing_is_taken() -> None:
    turns = Turns()
    with turns.away():
        assert not turns.holding
    assert not turns.holding
    with turns.turn():
        with turns.turn():  # nested: the outer turn's
            assert turns.holding
        assert turns.holding
    assert not turns.holding


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
    turns, log = Turns(patience=5.0), Log()
    lock = threading.Lock()
    lock.acquire()  # a worker syncing the clock with OVH, say

    def wants_the_lock() -> None:
        with turns.locked(lock):
            log.append(("locked", time.monotonic(), turns.holding))

    waiter = _in_turn(turns, wants_the_lock, "a", log)
    time.sleep(0.1)
    other = _in_turn(turns, lambda: None, "b", log)
    other.join(timeout=1)
    assert not other.is_alive()  # the waiter gave its turn up while it waited
    lock.release()
    waiter.join()
    seen = _events(log)
    assert seen["b in"][1] and seen["locked"][1]
