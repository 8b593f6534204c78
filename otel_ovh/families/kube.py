"""Family ``kube``: Managed Kubernetes clusters, their nodepools, the instance each node runs on, and etcd
usage against its quota.

OVH bills a cluster's nodes as instances of the project, so the bill alone cannot say what a cluster or
a nodepool costs; ``ovh_cloud_kube_node_info`` carries the node's instance id as ``cloud_resource_id``,
which joins it to the cost lines in PromQL. Once the autoscaler deletes a node its instance leaves
``instance`` but stays in the bill until the period ends, so each nodepool's nodes are read twice, as
the schema documents ``history``: without it for the nodes that are not deleted, with ``history=true``
for the DELETED ones only. Those deleted during OVH's current billing period (``families.period``) are
kept; older ones are dropped, as their cost is no longer in the period. Both lists page by cursor
(``X-Pagination-Cursor``) and are read whole.

Calls per refresh: ``kube`` (ids), then per cluster ``kube/{kubeId}``, ``nodepool`` and
``metrics/etcdUsage``, and per nodepool two lists of nodes, each one call per page:
1 + 3 x clusters + 2 x nodepools at least. A project without clusters is normal (an empty list, or a
404 where the product was never enabled).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from otel_ovh.families import period
from otel_ovh.families.attributes import (
    CLUSTER_NAME,
    CLUSTER_UID,
    NODE_NAME,
    NODEPOOL_NAME,
    PLAN,
    REGION,
    RESOURCE_ID,
    SKU,
    STATUS,
    VERSION,
    Attribute,
)
from otel_ovh.families.base import PROJECT, Column, Family, Kind, Metric, Point, Regions, Scope
from otel_ovh.ovh import paging
from otel_ovh.ovh.client import ApiError, OvhApi
from otel_ovh.ovh.fields import Fields, Problems, iter_keyed, plain_texts

LIST = PROJECT + "/kube"
DETAIL = PROJECT + "/kube/{kubeId}"
NODEPOOLS = PROJECT + "/kube/{kubeId}/nodepool"
NODES = PROJECT + "/kube/{kubeId}/nodepool/{nodePoolId}/nodes"
ETCD = PROJECT + "/kube/{kubeId}/metrics/etcdUsage"
_GONE = frozenset({404})  # a cluster or nodepool removed between the list and its detail
DELETED = {"history": "true"}  # "returns DELETED nodes" (cloud.json); without it, the others
# ovh.kube.nodes.state -> the cloud.kube.NodePool field it reads
NODE_STATES = {
    "current": "currentNodes",
    "desired": "desiredNodes",
    "available": "availableNodes",
    "up_to_date": "upToDateNodes",
    "min": "minNodes",
    "max": "maxNodes",
}
NODES_STATE = Attribute(
    "ovh.kube.nodes.state",
    "Which count of the nodepool's nodes: current, desired, available, up to date, or the autoscaler's "
    "bounds.",
    tuple(NODE_STATES),
)


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    instance_id: str | None  # None while OVH has not yet given it an instance
    status: str
    deleted: float | None  # epoch seconds


@dataclass(frozen=True, slots=True)
class NodePool:
    id: str
    name: str
    flavor: str
    nodes: dict[str, float]  # state (NODE_STATES) -> count; a missing field drops that state only
    members: tuple[Node, ...] = ()


@dataclass(frozen=True, slots=True)
class Cluster:
    id: str
    name: str
    region: str
    status: str
    plan: str
    version: str
    etcd_usage: float | None = None
    etcd_quota: float | None = None
    pools: tuple[NodePool, ...] = ()


def parse_cluster_ids(body: object, problems: Problems) -> list[str]:
    return plain_texts(body, "kube", problems)


def parse_cluster(body: object, problems: Problems, kube_id: str) -> Cluster:
    fields = Fields(body, f"kube/{kube_id}", problems)
    return Cluster(
        id=fields.text("id") or kube_id,
        name=fields.text("name") or "",
        region=fields.text("region") or "",
        status=fields.status("status"),
        plan=fields.text("plan") or "",
        version=fields.text("version") or "",
    )


def parse_nodepools(body: object, problems: Problems, kube_id: str) -> list[NodePool]:
    pools = []
    for pool_id, item in iter_keyed(body, f"kube/{kube_id}/nodepool", problems, "id"):
        counts = {state: item.number(key, minimum=0) for state, key in NODE_STATES.items()}
        pools.append(
            NodePool(
                id=pool_id,
                name=item.text("name") or pool_id,
                flavor=item.text("flavor") or "",
                nodes={state: value for state, value in counts.items() if value is not None},
            )
        )
    return pools


def parse_nodes(body: object, problems: Problems, where: str, since: float) -> tuple[Node, ...]:
    """The nodes of a pool, live and deleted after ``since`` (the period start); the others are dropped:
    a node deleted by the period's first instant has no cost in it."""
    nodes = []
    for name, item in iter_keyed(body, where, problems, "name"):
        deleted = item.timestamp("deletedAt")
        if deleted is not None and deleted <= since:
            continue
        nodes.append(Node(name, item.text("instanceId"), item.status("status"), deleted))
    return tuple(nodes)


