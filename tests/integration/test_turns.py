"""A fetch worker gives its turn up (``otel_ovh.ovh.turns``) at every wait of a real call through the
real ``ovh`` client: connecting, OVH slow to answer, an answer trickling in, a retry's pause, the call
rate's pacing, another worker's clock sync; and a refresh's fetches run in turn. Were one of those waits
unmarked, a second worker would get no turn within the patience and would run without one."""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from otel_ovh.collect.refresher import Refresher
from otel_ovh.collect.snapshot import ProjectData, SnapshotStore
from otel_ovh.families import FAMILIES
from otel_ovh.ovh.client import ApiError, OvhApi
from otel_ovh.ovh.turns import TURNS
from otel_ovh.serve.app import credentials
from otel_ovh.settings.config import parse_settings
from tests.integration.conftest import settings_for
from tests.support.hostile_ovh import HostileOvh, Rule

QUOTA = "/cloud/project/{serviceName}/quota"
CHECKED_AFTER = 0.3  # seconds into the first worker's wait; every wait below lasts well past it


def _api(hostile: HostileOvh, **options: Any) -> tuple[OvhApi, str]:
    settings = parse_settings(settings_for(hostile))  # type: ignore[arg-type]
    api = OvhApi(
        credentials(settings.ovh), **{"calls_per_second": 0, "retries": 0, "timeout": 5.0, **options}
    )
    projects: list[str] = api.get("/cloud/project")
    return api, projects[0]


def _turn_while(*waiting: Callable[[], object], longer_than: float = 1.0) -> bool:
    """Whether another worker gets the turn while workers, in their turns, run ``waiting`` (each waits
    ``longer_than`` at least: checked, so that a wait that ended early cannot pass for one marked)."""
    took: list[float] = []

    def worker(wait: Callable[[], object], inside: threading.Event) -> None:
        with TURNS.turn():
            inside.set()
            started = time.monotonic()
            with contextlib.suppress(ApiError):  # a call ending at its deadline: what counts is the wait
                wait()
            took.append(time.monotonic() - started)

    workers = []
    for wait in waiting:  # one after the other: each takes the turn the one before gave up
        inside = threading.Event()
        workers.append(threading.Thread(target=worker, args=(wait, inside)))
        workers[-1].start()
        assert inside.wait(5)
    time.sleep(CHECKED_AFTER)
    assert all(thread.is_alive() for thread in workers), "a wait ended before the check"
    with TURNS.turn():
        held = TURNS.holding
    for thread in workers:
        thread.join(15)
    assert len(took) == len(waiting) and min(took) >= longer_than, took
    return held


def test_waiting_for_a_slow_answer_gives_the_turn_up(hostile: HostileOvh) -> None:
    api, pid = _api(hostile)
    hostile.add(Rule(f"/cloud/project/{pid}/quota", delay=1.5, times=1))
    assert _turn_while(lambda: api.get(QUOTA, {"serviceName": pid}))
    assert api.stats.failures() == {}


def test_waiting_for_a_trickling_answer_gives_the_turn_up(hostile: HostileOvh) -> None:
    api, pid = _api(hostile, timeout=1.5)
    hostile.add(Rule(f"/cloud/project/{pid}/quota", trickle=0.05))
    assert _turn_while(lambda: api.get(QUOTA, {"serviceName": pid}))  # it ends at its deadline


def test_connecting_gives_the_turn_up(hostile: HostileOvh, monkeypatch: pytest.MonkeyPatch) -> None:
    api, pid = _api(hostile)  # the worker's thread has no connection yet: its first call connects
    resolve = socket.getaddrinfo

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(1.5)  # a resolver that takes its time
        return resolve(*args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", slow)
    assert _turn_while(lambda: api.get(QUOTA, {"serviceName": pid}))


def test_the_pause_before_a_retry_gives_the_turn_up(hostile: HostileOvh) -> None:
    api, pid = _api(hostile, retries=1, backoff_base=1.5, backoff_cap=1.5)
    failing = hostile.add(Rule(f"/cloud/project/{pid}/quota", status=503, times=1))
    assert _turn_while(lambda: api.get(QUOTA, {"serviceName": pid}), longer_than=0.75)
    assert failing.hits == 1


def test_waiting_for_the_call_rate_gives_the_turn_up(hostile: HostileOvh) -> None:
    api, pid = _api(hostile, calls_per_second=1)
    assert _turn_while(lambda: [api.get(QUOTA, {"serviceName": pid}) for _ in range(2)], longer_than=0.9)


def test_waiting_for_another_workers_clock_sync_gives_the_turn_up(hostile: HostileOvh) -> None:
    settings = parse_settings(settings_for(hostile))  # type: ignore[arg-type]
    api = OvhApi(credentials(settings.ovh), calls_per_second=0, retries=0, timeout=5.0)
    hostile.add(Rule("/auth/time", delay=1.5, times=1))
    # The first worker syncs the clock (its own wait is marked), the second waits for that sync: both
    # give the turn up, so a third gets it.
    call = lambda: api.get("/cloud/project")  # noqa: E731
    assert _turn_while(call, call)


def test_without_a_wait_the_turn_is_kept() -> None:
    # The control: a first worker busy (here: sleeping where turns cannot see it) keeps the turn.
    assert not _turn_while(lambda: time.sleep(1.0))


def test_a_refreshs_fetches_run_in_turn(hostile: HostileOvh) -> None:
    settings = parse_settings(settings_for(hostile))  # type: ignore[arg-type]
    api = OvhApi(credentials(settings.ovh), calls_per_second=0, retries=0)
    refresher = Refresher(settings, api, SnapshotStore())
    family = dataclasses.replace(FAMILIES[0], fetch=lambda api, scope: TURNS.holding)
    held, _ = refresher._fetch("0" * 32, family, ProjectData(), time.monotonic() + 10)
    assert held is True
    assert not TURNS.holding
