"""The simulator pages lists as ``cloud.json`` declares them, through the real ``ovh`` client: cursor
pages for Kubernetes nodes (``X-Pagination-Size`` honoured, an unknown cursor a 400 "invalid cursor"),
``limit``/``marker`` for gateways (at most 50 a page), and ``history`` as documented (DELETED only)."""

from __future__ import annotations

from typing import Any

import ovh
import pytest

from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from otel_ovh.simulator.families import kube, network
from tests.e2e.expected import project_path
from tests.simulator.support import Clock, ovh_client


def _pool(world: World) -> tuple[str, str, str]:
    for pid in world.project_ids:
        for kube_id in world.body(project_path(pid, "/kube")):
            pools = world.body(project_path(pid, f"/kube/{kube_id}/nodepool"))
            if pools:
                return pid, kube_id, pools[0]["id"]
    raise AssertionError("no nodepool in this world")


def _pages(client: Any, path: str, size: str | None = None) -> list[list[dict[str, Any]]]:
    pages, headers = [], {"X-Pagination-Size": size} if size else {}
    while True:
        response = client.raw_call("GET", path, headers=dict(headers))
        assert response.status_code == 200, response.text
        pages.append(response.json())
        cursor = response.headers.get("X-Pagination-Cursor-Next")
        if not cursor:
            return pages
        headers["X-Pagination-Cursor"] = cursor


def test_nodes_page_by_cursor_and_history_is_the_deleted_ones_only(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World(seed=42, shape=WorldShape(projects=2), clock=clock)
    pid, kube_id, pool_id = _pool(world)
    world.change(pid, kube.resize_nodepool(pool_id, 7))
    clock.advance(3600)
    world.change(pid, kube.resize_nodepool(pool_id, 5))  # two deleted now, this period
    path = project_path(pid, f"/kube/{kube_id}/nodepool/{pool_id}/nodes")
    with SimulatedOvh(world, page_size=2) as sim:
        client = ovh_client(sim, monkeypatch)
        live = _pages(client, path)
        assert [len(page) for page in live] == [2, 2, 1]
        nodes = [node for page in live for node in page]
        assert all(node["status"] != "DELETED" and node["deletedAt"] is None for node in nodes)
        assert [len(page) for page in _pages(client, path, size="4")] == [4, 1]
        gone = [node for page in _pages(client, f"{path}?history=true") for node in page]
        assert len(gone) >= 2 and {node["status"] for node in gone} == {"DELETED"}
        deleted_at = [node["deletedAt"] for node in gone]
        assert deleted_at == sorted(deleted_at, reverse=True)  # most recently deleted first
        names = {node["name"] for page in live for node in page}
        assert names.isdisjoint(node["name"] for node in gone)
        other_list = client.raw_call("GET", f"{path}?history=true", headers={"X-Pagination-Size": "1"})
        for bad in ("nonsense", other_list.headers["X-Pagination-Cursor-Next"]):  # not ours, another list's
            response = client.raw_call("GET", path, headers={"X-Pagination-Cursor": bad})
            assert (response.status_code, response.json()["message"]) == (400, "invalid cursor")


def test_gateways_page_by_marker_at_most_50(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    world = World(seed=42, shape=WorldShape(projects=1), clock=clock)
    pid = world.project_ids[0]
    region = world.body(project_path(pid, "/region"))[0]
    before = len(world.body(project_path(pid, f"/region/{region}/gateway")))
    world.change(pid, network.add_gateways(region, 120 - before))
    path = project_path(pid, f"/region/{region}/gateway")
    with SimulatedOvh(world) as sim:
        client = ovh_client(sim, monkeypatch)
        first = client.get(path)
        assert len(first) == 50  # "default and max is 50"
        assert len(client.get(path, limit=500)) == 50
        second = client.get(path, limit=50, marker=first[-1]["id"])
        third = client.get(path, limit=50, marker=second[-1]["id"])
        assert [len(first), len(second), len(third)] == [50, 50, 20]
        ids = [g["id"] for g in first + second + third]
        assert len(set(ids)) == 120
        quota = next(q for q in client.get(project_path(pid, "/quota")) if q["region"] == region)
        assert quota["network"]["usedGateways"] == 120  # the quota counts them, as the family reads it
        with pytest.raises(ovh.exceptions.BadParametersError):
            client.get(path, marker="no-such-gateway")