def parse_etcd(body: object, problems: Problems, kube_id: str) -> tuple[float | None, float | None]:
    fields = Fields(body, f"kube/{kube_id}/metrics/etcdUsage", problems)
    return fields.number("usage"), fields.number("quota")


def _get(api: OvhApi, route: str, params: dict[str, str]) -> object:
    """The answer, or None when what was listed has gone since (404)."""
    try:
        return api.get(route, params)
    except ApiError as error:
        if error.status in _GONE:
            return None
        raise


def _read_nodes(api: OvhApi, scope: Scope, kube_id: str, pool_id: str, since: float) -> tuple[Node, ...]:
    """The pool's live nodes, then its deleted ones still billed; a node deleted between the two lists
    is in both, and its deleted entry is the one kept."""
    params = scope.params(kubeId=kube_id, nodePoolId=pool_id)
    where = f"kube/{kube_id}/nodepool/{pool_id}/nodes"
    try:
        live = paging.cursor_pages(api, NODES, params, scope.problems, where)
        gone = paging.cursor_pages(api, NODES, params, scope.problems, where + "?history=true", DELETED)
    except ApiError as error:
        if error.status in _GONE:
            return ()
        raise
    deleted = parse_nodes(gone, scope.problems, where + "?history=true", since)
    names = {node.name for node in deleted}
    kept = [n for n in parse_nodes(live, scope.problems, where, since) if n.name not in names]
    return (*kept, *deleted)


def _fetch_cluster(api: OvhApi, scope: Scope, kube_id: str, since: float) -> Cluster | None:
    params = scope.params(kubeId=kube_id)
    detail = _get(api, DETAIL, params)
    if detail is None:
        return None
    cluster = parse_cluster(detail, scope.problems, kube_id)
    pools = []
    for pool in parse_nodepools(_get(api, NODEPOOLS, params) or [], scope.problems, kube_id):
        members = _read_nodes(api, scope, kube_id, pool.id, since)
        pools.append(NodePool(pool.id, pool.name, pool.flavor, pool.nodes, members))
    etcd = _get(api, ETCD, params)
    usage, quota = parse_etcd(etcd, scope.problems, kube_id) if etcd is not None else (None, None)
    return Cluster(
        cluster.id,
        cluster.name,
        cluster.region,
        cluster.status,
        cluster.plan,
        cluster.version,
        usage,
        quota,
        tuple(pools),
    )


def _fetch(api: OvhApi, scope: Scope) -> tuple[Cluster, ...]:
    listed = _get(api, LIST, scope.params())  # 404: Managed Kubernetes never enabled on the project
    since = period.period_start(scope)
    clusters = []
    for kube_id in parse_cluster_ids(listed if listed is not None else [], scope.problems):
        cluster = _fetch_cluster(api, scope, kube_id, since)
        if cluster is not None:
            clusters.append(cluster)
    return tuple(clusters)


def _cluster_info(clusters: tuple[Cluster, ...]) -> Iterable[Point]:
    for c in clusters:
        yield (
            {
                CLUSTER_UID.key: c.id,
                CLUSTER_NAME.key: c.name,
                REGION.key: c.region,
                STATUS.key: c.status,
                PLAN.key: c.plan,
                VERSION.key: c.version,
            },
            1.0,
        )


def _pool_nodes(clusters: tuple[Cluster, ...]) -> Iterable[Point]:
    for c in clusters:
        for pool in c.pools:
            for state, value in pool.nodes.items():
                attributes = {NODEPOOL_NAME.key: pool.name, SKU.key: pool.flavor}
                yield {CLUSTER_UID.key: c.id, **attributes, NODES_STATE.key: state}, value


