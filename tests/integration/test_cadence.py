"""Each family at its own cadence, through the real client against the simulator, on a clock the test
moves: a minute of refreshes every 5 s asks the hourly families once and the inventory every time."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from otel_ovh.families import BY_NAME, FAMILIES
from otel_ovh.serve.app import Exporter
from otel_ovh.settings.config import parse_settings
from otel_ovh.simulator import Fault, SimulatedOvh, World, WorldShape
from tests.integration.conftest import Clock, settings_for

HOUR = 3600.0
START = (time.time() // 3600) * 3600 - 600  # ten minutes before an hour begins: usage is of this hour
HOURLY = ("forecast", "project", "credits", "budget", "savings_plans")
EVERY_REFRESH = ("quota", "instances", "volumes", "storage", "network", "kube")
ACCOUNT_DAILY = ("catalog",)  # account-wide: one call for all projects, the price list read once a day
NO_CALL = ("advice", "account_gap")  # computed from the other families' records of the same refresh
ACCOUNT_PACED = ("account",)  # account-wide: each part at its own pace (families/account.py)


@pytest.fixture
def world() -> World:
    return World(seed=5, shape=WorldShape(projects=2), clock=lambda: START)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@contextmanager
def _exporter(sim: SimulatedOvh, clock: Clock, **collect: object) -> Iterator[Exporter]:
    """An exporter refreshing every 5 s by the test's clock, each family at its own cadence."""
    raw = settings_for(sim, collect={"interval": 5, "timeout": 2, "retries": 0, "cadence": {}, **collect})
    built = Exporter.build(parse_settings(raw), serve=False, clock=clock)
    try:
        yield built
    finally:
        built.refresher.stop()
        built.telemetry.shutdown()


@pytest.fixture
def exporter(sim: SimulatedOvh, clock: Clock) -> Iterator[Exporter]:
    with _exporter(sim, clock) as built:
        yield built


def _asked(sim: SimulatedOvh, family: str, pid: str) -> int:
    """Calls of the family's first route (its listing) for the project."""
    route = BY_NAME[family].routes[0]
    return sim.call_count(route, pid)


def _gauge(body: str, metric: str, pid: str, family: str) -> float | None:
    pattern = rf'^{metric}\{{[^}}]*cloud_account_id="{pid}"[^}}]*otel_ovh_family="{family}"[^}}]*\}} (\S+)$'
    match = re.search(pattern, body, re.M)
    return float(match.group(1)) if match else None


def _age(body: str, pid: str, family: str, now: float) -> float | None:
    """The age of a family's data served, as a dashboard reads it: ``time()`` minus its fetch time."""
    fetched = _gauge(body, "otel_ovh_data_fetched_timestamp_seconds", pid, family)
    return None if fetched is None else now - fetched


def _due_after(body: str, pid: str, family: str) -> float | None:
    """The age at which the family's data is due again: its due time minus its fetch time."""
    fetched = _gauge(body, "otel_ovh_data_fetched_timestamp_seconds", pid, family)
    due = _gauge(body, "otel_ovh_data_due_timestamp_seconds", pid, family)
    return None if fetched is None or due is None else due - fetched


def _minute(exporter: Exporter, clock: Clock) -> None:
    for _ in range(13):  # 0, 5, ... 60 s
        exporter.refresher.refresh_once()
        clock.now += 5
    clock.now -= 5


def test_a_minute_at_5s_asks_hourly_families_once_and_inventory_every_time(
    sim: SimulatedOvh, world: World, clock: Clock, exporter: Exporter, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="otel_ovh.collect.refresher"):
        _minute(exporter, clock)
    last = [r.getMessage() for r in caplog.records if r.getMessage().startswith("refresh 13:")]
    hour = re.search(r"in the last hour: (.*)$", last[0])
    assert hour is not None
    calls = {name: int(count) for name, count in (part.split() for part in hour.group(1).split(", "))}
    projects = len(world.project_ids)
    assert calls["forecast"] == calls["cost"] == calls["project"] == projects
    assert calls["volumes"] == 13 * projects
    body = exporter.telemetry.render().decode()
    for pid in world.project_ids:
        for family in HOURLY:
            assert _asked(sim, family, pid) == 1, family
            assert _age(body, pid, family, clock.now) == 60, family
            assert _due_after(body, pid, family) == HOUR, family
        for family in EVERY_REFRESH:
            if family != "network":  # its first route is the quota's, read from the quota's record
                assert _asked(sim, family, pid) == 13, family
            assert _age(body, pid, family, clock.now) == 0, family
        # usage is OVH's aggregation of the hour: nothing new before the next one begins
        assert _asked(sim, "cost", pid) == 1
        assert _age(body, pid, "cost", clock.now) == 60
        assert _due_after(body, pid, "cost") == 600
    # the price list: one unauthenticated call for the whole account in the minute, not one per project
    assert calls["catalog"] == 1
    assert sim.call_count(BY_NAME["catalog"].routes[0]) == 1
    assert BY_NAME["advice"].routes == ()  # asks OVH nothing: no entry of its own in the call counts
    assert "advice" not in calls
    # the whole account: consumption and the service list at every refresh, the debt once in the hour
    account = BY_NAME["account"]
    assert [sim.call_count(route) for route in account.routes[:3]] == [13, 13, 13]
    assert sim.call_count("/me/debtAccount") == 1 and sim.call_count("/me/bill") == 1
    everything = {*HOURLY, *EVERY_REFRESH, "cost", *ACCOUNT_DAILY, *ACCOUNT_PACED, *NO_CALL}
    assert {f.name for f in FAMILIES} == everything


def test_a_new_hour_of_usage_and_an_hourly_family_are_fetched_when_due(
    sim: SimulatedOvh, world: World, clock: Clock, exporter: Exporter
) -> None:
    pid = world.project_ids[0]
    exporter.refresher.refresh_once()
    clock.now += 600  # OVH's next aggregation: usage may have changed
    exporter.refresher.refresh_once()
    assert _asked(sim, "cost", pid) == 2 and _asked(sim, "forecast", pid) == 1
    clock.now += HOUR - 600
    exporter.refresher.refresh_once()
    assert _asked(sim, "forecast", pid) == 2


def test_a_failed_hourly_fetch_is_tried_again_at_the_next_refresh_its_data_kept_and_ageing(
    sim: SimulatedOvh, world: World, clock: Clock, exporter: Exporter
) -> None:
    pid = world.project_ids[0]
    exporter.refresher.refresh_once()
    clock.now += HOUR
    sim.faults.add(Fault(kind="status", status=500, project=pid, path="usage/forecast"))
    exporter.refresher.refresh_once()
    body = exporter.telemetry.render().decode()
    assert _age(body, pid, "forecast", clock.now) == HOUR  # the old data, its age
    assert re.search(rf'^ovh_cloud_cost_forecast\{{[^}}]*cloud_account_id="{pid}"', body, re.M)
    sim.faults.clear()
    clock.now += 5
    exporter.refresher.refresh_once()
    body = exporter.telemetry.render().decode()
    assert _age(body, pid, "forecast", clock.now) == 0


def test_the_setting_overrides_a_familys_cadence(sim: SimulatedOvh, world: World, clock: Clock) -> None:
    with _exporter(sim, clock, cadence={"instances": 30, "forecast": 5}) as exporter:
        _minute(exporter, clock)
    pid = world.project_ids[0]
    assert _asked(sim, "instances", pid) == 3  # at 0, 30 and 60 s
    assert _asked(sim, "forecast", pid) == 13
