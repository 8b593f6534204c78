"""OVH faults, each driven through the simulator: one broken project never costs the others their data."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest

from otel_ovh.families import cost, instances, quota
from otel_ovh.serve.app import Exporter
from otel_ovh.settings.config import parse_settings
from otel_ovh.simulator import Fault, SimulatedOvh, World
from tests.integration.conftest import Clock, series, settings_for


def _exporter(sim: SimulatedOvh, clock: Clock, **collect: object) -> Exporter:
    raw = settings_for(
        sim, collect={"max_staleness": 900, "interval": 300, "timeout": 1, "retries": 1, **collect}
    )
    return Exporter.build(parse_settings(raw), serve=False, clock=clock)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def exporter(sim: SimulatedOvh, clock: Clock) -> Iterator[Exporter]:
    built = _exporter(sim, clock)
    yield built
    sim.faults.clear()
    built.telemetry.shutdown()


def _value(body: str, metric: str, pid: str, family: str = "") -> float | None:
    """The series' value; with ``family``, the one of that family (``otel_ovh_family``)."""
    for match in re.finditer(rf'^{metric}\{{([^}}]*cloud_account_id="{pid}"[^}}]*)\}} (\S+)$', body, re.M):
        if not family or f'otel_ovh_family="{family}"' in match.group(1):
            return float(match.group(2))
    return None


FAULTS = {
    "403 NOT_GRANTED_CALL": Fault(kind="status", status=403, error_code="NOT_GRANTED_CALL"),
    "403 IAM denial": Fault(kind="status", status=403),
    "404": Fault(kind="status", status=404),
    "500": Fault(kind="status", status=500),
    "HTML 502": Fault(kind="html", status=502),
    "invalid JSON": Fault(kind="invalid_json"),
    "slower than collect.timeout": Fault(kind="slow", delay=2.5),
}


@pytest.mark.parametrize("name", FAULTS)
def test_one_failing_project_keeps_its_last_data_until_max_staleness(
    name: str, sim: SimulatedOvh, world: World, clock: Clock, exporter: Exporter
) -> None:
    healthy, broken = world.project_ids[0], world.project_ids[1]
    exporter.refresher.refresh_once()
    before = exporter.telemetry.render().decode()
    cost_before = _value(before, "ovh_cloud_instance_vcpus", broken)
    assert cost_before is not None

    fault = FAULTS[name]
    sim.faults.add(Fault(**{**fault.as_json(), "project": broken, "path": "*"}))
    clock.now += 300
    exporter.refresher.refresh_once()
    body = exporter.telemetry.render().decode()
    assert _value(body, "otel_ovh_collection_success", broken) == 0
    assert _value(body, "otel_ovh_collection_success", healthy) == 1
    fetched = "otel_ovh_data_fetched_timestamp_seconds"
    assert _value(body, fetched, healthy, "instances") == clock.now
    assert _value(body, fetched, broken, "instances") == clock.now - 300  # ageing
    assert _value(body, "ovh_cloud_instance_vcpus", broken) == cost_before

    clock.now += 700  # 1000 s since the last success: past max_staleness (900 s)
    exporter.refresher.refresh_once()
    body = exporter.telemetry.render().decode()
    assert _value(body, "ovh_cloud_instance_vcpus", broken) is None  # gone instead of lying
    assert not [
        line
        for line in series(body.encode())
        if f'cloud_account_id="{broken}"' in line and line.startswith("ovh_cloud_")
    ]
    assert _value(body, "otel_ovh_collection_success", broken) == 0  # still said, though
    assert _value(body, "ovh_cloud_instance_vcpus", healthy) is not None


def test_staleness_expires_between_refreshes(
    sim: SimulatedOvh, world: World, clock: Clock, exporter: Exporter
) -> None:
    broken = world.project_ids[2]
    exporter.refresher.refresh_once()
    sim.faults.add(Fault(project=broken, path="*", kind="status", status=500))
    clock.now += 1000
    exporter.refresher.expire_stale()  # what the refresher thread does while waiting for the next round
    state = exporter.store.current.projects[broken]
    assert state.data.get(cost.FAMILY) is None and not state.fetched_at


def test_one_failing_family_keeps_the_others_fresh(
    sim: SimulatedOvh, world: World, clock: Clock, exporter: Exporter
) -> None:
    pid = world.project_ids[0]
    sim.faults.add(Fault(project=pid, path="quota", kind="status", status=500))
    exporter.refresher.refresh_once()
    state = exporter.store.current.projects[pid]
    assert not state.success and "quota" in state.errors[0]
    assert (
        state.data.get(quota.FAMILY) is None
        and state.data.get(cost.FAMILY) is not None
        and state.data.get(instances.FAMILY)
    )


def test_broken_credentials_are_logged_once_and_the_process_keeps_serving(
    sim: SimulatedOvh, world: World, caplog: pytest.LogCaptureFixture, clock: Clock, exporter: Exporter
) -> None:
    exporter.refresher.refresh_once()
    sim.faults.add(Fault(project="*", path="*", kind="status", status=403, error_code="INVALID_CREDENTIAL"))
    with caplog.at_level(logging.DEBUG, logger="otel_ovh"):
        for _ in range(3):
            clock.now += 60
            exporter.refresher.refresh_once()
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("otel_ovh")]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert "refuses the credentials" in errors[0].getMessage()
    assert "INVALID_CREDENTIAL" in errors[0].getMessage()
    body = exporter.telemetry.render().decode()
    assert "ovh_cloud_cost_total" in body  # still serving the last data
    sim.faults.clear()
    with caplog.at_level(logging.INFO, logger="otel_ovh"):
        exporter.refresher.refresh_once()
    assert any("accepts the credentials again" in r.getMessage() for r in caplog.records)


def test_resources_and_projects_that_come_and_go(
    sim: SimulatedOvh, world: World, clock: Clock, exporter: Exporter
) -> None:
    pid = world.project_ids[0]
    exporter.refresher.refresh_once()
    victim = next(i.id for i in exporter.store.current.projects[pid].data.get(instances.FAMILY) or ())
    world.delete_instance(pid, victim)
    new_instance = world.create_instance(pid, region="GRA11")
    world.add_region(pid, "EU-SOUTH-MIL")
    clock.now += 300
    exporter.refresher.refresh_once()
    body = exporter.telemetry.render().decode()
    vcpu_ids = set(re.findall(r'ovh_cloud_instance_vcpus\{[^}]*cloud_resource_id="([^"]+)"', body))
    assert victim not in vcpu_ids and new_instance in vcpu_ids
    assert all(s.success for s in exporter.store.current.projects.values())
