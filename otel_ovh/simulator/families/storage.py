"""Object storage and the regions it is found in: ``region`` and ``region/{regionName}``
(``cloud.Region``), Swift containers (``storage``, ``cloud.storage.Container[]``) and S3 buckets
(``region/{regionName}/storage``, ``cloud.StorageContainer[]``)."""

from __future__ import annotations

import base64

from otel_ovh.simulator.catalog import COMPUTE_SERVICES, STORAGE_SERVICES, region_spec
from otel_ovh.simulator.errors import service_error
from otel_ovh.simulator.family import Family, Json, View
from otel_ovh.simulator.model import Bucket, Container
from otel_ovh.simulator.routes import P
from otel_ovh.simulator.timeutil import iso


def region(view: View, name: str) -> Json:
    spec = region_spec(view.region_name(name))
    services = (COMPUTE_SERVICES if spec.compute else ()) + (STORAGE_SERVICES if spec.object_storage else ())
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


def containers(view: View, include_type: bool) -> list[Json]:
    return [container_body(c, include_type) for c in view.p.containers]


def bucket_body(view: View, bucket: Bucket) -> Json:
    return {
        "name": bucket.name,
        "region": bucket.region,
        "createdAt": iso(bucket.created),
        "objectsCount": bucket.objects_count,
        "objectsSize": bucket.objects_size,
        "ownerId": view.p.s3_owner,
        "virtualHost": f"{bucket.name}.s3.{bucket.region.lower()}.io.cloud.ovh.net",
        "objects": [],
    }


def buckets(view: View, region: str) -> list[Json]:
    if not region_spec(view.region_name(region)).object_storage:
        raise service_error(400, f"Region {region} does not offer S3 object storage")
    return [bucket_body(view, b) for b in view.p.buckets if b.region == region and b.created <= view.now]


FAMILY = Family(
    routes={
        f"{P}/region": lambda v, a, q: list(v.p.regions),
        f"{P}/region/{{regionName}}": lambda v, a, q: region(v, a["regionName"]),
        f"{P}/region/{{regionName}}/storage": lambda v, a, q: buckets(v, a["regionName"]),
        f"{P}/storage": lambda v, a, q: containers(v, q.get("includeType") == "true"),
    }
)
