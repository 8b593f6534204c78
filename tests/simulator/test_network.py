"""The network inventory tells the same story as the quota and the bill: every floating IP, gateway
and load balancer listed is counted in its region's quota and billed by a resourcesUsage line of its id."""

from __future__ import annotations

from typing import Any

import pytest

from otel_ovh.simulator import ApiError, World, WorldShape
from tests.simulator.support import Clock

KINDS = (
    ("floatingip", "network", "usedFloatingIPs"),
    ("gateway", "network", "usedGateways"),
    ("loadbalancing/loadbalancer", "loadbalancer", "usedLoadbalancers"),
)


def _get(world: World, project: str, path: str) -> Any:
    return world.body(f"/cloud/project/{project}{path}")


def _billed_ids(world: World, project: str) -> dict[str, float]:
    usage = _get(world, project, "/usage/current")
    return {
        component.get("resourceId"): component["totalPrice"]
        for typed in usage.get("resourcesUsage") or []
        for resource in typed["resources"]
        for component in resource["components"]
    }


@pytest.mark.parametrize("seed", [42, 7])
def test_quota_usage_counts_the_inventory_and_each_item_is_billed(seed: int) -> None:
    world = World(seed=seed, shape=WorldShape(projects=6), clock=Clock())
    seen = {kind: 0 for kind, _, _ in KINDS}
    idle_ips = attached_ips = 0
    for project in world.project_ids:
        billed = _billed_ids(world, project)
        for quota in _get(world, project, "/quota"):
            region = quota["region"]
            for kind, category, key in KINDS:
                listed = _get(world, project, f"/region/{region}/{kind}")
                assert len(listed) == ((quota[category] or {}).get(key) or 0), (project, region, kind)
                seen[kind] += len(listed)
                for item in listed:
                    assert item["region"] == region
                    if not world.project(project).legacy:  # 2024-era lines carry no resourceId
                        assert item["id"] in billed, (kind, item["id"])
                    if kind == "floatingip":
                        idle_ips += item["associatedEntity"] is None
                        attached_ips += item["associatedEntity"] is not None
    assert all(seen.values()), seen
    assert idle_ips and attached_ips


def test_some_volumes_are_unattached(world: World) -> None:
    volumes = [v for p in world.project_ids for v in _get(world, p, "/volume")]
    assert any(not v["attachedTo"] for v in volumes) and any(v["attachedTo"] for v in volumes)


def test_an_unknown_region_is_not_found(world: World) -> None:
    project = world.project_ids[0]
    with pytest.raises(ApiError) as raised:
        world.body(f"/cloud/project/{project}/region/NOWHERE/floatingip")
    assert raised.value.status == 404


def test_an_empty_project_has_no_network_and_its_quota_says_so(world: World) -> None:
    project = world.add_project(empty=True)
    for quota in _get(world, project, "/quota"):
        for kind, category, key in KINDS:
            assert _get(world, project, f"/region/{quota['region']}/{kind}") == []
            assert not (quota[category] or {}).get(key)
