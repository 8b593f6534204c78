"""JSON bodies of one project's endpoints at one instant (everything but the request plumbing).

A `ProjectView` reads a project at time `now`; each method answers one endpoint of docs/ovh-api.md §4 with
the field names, nullability and units of the schema (sizes in GB, quota RAM in MB, storage in bytes).
Figures that exist twice (used quota vs resources, traffic vs bandwidth lines, usage ids vs resource
ids) are computed from the same records, so they always agree.
"""

from __future__ import annotations

import base64
from typing import Any

from otel_ovh.simulator import budget, credits, history, kube, legacy, network, plans
from otel_ovh.simulator.billing import Window, usage_body
from otel_ovh.simulator.catalog import (
    COMPUTE_SERVICES,
    FLAVORS,
    QUOTA_COUNTERS,
    QUOTA_FIELDS,
    QUOTA_LIMITS,
    STORAGE_SERVICES,
    region_spec,
)
from otel_ovh.simulator.errors import not_found, service_error
from otel_ovh.simulator.ids import stable_uuid
from otel_ovh.simulator.meters import project_meters
from otel_ovh.simulator.model import Bucket, Container, Instance, Project, Volume
from otel_ovh.simulator.timeutil import iso, iso_micro, iso_z, month_end, month_start

Json = dict[str, Any]
FLAVOR_CAPABILITIES = ("resize", "snapshot", "volume", "failoverip")
UNLIMITED_INSTANCE_KEYS = frozenset({"maxCores", "maxInstances", "maxRam"})


