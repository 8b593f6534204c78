"""Managed Kubernetes of a project: ``kube``, ``kube/{kubeId}`` (``cloud.kube.Cluster``), ``nodepool``
(``cloud.kube.NodePool[]``), ``nodepool/{nodePoolId}/nodes`` (``cloud.kube.Node[]``, with ``history``)
and ``metrics/etcdUsage`` (``cloud.kube.EtcdUsage``).

Consistent with the rest of the account: every node runs on an instance of the project, made by the
generator like any other, so it is listed in ``instance`` and billed in ``usage/current``. A node the
autoscaler removed this month is deleted with its instance: it leaves ``instance`` and ``nodes``, stays
in the usage lines until the period ends, and in ``nodes?history=true`` (with ``deletedAt``), which is
the only place that still says which cluster and nodepool the cost belongs to. As ``cloud.json``
documents ``history``: with it, the DELETED nodes only (most recently deleted first); without it, the
others. The list pages by cursor (``paging``).

Autoscaling (``autoscale``, run by ``World.autoscale``): each pass gives every nodepool a new size
within its bounds, drawn from the pass's own random stream; the nodes beyond it are deleted with their
instances, the missing ones are created with theirs, so ``instance``, the quota and the bill follow.
"""

from __future__ import annotations

import random

from otel_ovh.simulator.errors import not_found
from otel_ovh.simulator.family import AddInstance, Autoscale, Family, Json
from otel_ovh.simulator.generate import Generator
from otel_ovh.simulator.ids import random_hex, random_uuid
from otel_ovh.simulator.model import Cluster, KubeNode, NodePool, Project
from otel_ovh.simulator.routes import P
from otel_ovh.simulator.timeutil import iso, month_start

DAY = 86_400
GIB = 1 << 30
POOL_FLAVORS = ("b3-16", "c3-8", "d2-4")  # not the savings-plan flavor: savings_plans.py counts its hours
VERSIONS = ("1.31", "1.32")
AUTOSCALING = {
    "scaleDownUnneededTimeSeconds": 600,
    "scaleDownUnreadyTimeSeconds": 1200,
    "scaleDownUtilizationThreshold": 0.5,
}


def generate_clusters(
    rng: random.Random,
    project: Project,
    now: int,
    regions: list[str],
    add: AddInstance,
    sizes: tuple[int | None, int | None] = (None, None),
) -> None:
    """One or two clusters on even projects (or ``sizes``: clusters, nodepools each), one or two
    nodepools each, a few nodes; the first pool of a project lost a node to the autoscaler this month
    (and, on the first cluster, one last month, which ``history`` still shows but no bill of this period
    does). The first project's first cluster is near its etcd quota, so the alerts have something to say."""
    if project.index % 2 or not regions:
        return
    clusters, pools = sizes
    for c in range(rng.randint(1, 2) if clusters is None else clusters):
        quota = 6 * GIB
        share = 0.96 if project.index == 0 and c == 0 else rng.uniform(0.02, 0.5)
        cluster = Cluster(
            id=random_uuid(rng),
            name=f"{project.name}-k8s-{c}",
            region=rng.choice(regions),
            version=VERSIONS[c % len(VERSIONS)],
            plan=("free", "standard")[c % 2],
            created=now - rng.randint(40, 300) * DAY,
            etcd_usage=int(quota * share),
            etcd_quota=quota,
        )
        for k in range(rng.randint(1, 2) if pools is None else pools):
            _add_pool(rng, project, cluster, k, now, add)
        project.clusters.append(cluster)


