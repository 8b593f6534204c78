"""Paged lists are read whole by the product, through the real ``ovh`` client against a simulator that
pages as ``cloud.json`` documents: a nodepool whose live nodes span three pages plus its deleted nodes,
a region with 120 gateways; each page a counted call."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from otel_ovh.families import kube, network
from otel_ovh.families.base import Scope
from otel_ovh.ovh.client import OvhApi
from otel_ovh.ovh.fields import Problems
from otel_ovh.serve.app import credentials
from otel_ovh.settings.config import parse_settings
from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from otel_ovh.simulator.families import kube as sim_kube
from otel_ovh.simulator.families import network as sim_network
from otel_ovh.simulator.timeutil import month_start
from tests.e2e.expected import project_path
from tests.integration.conftest import settings_for


class _Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> _Clock:
    return _Clock()


@pytest.fixture
def world(clock: _Clock) -> World:
    return World(seed=42, shape=WorldShape(projects=2), clock=clock)


@pytest.fixture
def small_pages(world: World) -> Iterator[SimulatedOvh]:
    with SimulatedOvh(world, page_size=2) as sim:
        yield sim


def _api(sim: SimulatedOvh) -> OvhApi:
    return OvhApi(credentials(parse_settings(settings_for(sim)).ovh), calls_per_second=0)


def _first_pool(world: World) -> tuple[str, str, str]:
    for pid in world.project_ids:
        for kube_id in world.body(project_path(pid, "/kube")):
            for pool in world.body(project_path(pid, f"/kube/{kube_id}/nodepool")):
                return pid, kube_id, pool["id"]
    raise AssertionError("no nodepool in this world")


def test_live_nodes_over_three_pages_and_the_deleted_ones_are_all_exported(
    world: World, clock: _Clock, small_pages: SimulatedOvh
) -> None:
    pid, kube_id, pool_id = _first_pool(world)
    world.change(pid, sim_kube.resize_nodepool(pool_id, 7))
    clock.now += 60
    world.change(pid, sim_kube.resize_nodepool(pool_id, 5))  # 5 live: pages of 2, 2, 1; 2 deleted now
    path = project_path(pid, f"/kube/{kube_id}/nodepool/{pool_id}/nodes")
    live = world.body(path)
    start = month_start(world.now())
    gone = [n for n in world.body(path, {"history": "true"}) if n["deletedAt"] >= _iso(start)]
    assert len(live) == 5 and len(gone) >= 2
    small_pages.reset_calls()
    clusters = kube.FAMILY.fetch(_api(small_pages), Scope(pid, Problems(), lambda region: True))
    pool = next(p for c in clusters for p in c.pools if p.id == pool_id)
    exported = {
        attributes["cloud.resource_id"]: attributes["ovh.status"]
        for metric in kube.FAMILY.metrics
        if metric.name == "ovh.cloud.kube.node.info"
        for attributes, _ in metric.points(clusters)
        if (attributes["k8s.cluster.uid"], attributes["ovh.kube.nodepool.name"]) == (kube_id, pool.name)
    }
    assert exported == {
        **{n["instanceId"]: "ready" for n in live},
        **{n["instanceId"]: "deleted" for n in gone},
    }
    pages = 3 + -(-len(world.body(path, {"history": "true"})) // 2)
    asked = [c for c in small_pages.calls if c.route.endswith("/nodes") and pool_id in c.path]
    assert len(asked) == pages  # every page one call, each counted by the simulator


def _iso(epoch: float) -> str:
    from otel_ovh.simulator.timeutil import iso

    return iso(int(epoch))


def test_a_region_with_120_gateways_exports_120(world: World, small_pages: SimulatedOvh) -> None:
    pid = world.project_ids[0]
    region = world.body(project_path(pid, "/region"))[0]
    listed = len(world.body(project_path(pid, f"/region/{region}/gateway")))
    world.change(pid, sim_network.add_gateways(region, 120 - listed))
    api = _api(small_pages)
    small_pages.reset_calls()
    record = network.FAMILY.fetch(api, Scope(pid, Problems(), lambda r: True))
    points: list[Any] = [
        attributes
        for metric in network.FAMILY.metrics
        if metric.name == "ovh.cloud.gateway.info"
        for attributes, _ in metric.points(record)
        if attributes["cloud.region"] == region
    ]
    assert len(points) == len({a["cloud.resource_id"] for a in points}) == 120
    asked = [c for c in small_pages.calls if c.route == network.GATEWAYS and f"/region/{region}/" in c.path]
    assert len(asked) == 3  # 50 + 50 + 20
    assert api.stats.snapshot()[(network.GATEWAYS, 200)] >= 3  # counted in otel_ovh_api_requests_total