class ProjectView:
    """The answers of one project's endpoints at `now` (epoch seconds)."""

    def __init__(self, project: Project, now: int, seed: int) -> None:
        self.p = project
        self.now = now
        self.seed = seed
        self._quotas: dict[str, Json] = {}  # a flavor list asks each region's quota once per flavor

    # --- project and regions -------------------------------------------------------------------
    def project(self) -> Json:
        p = self.p
        body = {
            "project_id": p.id,
            "projectName": p.name,
            "description": p.description,
            "planCode": p.plan_code,
            "unleash": True,
            "expiration": iso(p.expiration) if p.expiration else None,
            "creationDate": iso_micro(p.created, p.created_micro),
            "orderId": p.order_id,
            "access": "full",
            "status": "ok",
            "manualQuota": False,
            "iam": {
                "id": p.iam_id,
                "urn": f"urn:v1:eu:resource:publicCloudProject:{p.id}",
                "displayName": p.description,
                "state": "OK",
                "tags": None,
            },
        }
        return legacy.drop("project", body) if p.legacy else body

    def regions(self) -> list[str]:
        return list(self.p.regions)

    def _region_name(self, name: str) -> str:
        if name not in self.p.regions:
            raise not_found(f"Region {name} does not exist")
        return name

    def region(self, name: str) -> Json:
        spec = region_spec(self._region_name(name))
        services = (COMPUTE_SERVICES if spec.compute else ()) + (
            STORAGE_SERVICES if spec.object_storage else ()
        )
        return {
            "name": spec.name,
            "type": spec.region_type,
            "status": "UP",
            "continentCode": spec.continent,
            "countryCode": spec.country,
            "datacenterLocation": spec.location,
            "availabilityZones": list(spec.availability_zones),
            "ipCountries": [spec.country],
            "services": [
                {"name": s, "status": "UP", "endpoint": f"https://{s}.{spec.name.lower()}.cloud.ovh.net/"}
                for s in services
            ],
        }

    # --- quotas ----------------------------------------------------------------------------------
    def _used(self, region: str) -> dict[str, int]:
        instances = self.p.live_instances(region)
        volumes = self.p.live_volumes(region)
        used = dict(self.p.quota_usage.get(region, {}))
        used.update(
            usedInstances=len(instances),
            usedCores=sum(FLAVORS[i.flavor].vcpus for i in instances),
            usedRAM=sum(FLAVORS[i.flavor].ram for i in instances) * 1024,
            usedGigabytes=sum(v.size for v in volumes),
            volumeCount=len(volumes),
        )
        for meter in self.p.extras:
            counter = QUOTA_COUNTERS.get(meter.kind)
            if counter and meter.region == region and meter.end is None and meter.start <= self.now:
                used[counter] = used.get(counter, 0) + 1
        return used

    def quota(self, region: str) -> Json:
        if region not in self._quotas:
            self._quotas[region] = self._quota(region)
        return self._quotas[region]

    def _quota(self, region: str) -> Json:
        spec = region_spec(self._region_name(region))
        if not spec.compute:
            raise not_found(f"Region {region} has no compute quota")
        used = self._used(region)
        body: Json = {"region": region}
        for category, fields in QUOTA_FIELDS.items():
            if category not in spec.quota_categories:
                body[category] = None
                continue
            values: Json = {}
            for limit_key, used_key in fields:
                amount = used.get(used_key, 0) if used_key else 0
                unlimited = spec.unlimited and limit_key in UNLIMITED_INSTANCE_KEYS
                values[limit_key] = -1 if unlimited else max(QUOTA_LIMITS[limit_key], amount)
                if used_key:
                    values[used_key] = amount
            body[category] = legacy.drop("share", values) if category == "share" and self.p.legacy else values
        return body

    def quotas(self) -> list[Json]:
        return [self.quota(r) for r in self.p.regions if region_spec(r).compute]

    # --- instances and flavors --------------------------------------------------------------------
    def _instance(self, instance_id: str) -> Instance:
        inst = self.p.instances.get(instance_id)
        if inst is None or inst.deleted is not None or inst.created > self.now:
            raise not_found(f"Instance {instance_id} not found")
        return inst

    def _traffic(self, inst: Instance) -> int:
        begin = max(inst.created, month_start(self.now))
        return inst.traffic_per_hour * max(0, self.now - begin) // 3600

    def instance_body(self, inst: Instance, detail: bool) -> Json:
        flavor = FLAVORS[inst.flavor]
        plan = (
            f"{flavor.name}.monthly.postpaid"
            if inst.monthly_since is not None
            else f"{flavor.name}.consumption"
        )
        body = {
            "id": inst.id,
            "name": inst.name,
            "region": inst.region,
            "status": inst.status,
            "created": iso_z(inst.created),
            "flavorId": self._flavor_id(inst.flavor, inst.region),
            "imageId": inst.image_id,
            "sshKeyId": inst.ssh_key_id,
            "planCode": plan if inst.has_plan_code else None,
            "monthlyBilling": None
            if inst.monthly_since is None
            else {"since": iso(inst.monthly_since), "status": "ok"},
            "currentMonthOutgoingTraffic": self._traffic(inst),
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
            "flavor": self.flavor_body(inst.flavor, inst.region) if detail else None,
            "image": None,
            "sshKey": self._ssh_key(inst) if detail else None,
            "rescuePassword": None,
        }
        if self.p.legacy:
            return legacy.drop("instance_detail" if detail else "instance", body)
        return body

    def _ssh_key(self, inst: Instance) -> Json | None:
        if inst.ssh_key_id is None:
            return None
        return {
            "id": inst.ssh_key_id,
            "name": f"{inst.name}-key",
            "regions": [inst.region],
            "publicKey": f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5{inst.ssh_key_id.replace('-', '')} {inst.name}",
            "fingerPrint": ":".join(inst.ssh_key_id.replace("-", "")[i : i + 2] for i in range(0, 32, 2)),
        }

    def instances(self, region: str | None = None) -> list[Json]:
        return [
            self.instance_body(i, detail=False)
            for i in self.p.live_instances(region)
            if i.created <= self.now
        ]

    def instance(self, instance_id: str) -> Json:
        return self.instance_body(self._instance(instance_id), detail=True)

    def _flavor_id(self, name: str, region: str) -> str:
        return stable_uuid(self.seed, "flavor", name, region)

    def _room(self, region: str, vcpus: int, ram_gb: int) -> int:
        """How many more instances of a flavor the region's quota allows (`quota` of a flavor)."""
        quota = self.quota(region)["instance"]
        if quota is None:
            return 0
        room = [
            quota["maxInstances"] - quota["usedInstances"],
            (quota["maxCores"] - quota["usedCores"]) // vcpus,
            (quota["maxRam"] - quota["usedRAM"]) // (ram_gb * 1024),
        ]
        bounded = [
            r
            for r, limit in zip(room, ("maxInstances", "maxCores", "maxRam"), strict=True)
            if quota[limit] != -1
        ]
        return max(0, min(bounded, default=1000))

    def flavor_body(self, name: str, region: str) -> Json:
        f = FLAVORS[name]
        return {
            "id": self._flavor_id(name, region),
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
            "quota": self._room(region, f.vcpus, f.ram),
        }

    def flavors(self, region: str | None = None) -> list[Json]:
        regions = [r for r in self.p.regions if region_spec(r).compute and region in (None, r)]
        return [self.flavor_body(name, r) for r in regions for name in FLAVORS]

    def flavor(self, flavor_id: str) -> Json:
        for body in self.flavors():
            if body["id"] == flavor_id:
                return body
        raise not_found(f"Flavor {flavor_id} not found")

    # --- volumes and object storage ---------------------------------------------------------------
    def volume_body(self, vol: Volume) -> Json:
        body = {
            "id": vol.id,
            "name": vol.name,
            "description": "",
            "region": vol.region,
            "size": vol.size,
            "type": vol.type,
            "status": "in-use" if vol.attached_to else "available",
            "attachedTo": list(vol.attached_to),
            "bootable": vol.bootable,
            "creationDate": iso(vol.created),
            "planCode": f"volume.{vol.type}.consumption",
            "availabilityZone": vol.availability_zone,
        }
        return legacy.drop("volume", body) if self.p.legacy else body

    def volumes(self, region: str | None = None) -> list[Json]:
        return [self.volume_body(v) for v in self.p.live_volumes(region) if v.created <= self.now]

    def volume(self, volume_id: str) -> Json:
        vol = self.p.volumes.get(volume_id)
        if vol is None or vol.deleted is not None or vol.created > self.now:
            raise not_found(f"Volume {volume_id} not found")
        return self.volume_body(vol)

    @staticmethod
    def container_body(cont: Container, include_type: bool) -> Json:
        return {
            "id": base64.b64encode(f"{cont.region}:{cont.name}".encode()).decode(),
            "name": cont.name,
            "region": cont.region,
            "storedBytes": cont.stored_bytes,
            "storedObjects": cont.stored_objects,
            "containerType": cont.container_type if include_type else None,
            "archive": cont.archive,
        }

    def containers(self, include_type: bool) -> list[Json]:
        return [self.container_body(c, include_type) for c in self.p.containers]

    def bucket_body(self, bucket: Bucket) -> Json:
        return {
            "name": bucket.name,
            "region": bucket.region,
            "createdAt": iso(bucket.created),
            "objectsCount": bucket.objects_count,
            "objectsSize": bucket.objects_size,
            "ownerId": self.p.s3_owner,
            "virtualHost": f"{bucket.name}.s3.{bucket.region.lower()}.io.cloud.ovh.net",
            "objects": [],
        }

    def buckets(self, region: str) -> list[Json]:
        if not region_spec(self._region_name(region)).object_storage:
            raise service_error(400, f"Region {region} does not offer S3 object storage")
        return [self.bucket_body(b) for b in self.p.buckets if b.region == region and b.created <= self.now]

    # --- network inventory -------------------------------------------------------------------------
    def floating_ips(self, region: str) -> list[Json]:
        return network.floating_ips(self.p, self._region_name(region), self.now)

    def gateways(self, region: str) -> list[Json]:
        return network.gateways(self.p, self._region_name(region), self.now)

    def load_balancers(self, region: str) -> list[Json]:
        return network.load_balancers(self.p, self._region_name(region), self.now)

    # --- credits -----------------------------------------------------------------------------------
    def credits(self) -> list[int]:
        return credits.credit_ids(self.p.credits, self.now)

    def credit(self, credit_id: str) -> Json:
        return credits.credit_body(self.p.credits, credit_id, self.now)

    def history(self, query: dict[str, str]) -> list[Json]:
        return history.history(self.p, self.now, query)

    def history_detail(self, usage_id: str) -> Json:
        return history.history_detail(self.p, self.now, usage_id)

    # --- billing alerts ----------------------------------------------------------------------------
    def alerts(self) -> list[str]:
        return budget.alert_ids(self.p.alerts, self.now)

    def alert(self, alert_id: str) -> Json:
        return budget.alert_body(self.p.alerts, alert_id, self.now, self.p.legacy)

    # --- Managed Kubernetes (kube.py) ---------------------------------------------------------------
    def clusters(self) -> list[str]:
        return kube.cluster_ids(self.p, self.now)

    def cluster(self, kube_id: str) -> Json:
        return kube.cluster_body(self.p, kube_id, self.now)

    def nodepools(self, kube_id: str) -> list[Json]:
        return kube.nodepools_body(self.p, kube_id, self.now)

    def nodes(self, kube_id: str, pool_id: str, history: bool) -> list[Json]:
        return kube.nodes_body(self.p, kube_id, pool_id, self.now, history)

    def etcd(self, kube_id: str) -> Json:
        return kube.etcd_body(self.p, kube_id, self.now)

    # --- consumption -----------------------------------------------------------------------------
    def usage(self, forecast: bool) -> Json:
        start, end = month_start(self.now), month_end(self.now)
        window = Window(start, end, self.now, end if forecast else self.now)
        body = usage_body(project_meters(self.p), window, forecast=forecast)
        if forecast:
            bill = round(float(body["totalPrice"]["value"]) * 100)
            body["usableCredits"] = credits.usable_credits(self.p.credits, bill, end)
        return legacy.usage(body) if self.p.legacy else body

    def savings_plans(self, query: dict[str, str]) -> Json:
        window = plans.month_window(query, self.now)
        return plans.plans_body(self.p, project_meters(self.p), window, query.get("flavor"))