def _add_pool(
    rng: random.Random, project: Project, cluster: Cluster, k: int, now: int, add: AddInstance
) -> None:
    size = rng.randint(1, 3)
    pool = NodePool(
        id=random_uuid(rng),
        name=f"pool-{k}",
        flavor=POOL_FLAVORS[(len(project.clusters) + k) % len(POOL_FLAVORS)],
        min_nodes=1,
        max_nodes=size + 3,
        desired=size,
        created=cluster.created,
        monthly=k == 1,
    )
    start = month_start(now)
    for n in range(size):
        pool.nodes.append(_node(rng, project, cluster, pool, add, created=cluster.created + n * 60))
    if k == 0 and not project.clusters:
        span = max(now - start, 2)
        pool.nodes.append(_node(rng, project, cluster, pool, add, start + span // 4, start + span // 2))
        if now - cluster.created > 12 * DAY:
            pool.nodes.append(_node(rng, project, cluster, pool, add, start - 10 * DAY, start - DAY))
    cluster.pools.append(pool)


def _node(
    rng: random.Random,
    project: Project,
    cluster: Cluster,
    pool: NodePool,
    add: AddInstance,
    created: int,
    deleted: int | None = None,
) -> KubeNode:
    inst = add(project, cluster.region, created, len(project.instances), created)
    name = f"{pool.name}-node-{random_hex(rng, 6)}"
    inst.name, inst.flavor, inst.status, inst.deleted = name, pool.flavor, "ACTIVE", deleted
    inst.monthly_since = created if pool.monthly else None
    inst.has_plan_code = True
    return KubeNode(random_uuid(rng), name, inst.id, created, deleted)


def autoscale(rng: random.Random, project: Project, now: int, add: AddInstance) -> list[str]:
    """One pass of the autoscaler over every nodepool of the project; returns the instance ids of the
    nodes it removed (their instances are marked deleted here; the caller detaches what used them)."""
    removed: list[str] = []
    for cluster in (c for c in project.clusters if c.created <= now):
        for pool in (p for p in cluster.pools if p.created <= now):
            desired = rng.randint(pool.min_nodes, pool.max_nodes)
            removed += resize(rng, project, cluster, pool, now, add, desired)
    return removed


def resize(
    rng: random.Random,
    project: Project,
    cluster: Cluster,
    pool: NodePool,
    now: int,
    add: AddInstance,
    size: int,
) -> list[str]:
    """The pool at ``size`` live nodes now: the extra ones deleted with their instances (whose ids are
    returned), the missing ones created with theirs."""
    removed: list[str] = []
    live = _live(pool, now)
    pool.desired = size
    pool.max_nodes = max(pool.max_nodes, size)
    for node in rng.sample(live, max(0, len(live) - size)):
        node.deleted = now
        if node.instance_id is not None:
            project.instances[node.instance_id].deleted = now
            removed.append(node.instance_id)
    for _ in range(size - len(live)):
        pool.nodes.append(_node(rng, project, cluster, pool, add, created=now))
    return removed


# --- answers -------------------------------------------------------------------------------------
def _cluster(project: Project, kube_id: str, now: int) -> Cluster:
    cluster = next((c for c in project.clusters if c.id == kube_id and c.created <= now), None)
    if cluster is None:
        raise not_found(f"Kubernetes cluster {kube_id} not found")
    return cluster


def cluster_ids(project: Project, now: int) -> list[str]:
    return [c.id for c in project.clusters if c.created <= now]


def cluster_body(project: Project, kube_id: str, now: int) -> Json:
    c = _cluster(project, kube_id, now)
    host = f"{c.id[:6]}.{c.region.lower()}.k8s.ovh.net"
    return {
        "id": c.id,
        "name": c.name,
        "region": c.region,
        "version": c.version,
        "plan": c.plan,
        "status": c.status,
        "updatePolicy": "ALWAYS_UPDATE",
        "url": host,
        "nodesUrl": f"{c.id[:6]}.nodes.{c.region.lower()}.k8s.ovh.net",
        "isUpToDate": True,
        "controlPlaneIsUpToDate": True,
        "auditLogsSubscribed": False,
        "createdAt": iso(c.created),
        "updatedAt": iso(c.created),
        "customization": None,
        "ipAllocationPolicy": None,
        "kubeProxyMode": "iptables",
        "loadBalancersSubnetId": None,
        "nextUpgradeVersions": [],
        "nodesSubnetId": None,
        "privateNetworkConfiguration": None,
        "privateNetworkId": None,
    }


def _live(pool: NodePool, now: int) -> list[KubeNode]:
    return [n for n in pool.nodes if n.created <= now and (n.deleted is None or n.deleted > now)]


def nodepools_body(project: Project, kube_id: str, now: int) -> list[Json]:
    return [_pool_body(project, p, now) for p in _cluster(project, kube_id, now).pools if p.created <= now]


def _pool_body(project: Project, pool: NodePool, now: int) -> Json:
    current = len(_live(pool, now))
    return {
        "id": pool.id,
        "name": pool.name,
        "projectId": project.id,
        "flavor": pool.flavor,
        "status": "READY",
        "sizeStatus": "CAPACITY_OK",
        "antiAffinity": False,
        "autoscale": True,
        "autoscaling": dict(AUTOSCALING),
        "attachFloatingIps": None,
        "availabilityZones": None,
        "monthlyBilled": pool.monthly,
        "currentNodes": current,
        "desiredNodes": pool.desired,
        "availableNodes": current,
        "upToDateNodes": current,
        "minNodes": pool.min_nodes,
        "maxNodes": pool.max_nodes,
        "createdAt": iso(pool.created),
        "updatedAt": iso(pool.created),
        "template": {
            "metadata": {"annotations": {}, "finalizers": [], "labels": {}},
            "spec": {"taints": [], "unschedulable": False},
        },
    }


def nodes_body(project: Project, kube_id: str, pool_id: str, now: int, history: bool) -> list[Json]:
    cluster = _cluster(project, kube_id, now)
    pool = next((p for p in cluster.pools if p.id == pool_id and p.created <= now), None)
    if pool is None:
        raise not_found(f"Node pool {pool_id} not found")
    if history:  # "returns DELETED nodes ordered by deletion date (most recently deleted first)"
        gone = [n for n in pool.nodes if n.created <= now and n.deleted is not None and n.deleted <= now]
        shown = sorted(gone, key=lambda n: -(n.deleted or 0))
    else:  # "Returns non-DELETED nodes if false or not set"
        shown = _live(pool, now)
    return [_node_body(project, cluster, pool, n, now) for n in shown]


def _node_body(project: Project, cluster: Cluster, pool: NodePool, node: KubeNode, now: int) -> Json:
    gone = node.deleted is not None and node.deleted <= now
    return {
        "id": node.id,
        "name": node.name,
        "projectId": project.id,
        "nodePoolId": pool.id,
        "instanceId": node.instance_id,
        "flavor": pool.flavor,
        "status": "DELETED" if gone else "READY",
        "isUpToDate": True,
        "version": cluster.version,
        "createdAt": iso(node.created),
        "deployedAt": iso(node.created + 300),
        "updatedAt": iso(node.deleted if gone and node.deleted else node.created),
        "deletedAt": iso(node.deleted) if gone and node.deleted else None,
    }


def etcd_body(project: Project, kube_id: str, now: int) -> Json:
    cluster = _cluster(project, kube_id, now)
    return {"usage": cluster.etcd_usage, "quota": cluster.etcd_quota}


def populate(generator: Generator, project: Project, now: int, empty: bool) -> None:
    """The clusters and their nodes' instances come from a generator of their own random stream."""
    if empty:
        return
    seed, shape = generator.seed, generator.shape
    own = Generator(seed, shape, random.Random(f"{seed}/kube/{project.index}"))
    sizes = (shape.clusters, shape.nodepools)
    generate_clusters(own.rng, project, now, generator.active_regions(project), own.add_instance, sizes)


KUBE = f"{P}/kube/{{kubeId}}"
FAMILY = Family(
    routes={
        f"{P}/kube": lambda v, a, q: cluster_ids(v.p, v.now),
        KUBE: lambda v, a, q: cluster_body(v.p, a["kubeId"], v.now),
        f"{KUBE}/nodepool": lambda v, a, q: nodepools_body(v.p, a["kubeId"], v.now),
        f"{KUBE}/nodepool/{{nodePoolId}}/nodes": lambda v, a, q: nodes_body(
            v.p, a["kubeId"], a["nodePoolId"], v.now, q.get("history") == "true"
        ),
        f"{KUBE}/metrics/etcdUsage": lambda v, a, q: etcd_body(v.p, a["kubeId"], v.now),
    },
    populate=populate,
    autoscale=autoscale,
)


def resize_nodepool(pool_id: str, size: int) -> Autoscale:
    """For ``World.change``: the nodepool ``pool_id`` at ``size`` live nodes now, as the autoscaler would
    leave it (a test's way to make a list span pages, or nodes deleted this period)."""

    def change(rng: random.Random, project: Project, now: int, add: AddInstance) -> list[str]:
        cluster, pool = next((c, p) for c in project.clusters for p in c.pools if p.id == pool_id)
        return resize(rng, project, cluster, pool, now, add, size)

    return change
