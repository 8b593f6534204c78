"""Family ``volumes``: each block volume's provisioned size, type and status, and how many instances it
is attached to: a volume attached to none is still billed, the idle spend FinOps teams hunt first."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from otel_ovh.families.attributes import REGION, RESOURCE_ID, RESOURCE_NAME, STATUS, VOLUME_TYPE
from otel_ovh.families.base import PROJECT, Attributes, Column, Family, Kind, Metric, Point, Scope
from otel_ovh.ovh.client import OvhApi
from otel_ovh.ovh.fields import GIB, Fields, Problems, iter_keyed

ROUTE = PROJECT + "/volume"


@dataclass(frozen=True, slots=True)
class Volume:
    id: str
    name: str
    region: str
    type: str
    status: str
    size_bytes: float | None
    attachments: int | None = None  # len(attachedTo); None when the answer did not say


def _attachments(item: Fields) -> int | None:
    """How many instances ``attachedTo`` names; an answer without a readable list says nothing (no
    series), rather than a 0 that would count the volume as idle."""
    value = item.raw("attachedTo")
    if value is None:
        return None
    if not isinstance(value, list):
        item.problems.add(f"{item.where}.attachedTo", "expected a list of instance ids")
        return None
    return sum(1 for instance in value if isinstance(instance, str) and instance)


def parse_volumes(body: object, problems: Problems) -> list[Volume]:
    volumes: list[Volume] = []
    for volume_id, item in iter_keyed(body, "volume", problems, "id"):
        size = item.number("size", scale=GIB, minimum=0)  # GB in OVH's words, GiB in OpenStack's
        volumes.append(
            Volume(
                id=volume_id,
                name=item.text("name") or "",
                region=item.text("region") or "",
                type=item.text("type") or "",
                status=item.status("status"),
                size_bytes=size,
                attachments=_attachments(item),
            )
        )
    return volumes


def _fetch(api: OvhApi, scope: Scope) -> tuple[Volume, ...]:
    return tuple(parse_volumes(api.get(ROUTE, scope.params()), scope.problems))


def _size(volumes: tuple[Volume, ...]) -> Iterable[Point]:
    for v in volumes:
        if v.size_bytes is not None:
            attributes: Attributes = {
                REGION.key: v.region,
                RESOURCE_ID.key: v.id,
                RESOURCE_NAME.key: v.name,
                VOLUME_TYPE.key: v.type,
                STATUS.key: v.status,
            }
            yield attributes, v.size_bytes


def _count(records: Sequence[Sequence[object] | None]) -> str:
    return str(sum(len(r or ()) for r in records))


def _attached(volumes: tuple[Volume, ...]) -> Iterable[Point]:
    for v in volumes:
        if v.attachments is not None:
            yield {REGION.key: v.region, RESOURCE_ID.key: v.id}, float(v.attachments)


FAMILY: Family[tuple[Volume, ...]] = Family(
    name="volumes",
    routes=(ROUTE,),
    fetch=_fetch,
    metrics=(
        Metric(
            name="ovh.cloud.volume.size",
            kind=Kind.GAUGE,
            unit="By",
            description="Provisioned size of each block volume.",
            attributes=(REGION, RESOURCE_ID, RESOURCE_NAME, VOLUME_TYPE, STATUS),
            source="`volume` (`size`, GiB)",
            points=_size,
        ),
        Metric(
            name="ovh.cloud.volume.attachments",
            kind=Kind.GAUGE,
            unit="{attachment}",
            description=(
                "Instances each block volume is attached to; 0 is an idle volume, billed all the same."
            ),
            attributes=(REGION, RESOURCE_ID),
            source="`volume` (`len(attachedTo)`)",
            points=_attached,
        ),
    ),
    columns=(Column("vol", lambda volumes: str(len(volumes or ())), total=_count),),
    narrow=lambda volumes, regions: tuple(v for v in volumes if regions.wanted(v.region)),
    regions_in_use=lambda volumes: (v.region for v in volumes),
)
