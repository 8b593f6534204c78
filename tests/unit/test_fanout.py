"""The fan-out of a refresh: a project never holds more than half of the workers (all of them when it is
alone), fetches go to the pool only as workers free up, in project order, and abandoning gives back every
fetch that has not landed."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from otel_ovh.collect.fanout import FanOut
from otel_ovh.families import FAMILIES
from otel_ovh.families.base import Family


class Pool:
    """Futures the test completes itself, in submission order."""

    def __init__(self) -> None:
        self.submitted: list[tuple[str, str, Future[Any]]] = []

    def submit(self, pid: str, family: Family[Any]) -> Future[Any]:
        future: Future[Any] = Future()
        self.submitted.append((pid, family.name, future))
        return future

    def running(self, fan: FanOut) -> list[str]:
        return sorted(pid for pid, _ in fan.in_flight.values())


def test_a_slow_project_holds_half_of_the_workers_and_the_others_share_the_rest() -> None:
    pool = Pool()
    fan = FanOut(pool.submit, dict.fromkeys(["slow", "a", "b"], FAMILIES), workers=4)
    assert pool.running(fan) == ["a", "a", "slow", "slow"]  # project order, two each at most
    for pid, _, future in list(pool.submitted):
        if pid == "a":  # "slow" never answers; "a" does
            future.set_result(None)
            fan.landed(future)
    assert pool.running(fan).count("slow") == 2 and len(fan.in_flight) == 4
    while any(pid != "slow" for pid in pool.running(fan)):
        future = next(f for f, (pid, _) in fan.in_flight.items() if pid != "slow")
        future.set_result(None)
        fan.landed(future)
    done = {(pid, name) for pid, name, future in pool.submitted if future.done()}
    assert done == {(pid, family.name) for pid in ("a", "b") for family in FAMILIES}
    abandoned = fan.abandon()
    assert sorted(name for _, family in abandoned for name in [family.name]) == sorted(
        f.name for f in FAMILIES
    )
    assert not fan.in_flight and fan.abandon() == []
    assert all(future.cancelled() for pid, _, future in pool.submitted if pid == "slow")


def test_a_project_alone_has_every_worker() -> None:
    pool = Pool()
    fan = FanOut(pool.submit, {"only": FAMILIES}, workers=4)
    assert len(fan.in_flight) == 4
    fan = FanOut(Pool().submit, dict.fromkeys(["x", "y"], FAMILIES), workers=1)
    assert len(fan.in_flight) == 1  # one worker: one fetch at a time, whoever's
