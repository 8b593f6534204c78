"""Family ``storage``: bytes and objects in each Swift container and S3 bucket.

Swift containers come in one call; S3 buckets region by region, only where the region offers object
storage (:class:`RegionServices` knows which, for a day).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from otel_ovh.families.attributes import REGION, RESOURCE_ID, STORAGE_KIND
from otel_ovh.families.base import PROJECT, Column, Family, Kind, Metric, Point, Regions, Scope
from otel_ovh.ovh.client import ApiError, OvhApi
from otel_ovh.ovh.fields import Fields, Problems, iter_keyed, plain_texts

SWIFT = PROJECT + "/storage"
REGIONS = PROJECT + "/region"
REGION_ROUTE = PROJECT + "/region/{regionName}"
S3 = PROJECT + "/region/{regionName}/storage"
REGION_SERVICES_TTL = 86_400.0  # seconds a region's list of services is trusted
# Answers meaning "no object storage in this region" rather than a failure (docs/ovh-api.md §4).
_NO_S3_STATUSES = frozenset({400, 404})
_ATTRS = (REGION, RESOURCE_ID, STORAGE_KIND)


@dataclass(frozen=True, slots=True)
class Bucket:
    """A Swift container or an S3 bucket: both are billed as object storage, by name."""

    name: str
    region: str
    kind: str  # "swift" or "s3"
    size_bytes: float | None
    objects: float | None


def parse_regions(body: object, problems: Problems) -> list[str]:
    return plain_texts(body, "region list", problems)


def _non_negative(fields: Fields, key: str) -> float | None:
    return fields.number(key, minimum=0)


def parse_swift_containers(body: object, problems: Problems) -> list[Bucket]:
    return [
        Bucket(
            name=name,
            region=item.text("region") or "",
            kind="swift",
            size_bytes=_non_negative(item, "storedBytes"),
            objects=_non_negative(item, "storedObjects"),
        )
        for name, item in iter_keyed(body, "storage", problems, "name")
    ]


def parse_s3_buckets(body: object, problems: Problems, region: str) -> list[Bucket]:
    return [
        Bucket(
            name=name,
            region=item.text("region") or region,
            kind="s3",
            size_bytes=_non_negative(item, "objectsSize"),
            objects=_non_negative(item, "objectsCount"),
        )
        for name, item in iter_keyed(body, f"region/{region}/storage", problems, "name")
    ]


class RegionServices:
    """Which regions of each project offer object storage, from ``GET .../region/{r}``, kept for a day.

    S3 buckets can only be listed region by region, and a project sees every region it may use, most of
    which offer no object storage; asking all of them on every refresh made this family most of a
    project's calls. A region's ``services`` (``cloud.Region.services``, never null) say whether it
    offers storage and change on OVH's time scale, not ours, so they are asked once a day and the
    refresh lists buckets only where storage is offered.

    Conservative on purpose, since a wrong "no" would hide buckets for a day: any service whose name starts
    with ``storage`` (Swift ``storage``, ``storage-s3-standard``, ``storage-s3-high-perf``) counts; an
    answer without a readable ``services`` list, or a refused detail call (a consumer key without that
    access rule), counts as "offers"; a transient failure is not remembered. Keyed by project as well as
    region, because the path is per project.
    """

    def __init__(self, ttl: float = REGION_SERVICES_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._known: dict[tuple[str, str], tuple[float, bool]] = {}

    def offers_object_storage(self, api: OvhApi, pid: str, region: str) -> bool:
        now = self._clock()
        with self._lock:
            known = self._known.get((pid, region))
        if known is not None and now - known[0] < self._ttl:
            return known[1]
        try:
            body = api.get(REGION_ROUTE, {"serviceName": pid, "regionName": region})
        except ApiError as error:
            if error.retryable:
                return True  # list this time; ask again next refresh
            offers = True
        else:
            offers = _offers_storage(body)
        with self._lock:
            # Forget what has expired (projects that went away) so that the table stays the size of the org.
            for key in [k for k, (at, _) in self._known.items() if now - at >= self._ttl]:
                del self._known[key]
            self._known[(pid, region)] = (now, offers)
        return offers


def _offers_storage(body: object) -> bool:
    services = body.get("services") if isinstance(body, dict) else None
    if not isinstance(services, list):
        return True  # cannot tell: list the region's buckets as if we had not asked
    return any(isinstance(s, dict) and str(s.get("name") or "").startswith("storage") for s in services)


# One table per OvhApi (one per exporter), gone with it; tests may put their own here (a fake clock).
REGION_SERVICES: weakref.WeakKeyDictionary[OvhApi, RegionServices] = weakref.WeakKeyDictionary()
_REGION_SERVICES_LOCK = threading.Lock()


def region_services(api: OvhApi) -> RegionServices:
    with _REGION_SERVICES_LOCK:
        table = REGION_SERVICES.get(api)
        if table is None:
            table = REGION_SERVICES[api] = RegionServices()
        return table


def _fetch(api: OvhApi, scope: Scope) -> tuple[Bucket, ...]:
    """Swift containers (one call) and S3 buckets (one call per wanted region that offers storage)."""
    pid = scope.project_id
    buckets = parse_swift_containers(api.get(SWIFT, scope.params()), scope.problems)
    regions = parse_regions(api.get(REGIONS, scope.params()), scope.problems)
    services = region_services(api)
    for region in regions:
        if not scope.region_wanted(region) or not services.offers_object_storage(api, pid, region):
            continue
        try:
            body = api.get(S3, scope.params(regionName=region))
        except ApiError as error:
            if error.status in _NO_S3_STATUSES:
                continue
            raise
        buckets.extend(parse_s3_buckets(body, scope.problems, region))
    return tuple(buckets)


def _points(which: str) -> Callable[[tuple[Bucket, ...]], Iterable[Point]]:
    def points(buckets: tuple[Bucket, ...]) -> Iterable[Point]:
        for b in buckets:
            value = b.size_bytes if which == "size" else b.objects
            if value is not None:
                yield (
                    {REGION.key: b.region, RESOURCE_ID.key: b.name, STORAGE_KIND.key: b.kind},
                    value,
                )

    return points


def _narrow(buckets: tuple[Bucket, ...], regions: Regions) -> tuple[Bucket, ...]:
    return tuple(b for b in buckets if regions.wanted(b.region))


def _count(records: Sequence[Sequence[object] | None]) -> str:
    return str(sum(len(r or ()) for r in records))


FAMILY: Family[tuple[Bucket, ...]] = Family(
    name="storage",
    routes=(
        SWIFT,
        REGIONS,
        REGION_ROUTE,  # once a day per region (RegionServices)
        S3,  # per region offering storage
    ),
    fetch=_fetch,
    metrics=(
        Metric(
            name="ovh.cloud.storage.size",
            kind=Kind.GAUGE,
            unit="By",
            description="Bytes stored in each Swift container or S3 bucket.",
            attributes=_ATTRS,
            source="`storage` (`storedBytes`) and `region/{r}/storage` (`objectsSize`)",
            points=_points("size"),
        ),
        Metric(
            name="ovh.cloud.storage.objects",
            kind=Kind.GAUGE,
            unit="{object}",
            description="Objects in each Swift container or S3 bucket.",
            attributes=_ATTRS,
            source="`storage` (`storedObjects`) and `region/{r}/storage` (`objectsCount`)",
            points=_points("objects"),
        ),
    ),
    columns=(Column("buckets", lambda buckets: str(len(buckets or ())), total=_count),),
    narrow=_narrow,
    regions_in_use=lambda buckets: (b.region for b in buckets),
)
