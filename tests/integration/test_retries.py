"""Retries, backoff and the fair-use ceiling, against simulator faults through the real ``ovh`` client."""

from __future__ import annotations

import itertools
import time

import pytest

from otel_ovh.ovh.client import ApiError, CallPacer, OvhApi
from otel_ovh.serve.app import credentials
from otel_ovh.settings.config import parse_settings
from otel_ovh.simulator import Fault, SimulatedOvh, World
from tests.integration.conftest import ExporterFactory, settings_for

QUOTA = "/cloud/project/{serviceName}/quota"


def _api(sim: SimulatedOvh, sleeps: list[float], **kwargs: float) -> OvhApi:
    settings = parse_settings(settings_for(sim))
    return OvhApi(credentials(settings.ovh), sleep=sleeps.append, calls_per_second=0, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "kind"), [(429, "status"), (500, "status"), (503, "status"), (502, "html")]
)
def test_throttling_and_server_errors_are_retried(
    status: int, kind: str, sim: SimulatedOvh, world: World
) -> None:
    pid = world.project_ids[0]
    sim.faults.add(Fault(project=pid, path="quota", kind=kind, status=status, times=2))
    sleeps: list[float] = []
    body = _api(sim, sleeps).get(QUOTA, {"serviceName": pid})
    assert isinstance(body, list) and body
    assert sim.call_count(route=QUOTA, project=pid) == 3
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0] * 0.5  # exponential, jittered
    sim.faults.clear()


@pytest.mark.parametrize(("status", "code"), [(403, "NOT_GRANTED_CALL"), (404, None), (400, None)])
def test_client_errors_are_not_retried(
    status: int, code: str | None, sim: SimulatedOvh, world: World
) -> None:
    pid = world.project_ids[0]
    sim.faults.add(Fault(project=pid, path="quota", kind="status", status=status, error_code=code))
    sleeps: list[float] = []
    with pytest.raises(ApiError) as caught:
        _api(sim, sleeps).get(QUOTA, {"serviceName": pid})
    assert caught.value.status == status and caught.value.error_code == code
    assert sim.call_count(route=QUOTA, project=pid) == 1 and sleeps == []
    sim.faults.clear()


def test_retries_are_bounded(sim: SimulatedOvh, world: World) -> None:
    pid = world.project_ids[0]
    sim.faults.add(Fault(project=pid, path="quota", kind="status", status=500))
    sleeps: list[float] = []
    with pytest.raises(ApiError):
        _api(sim, sleeps, retries=3).get(QUOTA, {"serviceName": pid})
    assert sim.call_count(route=QUOTA, project=pid) == 4
    sim.faults.clear()


def test_retry_after_is_honoured_and_pauses_every_caller(sim: SimulatedOvh, world: World) -> None:
    pid = world.project_ids[0]
    sim.faults.add(Fault(project=pid, path="quota", kind="status", status=429, retry_after=7, times=1))
    sleeps: list[float] = []
    api = _api(sim, sleeps)
    api.get(QUOTA, {"serviceName": pid})
    assert sleeps and sleeps[0] >= 6.9
    sim.faults.clear()


def test_timeouts_are_reported_as_no_answer(sim: SimulatedOvh, world: World) -> None:
    pid = world.project_ids[0]
    sim.faults.add(Fault(project=pid, path="quota", kind="slow", delay=1.5))
    sleeps: list[float] = []
    api = _api(sim, sleeps, timeout=0.3, retries=1)
    with pytest.raises(ApiError) as caught:
        api.get(QUOTA, {"serviceName": pid})
    assert caught.value.status == 0 and "Timeout" in caught.value.message
    assert api.stats.snapshot() == {(QUOTA, 0): 2, ("/auth/time", 200): 1}  # "no answer", retried once
    sim.faults.clear()


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.calls: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_pacer_spaces_calls_and_a_429_pause_applies_to_everyone() -> None:
    clock = FakeClock()
    pacer = CallPacer(4.0, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(8):
        pacer.wait_slot()
        starts.append(clock.now)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert all(gap >= 0.25 - 1e-9 for gap in gaps)
    pacer.pause(5.0)
    before = clock.now
    pacer.wait_slot()
    assert clock.now - before >= 5.0  # a burst of 429s never makes us call faster


def test_the_ceiling_holds_against_a_real_server(sim: SimulatedOvh, world: World) -> None:
    settings = parse_settings(settings_for(sim))
    api = OvhApi(credentials(settings.ovh), calls_per_second=10)
    pid = world.project_ids[0]
    started = time.monotonic()
    for _ in range(11):
        api.get(QUOTA, {"serviceName": pid})
    assert time.monotonic() - started >= 1.0  # 11 calls at 10/s take at least 1 s


def test_one_clock_sync_for_the_whole_process(sim: SimulatedOvh, make_exporter: ExporterFactory) -> None:
    exporter = make_exporter(collect={"concurrency": 8})
    exporter.refresher.refresh_once()
    exporter.refresher.refresh_once()
    assert sim.call_count(route="/auth/time") == 1  # not one per fetch thread
    assert exporter.api.stats.snapshot()[("/auth/time", 200)] == 1
    assert all(state.success for state in exporter.store.current.projects.values())


def test_no_second_ever_holds_more_calls_than_the_ceiling() -> None:
    clock = FakeClock()
    pacer = CallPacer(20.0, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(200):
        pacer.wait_slot()
        starts.append(clock.now)
    # Each call may reach OVH up to 10 ms late: count per second at arrival, in the worst arrangement.
    late = [t + (0.01 if i % 2 else 0.0) for i, t in enumerate(starts)]
    busiest = max(sum(1 for t in late if start <= t < start + 1.0) for start in late)
    assert busiest <= 20
