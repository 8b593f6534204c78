"""The network family through the real ``ovh`` client: it asks each kind's list only in the regions
whose quota counts one in use, and finds there what the simulator serves."""

from __future__ import annotations

import pytest

from otel_ovh.families.base import Scope
from otel_ovh.families.network import FAMILY, FLOATING_IPS, GATEWAYS, LOAD_BALANCERS, QUOTA
from otel_ovh.ovh.client import OvhApi
from otel_ovh.ovh.fields import Problems
from otel_ovh.serve.app import credentials
from otel_ovh.settings.config import parse_settings
from otel_ovh.simulator import Fault, SimulatedOvh, World
from tests.e2e import expected
from tests.integration.conftest import ExporterFactory, settings_for

USED = {FLOATING_IPS: "usedFloatingIPs", GATEWAYS: "usedGateways", LOAD_BALANCERS: "usedLoadbalancers"}


def _in_use(world: World, pid: str, key: str) -> list[str]:
    return [
        q["region"]
        for q in expected.quotas(world, pid)
        if any(isinstance(c, dict) and c.get(key) for c in q.values())
    ]


def test_calls_are_one_quota_and_one_per_kind_and_region_in_use(sim: SimulatedOvh, world: World) -> None:
    api = OvhApi(credentials(parse_settings(settings_for(sim)).ovh), calls_per_second=0)
    for pid in world.project_ids:
        sim.reset_calls()
        problems = Problems()
        network = FAMILY.fetch(api, Scope(pid, problems, lambda region: True))
        assert not problems, problems.messages
        assert sim.call_count(route=QUOTA, project=pid) == 1
        for route, key in USED.items():
            regions = _in_use(world, pid, key)
            assert sim.call_count(route=route, project=pid) == len(regions), route
            asked = {c.path.split("/region/")[1].split("/")[0] for c in sim.calls if c.route == route}
            assert asked == set(regions)
        assert sim.call_count(project=pid) == 1 + sum(len(_in_use(world, pid, k)) for k in USED.values())
        served = expected.network(world, pid)
        assert {ip.id for ip in network.floating_ips} == {i["id"] for i in served["floatingip"]}
        assert {g.id for g in network.gateways} == {g["id"] for g in served["gateway"]}
        assert {lb.id for lb in network.load_balancers} == {
            lb["id"] for lb in served["loadbalancing/loadbalancer"]
        }


def test_excluded_regions_are_not_asked(sim: SimulatedOvh, world: World) -> None:
    api = OvhApi(credentials(parse_settings(settings_for(sim)).ovh), calls_per_second=0)
    pid = world.project_ids[0]
    busy = _in_use(world, pid, "usedFloatingIPs")
    FAMILY.fetch(api, Scope(pid, Problems(), lambda region: region not in busy))
    assert sim.call_count(route=FLOATING_IPS, project=pid) == 0


@pytest.mark.parametrize(
    "families",
    [["quota", "network"], ["network"], ["cost", "quota", "volumes", "network", "kube"]],
)
def test_quota_is_asked_once_per_refresh_whoever_needs_it(
    sim: SimulatedOvh, world: World, make_exporter: ExporterFactory, families: list[str]
) -> None:
    """With the quota family on, network reads its record of the same refresh; without it, network asks
    ``quota`` itself. Either way one call per project and refresh, and the same inventory."""
    exporter = make_exporter(collect={"families": families})
    for _ in range(2):
        sim.reset_calls()
        exporter.refresher.refresh_once()
        for pid in world.project_ids:
            state = exporter.store.current.projects[pid]
            assert state.success, state.errors
            assert sim.call_count(route=QUOTA, project=pid) == 1
            asked = sum(sim.call_count(route=r, project=pid) for r in USED)
            assert asked == sum(len(_in_use(world, pid, key)) for key in USED.values())
            network = state.data.get(FAMILY)
            assert network is not None
            served = expected.network(world, pid)
            assert {ip.id for ip in network.floating_ips} == {i["id"] for i in served["floatingip"]}
            assert {g.id for g in network.gateways} == {g["id"] for g in served["gateway"]}


def test_network_asks_quota_itself_when_the_quota_family_failed(
    sim: SimulatedOvh, world: World, make_exporter: ExporterFactory
) -> None:
    """The quota family's call failed this refresh: network has no record of it to read, so it asks
    ``quota`` itself rather than listing nothing, and only the quota family fails."""
    pid = world.project_ids[0]
    sim.faults.add(Fault(project=pid, path="quota", status=500, times=1))
    exporter = make_exporter(collect={"families": ["quota", "network"], "retries": 0})
    exporter.refresher.refresh_once()
    assert sim.call_count(route=QUOTA, project=pid) == 2
    state = exporter.store.current.projects[pid]
    assert [error.split(":")[0] for error in state.errors] == ["quota"]
    network = state.data.get(FAMILY)
    assert network is not None
    served = expected.network(world, pid)["floatingip"]
    assert {ip.id for ip in network.floating_ips} == {i["id"] for i in served} != set()