def _node_info(clusters: tuple[Cluster, ...]) -> Iterable[Point]:
    for c in clusters:
        for pool in c.pools:
            for node in pool.members:
                if node.instance_id:  # nothing to join a node without an instance to
                    yield (
                        {
                            RESOURCE_ID.key: node.instance_id,
                            CLUSTER_UID.key: c.id,
                            CLUSTER_NAME.key: c.name,
                            NODEPOOL_NAME.key: pool.name,
                            NODE_NAME.key: node.name,
                            STATUS.key: node.status,
                        },
                        1.0,
                    )


def _etcd(which: str) -> Callable[[tuple[Cluster, ...]], Iterable[Point]]:
    def points(clusters: tuple[Cluster, ...]) -> Iterable[Point]:
        for c in clusters:
            value = c.etcd_usage if which == "usage" else c.etcd_quota
            if value is not None:
                yield {CLUSTER_UID.key: c.id}, value

    return points


def _narrow(clusters: tuple[Cluster, ...], regions: Regions) -> tuple[Cluster, ...]:
    return tuple(c for c in clusters if regions.wanted(c.region))


_CLUSTER = "`kube` + `kube/{kubeId}`"
_NODEPOOL_ATTRS = (CLUSTER_UID, NODEPOOL_NAME, SKU, NODES_STATE)
_NODE_ATTRS = (
    RESOURCE_ID,
    CLUSTER_UID,
    CLUSTER_NAME,
    NODEPOOL_NAME,
    NODE_NAME,
    STATUS,
)

FAMILY: Family[tuple[Cluster, ...]] = Family(
    name="kube",
    routes=(LIST, DETAIL, NODEPOOLS, NODES, ETCD),
    fetch=_fetch,
    metrics=(
        Metric(
            name="ovh.cloud.kube.cluster.info",
            kind=Kind.GAUGE,
            unit="{info}",
            description=(
                "Always 1 per Managed Kubernetes cluster; carries its name, region, status, plan and version."
            ),
            attributes=(CLUSTER_UID, CLUSTER_NAME, REGION, STATUS, PLAN, VERSION),
            source=f"{_CLUSTER} (`name`, `region`, `status`, `plan`, `version`)",
            points=_cluster_info,
        ),
        Metric(
            name="ovh.cloud.kube.nodepool.nodes",
            kind=Kind.GAUGE,
            unit="{node}",
            description=(
                "Nodes of each nodepool: current, desired, available, up to date, and the autoscaler's "
                "bounds."
            ),
            attributes=_NODEPOOL_ATTRS,
            source="`kube/{kubeId}/nodepool` (`currentNodes`, `desiredNodes`, `availableNodes`, "
            "`upToDateNodes`, `minNodes`, `maxNodes`)",
            points=_pool_nodes,
        ),
        Metric(
            name="ovh.cloud.kube.node.info",
            kind=Kind.GAUGE,
            unit="{info}",
            description=(
                "Always 1 per node, live or deleted this billing period; `cloud_resource_id` is the instance "
                "it runs on, which joins the node's cluster and nodepool to its cost lines."
            ),
            attributes=_NODE_ATTRS,
            source="`kube/{kubeId}/nodepool/{nodePoolId}/nodes`, without and with `history=true` "
            "(`instanceId`, `name`, `status`, `deletedAt`)",
            points=_node_info,
        ),
        Metric(
            name="ovh.cloud.kube.etcd.usage",
            kind=Kind.GAUGE,
            unit="By",
            description="What each cluster's etcd stores.",
            attributes=(CLUSTER_UID,),
            source="`kube/{kubeId}/metrics/etcdUsage` (`usage`)",
            points=_etcd("usage"),
        ),
        Metric(
            name="ovh.cloud.kube.etcd.quota",
            kind=Kind.GAUGE,
            unit="By",
            description="The most each cluster's etcd may store; past it the cluster refuses writes.",
            attributes=(CLUSTER_UID,),
            source="`kube/{kubeId}/metrics/etcdUsage` (`quota`)",
            points=_etcd("quota"),
        ),
    ),
    columns=(Column("k8s", lambda clusters: str(len(clusters)) if clusters is not None else "-"),),
    narrow=_narrow,
    regions_in_use=lambda clusters: (c.region for c in clusters),
    uses=period.USES,
    notes=(
        f"`ovh_kube_nodes_state` is one of {', '.join(NODE_STATES)} "
        f"({', '.join(f'`{field}`' for field in NODE_STATES.values())}).",
    ),
)
