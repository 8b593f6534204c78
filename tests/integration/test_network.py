"""The network family through the real ``ovh`` client: it asks each kind's list only in the regions
whose quota counts one in use, and finds there what the simulator serves."""

from __future__ import annotations

from otel_ovh.app import credentials
from otel_ovh.config import parse_settings
from otel_ovh.families.base import Scope
from otel_ovh.families.fields import Problems
from otel_ovh.families.network import FAMILY, FLOATING_IPS, GATEWAYS, LOAD_BALANCERS, QUOTA
from otel_ovh.ovh_api.client import OvhApi
from otel_ovh.simulator import SimulatedOvh, World
from tests.e2e import expected
from tests.integration.conftest import settings_for

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
