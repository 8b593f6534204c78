"""Managed Kubernetes tells the same story as the rest of the account: every node runs on an instance
of the project, a node the autoscaler removed this month is gone from ``instance`` and ``nodes`` but
still in the usage lines and in ``nodes?history=true``, and nodepool counts are the nodes listed."""

from __future__ import annotations

import time
from typing import Any

import pytest

from otel_ovh.commands.demo import autoscaling
from otel_ovh.simulator import ApiError, World, WorldShape
from otel_ovh.simulator.families import kube
from otel_ovh.simulator.timeutil import month_end, month_start
from tests.e2e.expected import instance_cents, kube_clusters, project_path
from tests.simulator.support import Clock


def _get(world: World, pid: str, tail: str, query: dict[str, str] | None = None) -> Any:
    return world.body(project_path(pid, tail), query)


def test_nodes_are_instances_of_the_project_and_deleted_ones_only_in_the_bill(clock: Clock) -> None:
    world = World(seed=42, shape=WorldShape(projects=4), clock=clock)
    deleted_this_month = with_clusters = 0
    for pid in world.project_ids:
        instances = {i["id"]: i for i in _get(world, pid, "/instance")}
        billed = instance_cents(world, pid)
        clusters = kube_clusters(world, pid)
        with_clusters += bool(clusters)
        for kube_id, cluster in clusters.items():
            for pool in cluster["pools"]:
                live = _get(world, pid, f"/kube/{kube_id}/nodepool/{pool['id']}/nodes")
                assert live == [n for n in pool["nodes"] if n["deletedAt"] is None]
                assert pool["currentNodes"] == len(live) and pool["minNodes"] <= len(live) <= pool["maxNodes"]
                for node in live:
                    instance = instances[node["instanceId"]]
                    assert (instance["name"], instance["region"]) == (node["name"], cluster["region"])
                    assert node["flavor"] == pool["flavor"] and node["instanceId"] in billed
                for node in pool["nodes"]:
                    if node["deletedAt"] is None:
                        continue
                    assert node["status"] == "DELETED" and node["instanceId"] not in instances
                    recent = world.project(pid).instances[node["instanceId"]].deleted or 0
                    if recent >= month_start(world.now()):
                        deleted_this_month += 1
                        assert billed.get(node["instanceId"], 0) > 0  # its cost is still in the period
                    else:
                        assert node["instanceId"] not in billed  # deleted last month: out of this bill
            etcd = cluster["etcd"]
            assert 0 < etcd["usage"] < etcd["quota"]
    assert with_clusters == 2 and deleted_this_month >= 1


def test_the_first_cluster_is_near_its_etcd_quota(world: World) -> None:
    first = next(iter(kube_clusters(world, world.project_ids[0]).values()))
    assert first["etcd"]["usage"] > 0.95 * first["etcd"]["quota"]


def test_unknown_clusters_and_pools_are_404_and_an_empty_project_has_none(world: World) -> None:
    pid = world.project_ids[0]
    kube_id = _get(world, pid, "/kube")[0]
    for tail in ("/kube/nope", f"/kube/{kube_id}/nodepool/nope/nodes", "/kube/nope/metrics/etcdUsage"):
        with pytest.raises(ApiError) as raised:
            _get(world, pid, tail)
        assert raised.value.status == 404
    assert _get(world, world.add_project(empty=True), "/kube") == []
    assert _get(world, world.project_ids[1], "/kube") == []  # odd projects run no Kubernetes


