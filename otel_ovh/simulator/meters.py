"""What each resource costs: the meters (billed figures) a project's resources give.

Meters are derived from the resources on demand rather than stored, so creating or deleting an
instance changes its cost lines with no bookkeeping; only products with no resource record of their
own (load balancers, snapshots, Kubernetes…) are stored as meters on the project.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from otel_ovh.simulator.catalog import (
    BANDWIDTH_PRICE,
    FLAVOR_LOCAL_DISK_PRICE,
    FLAVORS,
    STORAGE_CLASSES,
    VOLUME_TYPES,
    region_spec,
)
from otel_ovh.simulator.model import Bucket, Container, Instance, Meter, Project, Volume

GIB = 1 << 30
HOURS_PER_MONTH = 730


def project_meters(project: Project) -> list[Meter]:
    """Every meter of the project, live and deleted resources alike (billing drops what is out of period)."""
    meters: list[Meter] = []
    for instance in project.instances.values():
        meters.extend(instance_meters(instance))
    meters.extend(volume_meter(v) for v in project.volumes.values())
    meters.extend(container_meter(c) for c in project.containers)
    for bucket in project.buckets:
        meters.extend(bucket_meters(bucket))
    meters.extend(project.extras)
    return meters


def _instance_meter(
    inst: Instance,
    kind: str,
    reference: str,
    unit: str,
    rate: float,
    price: float,
    start: int,
    part: str = "",
    covered_by: str | None = None,
) -> Meter:
    """A meter that runs with the instance: its region and id, stopped when it is deleted."""
    return Meter(
        kind,
        reference,
        inst.region,
        inst.id,
        unit,
        rate,
        price,
        start,
        inst.deleted,
        part=part,
        covered_by=covered_by,
    )


def instance_meters(inst: Instance) -> Iterator[Meter]:
    """Hours (or the monthly price), extra local disk, Windows licence and billed traffic."""
    flavor = FLAVORS[inst.flavor]
    meter = functools.partial(_instance_meter, inst)
    monthly = inst.monthly_since
    if monthly is not None:
        yield meter("monthly.instance", flavor.name, "", 0.0, flavor.monthly, monthly)
    else:
        yield meter(
            "hourly.instance",
            flavor.name,
            "Hour",
            1.0,
            flavor.hourly,
            inst.created,
            covered_by=inst.savings_plan,
        )
    if inst.local_disk and flavor.local_disk:
        yield meter(
            "hourly.instance",
            f"{flavor.name}.{flavor.local_disk}",
            "GiBh",
            float(flavor.disk),
            FLAVOR_LOCAL_DISK_PRICE,
            inst.created,
        )
    if flavor.license_price and monthly is not None:
        yield meter(
            "monthly.instanceOption",
            f"{flavor.name}.license",
            "",
            0.0,
            round(flavor.license_price * HOURS_PER_MONTH, 2),
            monthly,
        )
    elif flavor.license_price:
        yield meter(
            "hourly.instanceOption", f"{flavor.name}.license", "Hour", 1.0, flavor.license_price, inst.created
        )
    if inst.traffic_per_hour and region_spec(inst.region).billed_bandwidth:
        yield meter(
            "hourly.instanceBandwidth",
            "bandwidth",
            "GiB",
            inst.traffic_per_hour / GIB,
            BANDWIDTH_PRICE,
            inst.created,
            part="outgoingBandwidth",
        )


def volume_meter(vol: Volume) -> Meter:
    return Meter(
        "hourly.volume",
        vol.type,
        vol.region,
        vol.id,
        "GiBh",
        float(vol.size),
        VOLUME_TYPES[vol.type],
        vol.created,
        vol.deleted,
    )


def container_meter(cont: Container) -> Meter:
    """Swift is billed per region and class, with no container name (`bucketName: null`)."""
    kind = "pca" if cont.archive else "pcs"
    return Meter(
        "hourly.storage",
        kind,
        cont.region,
        cont.name,
        "GiBh",
        cont.stored_bytes / GIB,
        STORAGE_CLASSES[kind].stored,
        cont.created,
        part="stored",
    )


# (part of the storage line, unit, Bucket attribute giving the rate, price attribute of the class)
BUCKET_PARTS: tuple[tuple[str, str, str, str | None], ...] = (
    ("stored", "GiBh", "objects_size", "stored"),
    ("incomingBandwidth", "GiB", "ingress", None),
    ("outgoingBandwidth", "GiB", "egress", "egress"),
    ("incomingInternalBandwidth", "GiB", "internal_in", None),
    ("outgoingInternalBandwidth", "GiB", "internal_out", None),
    ("retrievalFees", "GiB", "retrieval", "retrieval"),
)


def bucket_meters(bucket: Bucket) -> Iterator[Meter]:
    """One meter per part of the bucket's storage line; parts with no rate are left out (null)."""
    spec = STORAGE_CLASSES[bucket.storage_class]
    for part, unit, attribute, price in BUCKET_PARTS:
        rate = float(getattr(bucket, attribute))
        if part == "stored":
            rate /= GIB
        elif not rate:
            continue
        yield Meter(
            "hourly.storage",
            bucket.storage_class,
            bucket.region,
            bucket.name,
            unit,
            rate,
            getattr(spec, price) if price else 0.0,
            bucket.created,
            group=bucket.name,
            part=part,
        )
