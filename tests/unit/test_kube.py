"""The kube family's parsing, against ``cloud.kube.*`` and what OVH may send instead, and its calls."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from otel_ovh.families import kube, period
from otel_ovh.families.base import Scope
from otel_ovh.families.kube import (
    FAMILY,
    parse_cluster,
    parse_cluster_ids,
    parse_etcd,
    parse_nodepools,
    parse_nodes,
)
from otel_ovh.ovh.client import Answer, ApiError
from otel_ovh.ovh.fields import Problems

CLUSTER = {
    "id": "c1",
    "name": "prod",
    "region": "GRA11",
    "status": "READY",
    "plan": "free",
    "version": "1.31",
    "nodesUrl": "x",
    "customization": None,
}
POOL = {
    "id": "p1",
    "name": "pool-0",
    "flavor": "b3-16",
    "currentNodes": 2,
    "desiredNodes": 3,
    "availableNodes": 2,
    "upToDateNodes": 1,
    "minNodes": 1,
    "maxNodes": 5,
}
NOW = datetime(2026, 12, 10, tzinfo=UTC).timestamp()
SINCE = datetime(2026, 12, 1, tzinfo=UTC).timestamp()  # the period OVH gives, here in UTC


def _node(name: str, instance: str | None, deleted: str | None = None) -> dict[str, object]:
    status = "DELETED" if deleted else "READY"
    return {"id": name, "name": name, "instanceId": instance, "status": status, "deletedAt": deleted}


def _points(clusters: tuple[kube.Cluster, ...]) -> dict[str, list[tuple[dict[str, str | int], float]]]:
    return {metric.name: list(metric.points(clusters)) for metric in FAMILY.metrics}


def test_a_cluster_its_pools_nodes_and_etcd() -> None:
    problems = Problems()
    cluster = parse_cluster(CLUSTER, problems, "c1")
    [pool] = parse_nodepools([POOL], problems, "c1")
    nodes = parse_nodes(
        [_node("n1", "i1"), _node("n2", "i2", "2026-12-03T10:00:00+00:00")], problems, "x", SINCE
    )
    usage, quota = parse_etcd({"usage": 100, "quota": 1000}, problems, "c1")
    assert not problems, problems.messages
    members = replace(pool, members=nodes)
    record = (replace(cluster, etcd_usage=usage, etcd_quota=quota, pools=(members,)),)
    points = _points(record)
    assert points["ovh.cloud.kube.cluster.info"] == [
        (
            {
                "k8s.cluster.uid": "c1",
                "k8s.cluster.name": "prod",
                "cloud.region": "GRA11",
                "ovh.status": "ready",  # lower-case, whatever case OVH sends
                "ovh.plan": "free",
                "ovh.version": "1.31",
            },
            1.0,
        )
    ]
    states = {a["ovh.kube.nodes.state"]: v for a, v in points["ovh.cloud.kube.nodepool.nodes"]}
    assert states == {"current": 2, "desired": 3, "available": 2, "up_to_date": 1, "min": 1, "max": 5}
    nodes_by_id = {a["cloud.resource_id"]: a for a, _ in points["ovh.cloud.kube.node.info"]}
    assert set(nodes_by_id) == {"i1", "i2"}  # the deleted node this month is kept: its cost still joins
    assert (
        nodes_by_id["i2"]["ovh.status"] == "deleted"
        and nodes_by_id["i2"]["ovh.kube.nodepool.name"] == "pool-0"
    )
    assert points["ovh.cloud.kube.etcd.usage"] == [({"k8s.cluster.uid": "c1"}, 100.0)]
    assert points["ovh.cloud.kube.etcd.quota"] == [({"k8s.cluster.uid": "c1"}, 1000.0)]


def test_nodes_deleted_before_the_period_and_nodes_without_instance_make_no_series() -> None:
    nodes = parse_nodes(
        [
            _node("old", "i0", "2026-11-28T00:00:00+00:00"),
            _node("at-start", "i2", "2026-12-01T00:00:00+00:00"),  # gone by the period's first instant
            _node("new", None),
            _node("ok", "i1"),
        ],
        Problems(),
        "x",
        SINCE,
    )
    assert [n.name for n in nodes] == ["new", "ok"]
    pool = kube.NodePool("p", "pool", "b3-16", {}, nodes)
    record = (kube.Cluster("c", "n", "GRA11", "READY", "free", "1.31", pools=(pool,)),)
    assert [a["cloud.resource_id"] for a, _ in _points(record)["ovh.cloud.kube.node.info"]] == ["i1"]


def test_nulls_and_wrong_types_drop_only_their_value() -> None:
    problems = Problems()
    [pool] = parse_nodepools(
        [{**POOL, "desiredNodes": None, "maxNodes": "5"}, {"name": "no id"}], problems, "c1"
    )
    assert set(pool.nodes) == {"current", "available", "up_to_date", "min"}
    assert len(problems.messages) == 2  # the text count and the pool without an id
    assert parse_etcd({"usage": None, "quota": 7}, Problems(), "c1") == (None, 7.0)
    assert parse_etcd("nope", Problems(), "c1") == (None, None)
    cluster = parse_cluster({"id": "c1", "version": 1.31}, Problems(), "c1")
    assert (cluster.name, cluster.version) == ("", "1.31")
    assert parse_cluster([1], Problems(), "c9").id == "c9"  # not an object: nothing, no exception
    assert parse_nodes({"nodes": []}, Problems(), "x", SINCE) == ()
    assert parse_nodes([_node("n", "i", "yesterday")], Problems(), "x", SINCE)[0].deleted is None


def test_ids_are_text_and_anything_else_is_dropped() -> None:
    problems = Problems()
    assert parse_cluster_ids(["a", "b", 3, None, ""], problems) == ["a", "b"]
    assert problems and parse_cluster_ids([], Problems()) == []
    assert parse_cluster_ids({"ids": ["a"]}, Problems()) == []


class _Api:
    """Three clusters of four nodepools each, one cluster gone between the list and its detail."""

    def __init__(self, gone: str | None = None) -> None:
        self.gone = gone
        self.calls: list[tuple[str, dict[str, str] | None, dict[str, str] | None]] = []

    def get(
        self, route: str, params: dict[str, str] | None = None, query: dict[str, str] | None = None
    ) -> Any:
        self.calls.append((route, params, query))
        params = params or {}
        if self.gone and params.get("kubeId") == self.gone:
            raise ApiError(route, 404, "gone")
        if route == kube.LIST:
            return ["k1", "k2", "k3"]
        if route == kube.DETAIL:
            return {**CLUSTER, "id": params["kubeId"]}
        if route == kube.NODEPOOLS:
            return [{**POOL, "id": f"p{i}", "name": f"pool-{i}"} for i in range(4)]
        if route == kube.NODES:
            name, instance = f"{params['nodePoolId']}-n", f"i-{params['kubeId']}-{params['nodePoolId']}"
            if query:  # history=true: the deleted ones only, as documented
                return [_node(f"{name}-gone", f"{instance}-gone", "2026-12-05T00:00:00+00:00")]
            return [_node(name, instance)]
        return {"usage": 1, "quota": 2}

    def answer(
        self, route: str, params: Any = None, query: Any = None, headers: Any = None
    ) -> Answer:  # one page, no next cursor
        return Answer(self.get(route, params, query), {})


def _fetch(api: _Api, monkeypatch: pytest.MonkeyPatch) -> tuple[kube.Cluster, ...]:
    monkeypatch.setattr(period, "clock", lambda: NOW)  # cost is off here: the UTC month stands in
    return FAMILY.fetch(api, Scope("p1", Problems(), lambda region: True))  # type: ignore[arg-type]


def test_three_clusters_of_four_pools_cost_34_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    api = _Api()
    clusters = _fetch(api, monkeypatch)
    assert len(api.calls) == 1 + 3 * 3 + 3 * 4 * 2 == 34
    queries = [query for route, _, query in api.calls if route == kube.NODES]
    assert queries.count(None) == queries.count({"history": "true"}) == 12  # live, then deleted
    assert [len(c.pools) for c in clusters] == [4, 4, 4] and clusters[0].etcd_quota == 2.0
    statuses = [n.status for n in clusters[0].pools[0].members]
    assert statuses == ["ready", "deleted"]  # both lists, each node once


def test_a_cluster_gone_since_the_list_is_skipped_and_no_clusters_is_normal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert [c.id for c in _fetch(_Api(gone="k2"), monkeypatch)] == ["k1", "k3"]

    class _Never(_Api):
        def get(self, route: str, params: Any = None, query: Any = None) -> Any:
            raise ApiError(route, 404, "This service does not exist")

    assert _fetch(_Never(), monkeypatch) == ()


def test_a_failing_call_fails_the_family(monkeypatch: pytest.MonkeyPatch) -> None:
    class _Broken(_Api):
        def get(self, route: str, params: Any = None, query: Any = None) -> Any:
            if route == kube.ETCD:
                raise ApiError(route, 500, "boom")
            return super().get(route, params, query)

    with pytest.raises(ApiError):
        _fetch(_Broken(), monkeypatch)