def test_kubernetes_leaves_the_rest_of_the_world_as_it_was(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nodes come from their own random stream, after everything else: without clusters, the seed gives
    the same projects, instances, volumes and meters."""
    with_kube = World(seed=42, shape=WorldShape(projects=4), clock=clock)
    monkeypatch.setattr(kube, "generate_clusters", lambda *args: None)
    without = World(seed=42, shape=WorldShape(projects=4), clock=clock)
    assert with_kube.project_ids == without.project_ids
    for pid in without.project_ids:
        before, after = without.project(pid), with_kube.project(pid)
        nodes = {n.instance_id for c in after.clusters for p in c.pools for n in p.nodes}
        assert {k: v for k, v in after.instances.items() if k not in nodes} == before.instances
        assert (after.volumes, after.extras, after.credits) == (before.volumes, before.extras, before.credits)


def _live_nodes(world: World, pid: str) -> dict[str, dict[str, Any]]:
    """Instance id -> node, over every pool's live nodes (``nodes`` without history)."""
    return {
        node["instanceId"]: {**node, "region": cluster["region"]}
        for kube_id, cluster in kube_clusters(world, pid).items()
        for pool in cluster["pools"]
        for node in _get(world, pid, f"/kube/{kube_id}/nodepool/{pool['id']}/nodes")
    }


def test_autoscaling_keeps_pools_in_bounds_and_instances_quota_and_bill_in_step(clock: Clock) -> None:
    world = World(seed=42, shape=WorldShape(projects=2), clock=clock)
    pid = world.project_ids[0]
    ever: set[str] = set(_live_nodes(world, pid))
    changed = 0
    for _ in range(8):
        clock.advance(3600)
        changed += world.autoscale()
        live = _live_nodes(world, pid)
        ever |= set(live)
        instances = {i["id"]: i for i in _get(world, pid, "/instance")}
        assert set(live) <= set(instances)
        for cluster in kube_clusters(world, pid).values():
            for pool in cluster["pools"]:
                current = [n for n in pool["nodes"] if n["deletedAt"] is None]
                assert pool["minNodes"] <= len(current) <= pool["maxNodes"]
                assert pool["currentNodes"] == pool["desiredNodes"] == len(current)
        for quota in _get(world, pid, "/quota"):
            used = sum(1 for i in instances.values() if i["region"] == quota["region"])
            assert quota["instance"]["usedInstances"] == used
    gone = ever - set(_live_nodes(world, pid))
    assert changed >= 4 and gone
    billed = instance_cents(world, pid)
    history = {
        n["instanceId"]: n for c in kube_clusters(world, pid).values() for p in c["pools"] for n in p["nodes"]
    }
    listed = {i["id"] for i in _get(world, pid, "/instance")}
    for instance_id in gone:  # deleted this month: in history and in the bill, not in the instance list
        assert history[instance_id]["status"] == "DELETED" and history[instance_id]["deletedAt"]
        assert instance_id not in listed and billed[instance_id] > 0
    clock.now = month_end(int(clock.now)) + 3600
    assert not gone & set(instance_cents(world, pid))  # out of the new period's bill


def test_autoscaling_is_deterministic_from_the_seed(clock: Clock) -> None:
    def run() -> list[Any]:
        world = World(seed=7, shape=WorldShape(projects=2), clock=Clock(clock.now))
        for _ in range(3):
            world.autoscale(world.project_ids[0])
        pid = world.project_ids[0]
        return [kube_clusters(world, pid), _get(world, pid, "/instance"), _get(world, pid, "/usage/current")]

    assert run() == run()


def test_autoscaled_nodes_leave_their_volumes_and_floating_ips(clock: Clock) -> None:
    world = World(seed=42, shape=WorldShape(projects=1), clock=clock)
    pid = world.project_ids[0]
    node = next(iter(_live_nodes(world, pid).values()))
    volume = world.create_volume(pid, region=node["region"])
    world.project(pid).volumes[volume].attached_to = [node["instanceId"]]  # as if attached by a pod
    for _ in range(20):
        if node["instanceId"] not in _live_nodes(world, pid):
            break
        world.autoscale(pid)
    assert node["instanceId"] not in _live_nodes(world, pid)
    assert _get(world, pid, f"/volume/{volume}")["attachedTo"] == []


def test_the_shape_may_fix_clusters_and_nodepools(clock: Clock) -> None:
    world = World(seed=42, shape=WorldShape(projects=3, clusters=3, nodepools=4), clock=clock)
    sizes = [[len(c["pools"]) for c in kube_clusters(world, pid).values()] for pid in world.project_ids]
    assert sizes == [[4, 4, 4], [], [4, 4, 4]]


def test_the_demo_autoscales_on_its_own_and_stops_with_the_demo(clock: Clock) -> None:
    world = World(seed=7, shape=WorldShape(projects=2), clock=clock)
    pid = world.project_ids[0]
    before = _get(world, pid, "/instance")
    with autoscaling(world, every=0.02):
        deadline = time.monotonic() + 10
        while _get(world, pid, "/instance") == before and time.monotonic() < deadline:
            time.sleep(0.02)
    after = _get(world, pid, "/instance")
    assert after != before, "no autoscaler pass changed the nodes within 10 s"
    time.sleep(0.1)
    assert _get(world, pid, "/instance") == after, "the autoscaler kept running after the demo ended"
