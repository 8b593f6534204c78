"""Family ``instances``: what each instance is (vCPUs, memory, flavor, status), to explain its cost."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from otel_ovh.families.attributes import REGION, RESOURCE_ID, RESOURCE_NAME, SKU, STATUS
from otel_ovh.families.base import PROJECT, Attributes, Column, Family, Kind, Metric, Point, Regions, Scope
from otel_ovh.ovh.client import OvhApi
from otel_ovh.ovh.fields import GIB, Fields, Problems, iter_keyed, iter_objects

INSTANCES = PROJECT + "/instance"
FLAVORS = PROJECT + "/flavor"
_ATTRS = (REGION, RESOURCE_ID, RESOURCE_NAME, SKU, STATUS)


@dataclass(frozen=True, slots=True)
class Flavor:
    id: str
    name: str
    region: str
    vcpus: int | None
    memory_bytes: float | None


@dataclass(frozen=True, slots=True)
class Instance:
    id: str
    name: str
    region: str
    status: str
    flavor_id: str | None
    flavor: Flavor | None  # embedded in detail answers; list answers carry flavor_id only


def _parse_flavor(fields: Fields) -> Flavor | None:
    flavor_id = fields.text("id", required=True)
    if not flavor_id:
        return None
    ram = fields.number("ram", scale=GIB, minimum=0)  # GB in OVH's words, GiB in OpenStack's
    return Flavor(
        id=flavor_id,
        name=fields.text("name") or "",
        region=fields.text("region") or "",
        vcpus=fields.count("vcpus"),
        memory_bytes=ram,
    )


def parse_flavors(body: object, problems: Problems) -> list[Flavor]:
    return [flavor for item in iter_objects(body, "flavor", problems) if (flavor := _parse_flavor(item))]


def parse_instances(body: object, problems: Problems) -> list[Instance]:
    instances: list[Instance] = []
    for instance_id, item in iter_keyed(body, "instance", problems, "id"):
        embedded = item.obj("flavor")
        flavor = _parse_flavor(embedded) if embedded is not None else None
        instances.append(
            Instance(
                id=instance_id,
                name=item.text("name") or "",
                region=item.text("region") or "",
                status=item.status("status"),
                flavor_id=item.text("flavorId") or (flavor.id if flavor else None),
                flavor=flavor,
            )
        )
    return instances


def _fetch(api: OvhApi, scope: Scope) -> tuple[Instance, ...]:
    """Instances joined with flavors: list answers name a flavorId but carry no vCPU or RAM figures."""
    instances = parse_instances(api.get(INSTANCES, scope.params()), scope.problems)
    flavors = {f.id: f for f in parse_flavors(api.get(FLAVORS, scope.params()), scope.problems)}
    joined = []
    for instance in instances:
        flavor = instance.flavor or (flavors.get(instance.flavor_id) if instance.flavor_id else None)
        if flavor is None:
            scope.problems.add(
                f"instance {instance.id}", f"unknown flavor {instance.flavor_id!r}; no vCPU/RAM"
            )
        joined.append(replace(instance, flavor=flavor))
    return tuple(joined)


def _points(which: str) -> Callable[[tuple[Instance, ...]], Iterable[Point]]:
    def points(instances: tuple[Instance, ...]) -> Iterable[Point]:
        for i in instances:
            flavor = i.flavor
            if flavor is None:
                continue
            value = flavor.vcpus if which == "vcpus" else flavor.memory_bytes
            if value is not None:
                attributes: Attributes = {
                    REGION.key: i.region,
                    RESOURCE_ID.key: i.id,
                    RESOURCE_NAME.key: i.name,
                    SKU.key: flavor.name,
                    STATUS.key: i.status,
                }
                yield attributes, value

    return points


def _narrow(instances: tuple[Instance, ...], regions: Regions) -> tuple[Instance, ...]:
    return tuple(i for i in instances if regions.wanted(i.region))


def _count(records: Sequence[Sequence[object] | None]) -> str:
    return str(sum(len(r or ()) for r in records))


FAMILY: Family[tuple[Instance, ...]] = Family(
    name="instances",
    routes=(INSTANCES, FLAVORS),
    fetch=_fetch,
    metrics=(
        Metric(
            name="ovh.cloud.instance.vcpus",
            kind=Kind.GAUGE,
            unit="{vcpu}",
            description="vCPUs of each instance, from its flavor.",
            attributes=_ATTRS,
            source="`instance` joined with `flavor` (`vcpus`)",
            points=_points("vcpus"),
        ),
        Metric(
            name="ovh.cloud.instance.memory",
            kind=Kind.GAUGE,
            unit="By",
            description="Memory of each instance, from its flavor.",
            attributes=_ATTRS,
            source="`instance` joined with `flavor` (`ram`, GiB)",
            points=_points("memory"),
        ),
    ),
    columns=(Column("inst", lambda instances: str(len(instances or ())), total=_count),),
    narrow=_narrow,
    regions_in_use=lambda instances: (i.region for i in instances),
)
