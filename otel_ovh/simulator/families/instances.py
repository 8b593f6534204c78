"""Compute: ``instance`` (``cloud.instance.Instance[]``, optionally one region's), ``instance/{instanceId}``
(``cloud.instance.InstanceDetail``), ``flavor`` (``cloud.flavor.Flavor[]``) and ``flavor/{flavorId}``.

A flavor's ``quota`` (how many more instances of it the region allows) is read from the region's quota
body, so the two never disagree.
"""

from __future__ import annotations

from otel_ovh.simulator import legacy
from otel_ovh.simulator.catalog import FLAVORS, region_spec
from otel_ovh.simulator.errors import not_found
from otel_ovh.simulator.families.quota import quota
from otel_ovh.simulator.family import Family, Json, View
from otel_ovh.simulator.ids import stable_uuid
from otel_ovh.simulator.model import Instance
from otel_ovh.simulator.routes import P
from otel_ovh.simulator.timeutil import iso, iso_z, month_start

FLAVOR_CAPABILITIES = ("resize", "snapshot", "volume", "failoverip")


def _instance(view: View, instance_id: str) -> Instance:
    inst = view.p.instances.get(instance_id)
    if inst is None or inst.deleted is not None or inst.created > view.now:
        raise not_found(f"Instance {instance_id} not found")
    return inst


def _traffic(view: View, inst: Instance) -> int:
    begin = max(inst.created, month_start(view.now))
    return inst.traffic_per_hour * max(0, view.now - begin) // 3600


def instance_body(view: View, inst: Instance, detail: bool) -> Json:
    flavor = FLAVORS[inst.flavor]
    plan = (
        f"{flavor.name}.monthly.postpaid" if inst.monthly_since is not None else f"{flavor.name}.consumption"
    )
    body = {
        "id": inst.id,
        "name": inst.name,
        "region": inst.region,
        "status": inst.status,
        "created": iso_z(inst.created),
        "flavorId": _flavor_id(view, inst.flavor, inst.region),
        "imageId": inst.image_id,
        "sshKeyId": inst.ssh_key_id,
        "planCode": plan if inst.has_plan_code else None,
        "monthlyBilling": None
        if inst.monthly_since is None
        else {"since": iso(inst.monthly_since), "status": "ok"},
        "currentMonthOutgoingTraffic": _traffic(view, inst),
        "operationIds": [],
        "ipAddresses": [
            {
                "ip": inst.public_ip,
                "type": "public",
                "version": 4,
                "networkId": "",
                "gatewayIp": inst.public_ip.rsplit(".", 1)[0] + ".1",
            },
            {
                "ip": inst.private_ip,
                "type": "private",
                "version": 4,
                "networkId": inst.network_id,
                "gatewayIp": None,
            },
        ],
        "availabilityZone": inst.availability_zone,
        "flavor": flavor_body(view, inst.flavor, inst.region) if detail else None,
        "image": None,
        "sshKey": _ssh_key(inst) if detail else None,
        "rescuePassword": None,
    }
    if view.p.legacy:
        return legacy.drop("instance_detail" if detail else "instance", body)
    return body


def _ssh_key(inst: Instance) -> Json | None:
    if inst.ssh_key_id is None:
        return None
    return {
        "id": inst.ssh_key_id,
        "name": f"{inst.name}-key",
        "regions": [inst.region],
        "publicKey": f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5{inst.ssh_key_id.replace('-', '')} {inst.name}",
        "fingerPrint": ":".join(inst.ssh_key_id.replace("-", "")[i : i + 2] for i in range(0, 32, 2)),
    }


def instances(view: View, region: str | None = None) -> list[Json]:
    return [
        instance_body(view, i, detail=False) for i in view.p.live_instances(region) if i.created <= view.now
    ]


def instance(view: View, instance_id: str) -> Json:
    return instance_body(view, _instance(view, instance_id), detail=True)


def _flavor_id(view: View, name: str, region: str) -> str:
    return stable_uuid(view.seed, "flavor", name, region)


def _room(view: View, region: str, vcpus: int, ram_gb: int) -> int:
    """How many more instances of a flavor the region's quota allows (`quota` of a flavor)."""
    limits = quota(view, region)["instance"]
    if limits is None:
        return 0
    room = [
        limits["maxInstances"] - limits["usedInstances"],
        (limits["maxCores"] - limits["usedCores"]) // vcpus,
        (limits["maxRam"] - limits["usedRAM"]) // (ram_gb * 1024),
    ]
    bounded = [
        r
        for r, limit in zip(room, ("maxInstances", "maxCores", "maxRam"), strict=True)
        if limits[limit] != -1
    ]
    return max(0, min(bounded, default=1000))


def flavor_body(view: View, name: str, region: str) -> Json:
    f = FLAVORS[name]
    return {
        "id": _flavor_id(view, name, region),
        "name": name,
        "region": region,
        "ram": f.ram,
        "disk": f.disk,
        "vcpus": f.vcpus,
        "type": f.kind,
        "osType": f.os_type,
        "inboundBandwidth": f.bandwidth,
        "outboundBandwidth": f.bandwidth,
        "available": True,
        "planCodes": {
            "monthly": f"{name}.monthly.postpaid",
            "hourly": f"{name}.consumption",
            "license": f"{name}.license" if f.license_price else None,
        },
        "capabilities": [{"name": c, "enabled": True} for c in FLAVOR_CAPABILITIES],
        "quota": _room(view, region, f.vcpus, f.ram),
    }


def flavors(view: View, region: str | None = None) -> list[Json]:
    regions = [r for r in view.p.regions if region_spec(r).compute and region in (None, r)]
    return [flavor_body(view, name, r) for r in regions for name in FLAVORS]


def flavor(view: View, flavor_id: str) -> Json:
    for body in flavors(view):
        if body["id"] == flavor_id:
            return body
    raise not_found(f"Flavor {flavor_id} not found")


FAMILY = Family(
    routes={
        f"{P}/instance": lambda v, a, q: instances(v, q.get("region")),
        f"{P}/instance/{{instanceId}}": lambda v, a, q: instance(v, a["instanceId"]),
        f"{P}/flavor": lambda v, a, q: flavors(v, q.get("region")),
        f"{P}/flavor/{{flavorId}}": lambda v, a, q: flavor(v, a["flavorId"]),
    }
)
