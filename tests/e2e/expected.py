"""Expected figures, read straight from the simulated OVH API's answers (never through our parsers)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from otel_ovh.simulator import World
from otel_ovh.simulator.errors import ApiError

GIB = 1024**3


def project_path(pid: str, tail: str = "") -> str:
    return f"/cloud/project/{pid}{tail}"


def total_price(world: World, pid: str) -> float | None:
    body = world.body(project_path(pid, "/usage/current"))
    price = body.get("totalPrice")
    return None if price is None else float(price["value"])


def volume_sizes(world: World, pid: str) -> dict[str, float]:
    return {v["id"]: v["size"] * GIB for v in world.body(project_path(pid, "/volume"))}


def instance_vcpus(world: World, pid: str) -> dict[str, int]:
    flavors = {f["id"]: f["vcpus"] for f in world.body(project_path(pid, "/flavor"))}
    return {i["id"]: flavors[i["flavorId"]] for i in world.body(project_path(pid, "/instance"))}


def storage_bytes(world: World, pid: str) -> dict[str, float]:
    result = {c["name"]: float(c["storedBytes"]) for c in world.body(project_path(pid, "/storage"))}
    for region in world.body(project_path(pid, "/region")):
        try:
            buckets = world.body(project_path(pid, f"/region/{region}/storage"))
        except ApiError:
            continue  # no object storage in that region
        result.update({b["name"]: float(b["objectsSize"]) for b in buckets})
    return result


def quotas(world: World, pid: str) -> list[dict[str, Any]]:
    return list(world.body(project_path(pid, "/quota")))


def used_cores(world: World, pid: str) -> dict[str, tuple[int, int]]:
    """region -> (usedCores, maxCores) for regions with an instance quota and a finite limit."""
    return {
        q["region"]: (q["instance"]["usedCores"], q["instance"]["maxCores"])
        for q in quotas(world, pid)
        if q.get("instance") and q["instance"]["maxCores"] != -1
    }


def idle_regions(world: World, pid: str) -> set[str]:
    """Regions where the project uses nothing: every quota usage 0 and no resource there."""
    busy: set[str] = set()
    for q in quotas(world, pid):
        for category in q.values():
            if isinstance(category, dict) and any(v for k, v in category.items() if not k.startswith("max")):
                busy.add(q["region"])
    for tail in ("/instance", "/volume", "/storage"):
        busy.update(item["region"] for item in world.body(project_path(pid, tail)))
    return {q["region"] for q in quotas(world, pid)} - busy


def credits(world: World, pid: str) -> dict[str, dict[str, Any]]:
    """Each credit's detail body, by id as the label shows it."""
    return {
        str(c): world.body(project_path(pid, f"/credit/{c}"))
        for c in world.body(project_path(pid, "/credit"))
    }


def spend_threshold(world: World, pid: str) -> tuple[float, str] | None:
    """(amount, currency) of the project's OVH spend alert, read off the raw alerting answers: the lowest
    threshold among alerts on the whole spend ("all", or no service in older answers) that are in force."""
    in_force = [
        alert
        for alert in (
            world.body(project_path(pid, f"/alerting/{a}"))
            for a in world.body(project_path(pid, "/alerting"))
        )
        if alert.get("service", "all") == "all" and alert.get("status", "ok") not in ("disabled", "deleted")
    ]
    if not in_force:
        return None
    lowest = min(in_force, key=lambda alert: alert["monthlyThreshold"])
    return float(lowest["monthlyThreshold"]), lowest["formattedMonthlyThreshold"]["currencyCode"]


def savings_plans(world: World, pid: str) -> list[dict[str, Any]]:
    """The flavors of ``usage/plans`` for the world's current UTC month (the month the exporter asks)."""
    now = datetime.fromtimestamp(world.now(), UTC)
    body = world.body(project_path(pid, "/usage/plans"), {"year": str(now.year), "month": str(now.month)})
    return list(body["flavors"])


NETWORK_KINDS = ("floatingip", "gateway", "loadbalancing/loadbalancer")


def network(world: World, pid: str) -> dict[str, list[dict[str, Any]]]:
    """Each kind's listing (floating IPs, gateways, load balancers), over every region with a quota."""
    return {
        kind: [
            item
            for q in quotas(world, pid)
            for item in world.body(project_path(pid, f"/region/{q['region']}/{kind}"))
        ]
        for kind in NETWORK_KINDS
    }


def idle_spend(world: World, pid: str) -> float:
    """The usage lines of the volumes attached to nothing and of the floating IPs associated with
    nothing, summed as OVH prices them (0 for a project with none)."""
    idle_volumes = {v["id"] for v in world.body(project_path(pid, "/volume")) if not v["attachedTo"]}
    idle_ips = {i["id"] for i in network(world, pid)["floatingip"] if i["associatedEntity"] is None}
    usage = world.body(project_path(pid, "/usage/current"))
    volumes = sum(
        float(d["totalPrice"])
        for line in usage["hourlyUsage"]["volume"] or []
        for d in line["details"]
        if d["volumeId"] in idle_volumes
    )
    ips = sum(
        float(c["totalPrice"])
        for typed in usage.get("resourcesUsage") or []
        for r in typed["resources"]
        for c in r["components"]
        if c.get("resourceId") in idle_ips
    )
    return volumes + ips


def kube_clusters(world: World, pid: str) -> dict[str, dict[str, Any]]:
    """Each cluster's detail body, with its ``etcd`` answer and its ``pools``, each pool with its nodes:
    those ``nodes`` lists (not deleted), then those ``nodes?history=true`` lists (DELETED only)."""
    base = project_path(pid, "/kube")
    clusters = {}
    for kube_id in world.body(base):
        body = dict(world.body(f"{base}/{kube_id}"))
        body["etcd"] = world.body(f"{base}/{kube_id}/metrics/etcdUsage")
        body["pools"] = [
            {
                **pool,
                "nodes": world.body(f"{base}/{kube_id}/nodepool/{pool['id']}/nodes")
                + world.body(f"{base}/{kube_id}/nodepool/{pool['id']}/nodes", {"history": "true"}),
            }
            for pool in world.body(f"{base}/{kube_id}/nodepool")
        ]
        clusters[kube_id] = body
    return clusters


def instance_cents(world: World, pid: str) -> dict[str, int]:
    """Cents per instance id over every detail of ``usage/current`` that names it (hours, local disk,
    licence, traffic), deleted instances included."""
    cents: dict[str, int] = {}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            instance = value.get("instanceId") or value.get("resourceId")
            if isinstance(instance, str) and isinstance(value.get("totalPrice"), int | float):
                cents[instance] = cents.get(instance, 0) + round(value["totalPrice"] * 100)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(world.body(project_path(pid, "/usage/current")))
    return cents


def kube_cost_cents(world: World, pid: str) -> dict[tuple[str, str], int]:
    """(cluster name, nodepool name) -> cents of its nodes' instances this period, deleted nodes included."""
    cents = instance_cents(world, pid)
    totals: dict[tuple[str, str], int] = {}
    for cluster in kube_clusters(world, pid).values():
        for pool in cluster["pools"]:
            key = (cluster["name"], pool["name"])
            for node in pool["nodes"]:
                totals[key] = totals.get(key, 0) + cents.get(node["instanceId"] or "", 0)
    return totals
