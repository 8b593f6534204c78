"""What each metric family asks of OVH: its calls, and the parsed data they give.

A family left out of ``collect.families`` makes none of its calls; this table is where that is decided,
and where the number of calls a refresh needs can be read (``FAMILIES[...].routes``, ``calls_per_refresh``).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from otel_ovh.config import CollectSettings
from otel_ovh.ovh_api.client import ApiError, OvhApi
from otel_ovh.ovh_api.fields import Problems
from otel_ovh.ovh_api.models import Bucket, Forecast, Instance, ProjectInfo, Quota, Usage, Volume
from otel_ovh.ovh_api.parsing import (
    parse_flavors,
    parse_forecast,
    parse_instances,
    parse_project,
    parse_quotas,
    parse_regions,
    parse_s3_buckets,
    parse_swift_containers,
    parse_usage,
    parse_volumes,
)

PROJECT = "/cloud/project/{serviceName}"
PROJECTS = "/cloud/project"

# Answers meaning "no object storage in this region" rather than a failure (REFERENCE §3.9).
_NO_S3_STATUSES = frozenset({400, 404})
REGION_SERVICES_TTL = 86_400.0  # seconds a region's list of services is trusted


@dataclass(frozen=True)
class ProjectData:
    """The last good data of each family for one project; None where a family is off or never fetched."""

    info: ProjectInfo | None = None
    usage: Usage | None = None
    forecast: Forecast | None = None
    quotas: tuple[Quota, ...] | None = None
    instances: tuple[Instance, ...] | None = None
    volumes: tuple[Volume, ...] | None = None
    buckets: tuple[Bucket, ...] | None = None

    def with_family(self, family: str, value: Any) -> ProjectData:
        return replace(self, **{FAMILIES[family].field: value})

    def without_family(self, family: str) -> ProjectData:
        return replace(self, **{FAMILIES[family].field: None})


Fetch = Callable[[OvhApi, str, Problems, CollectSettings], Any]


@dataclass(frozen=True)
class Family:
    name: str
    field: str  # the ProjectData field it fills
    routes: tuple[str, ...]  # the calls it makes; "{regionName}" ones once per region
    fetch: Fetch


def _project(api: OvhApi, pid: str, problems: Problems, _: CollectSettings) -> ProjectInfo:
    return parse_project(api.get(PROJECT, {"serviceName": pid}), problems, pid)


def _usage(api: OvhApi, pid: str, problems: Problems, _: CollectSettings) -> Usage:
    return parse_usage(api.get(PROJECT + "/usage/current", {"serviceName": pid}), problems)


def _forecast(api: OvhApi, pid: str, problems: Problems, _: CollectSettings) -> Forecast | None:
    return parse_forecast(api.get(PROJECT + "/usage/forecast", {"serviceName": pid}), problems)


def _quotas(api: OvhApi, pid: str, problems: Problems, _: CollectSettings) -> tuple[Quota, ...]:
    return tuple(parse_quotas(api.get(PROJECT + "/quota", {"serviceName": pid}), problems))


def _instances(api: OvhApi, pid: str, problems: Problems, _: CollectSettings) -> tuple[Instance, ...]:
    """Instances joined with flavors: list answers name a flavorId but carry no vCPU or RAM figures."""
    instances = parse_instances(api.get(PROJECT + "/instance", {"serviceName": pid}), problems)
    flavors = {f.id: f for f in parse_flavors(api.get(PROJECT + "/flavor", {"serviceName": pid}), problems)}
    joined = []
    for instance in instances:
        flavor = instance.flavor or (flavors.get(instance.flavor_id) if instance.flavor_id else None)
        if flavor is None:
            problems.add(f"instance {instance.id}", f"unknown flavor {instance.flavor_id!r}; no vCPU/RAM")
        joined.append(replace(instance, flavor=flavor))
    return tuple(joined)


def _volumes(api: OvhApi, pid: str, problems: Problems, _: CollectSettings) -> tuple[Volume, ...]:
    return tuple(parse_volumes(api.get(PROJECT + "/volume", {"serviceName": pid}), problems))


class RegionServices:
    """Which regions of each project offer object storage, from ``GET .../region/{r}``, kept for a day.

    S3 buckets can only be listed region by region, and a project sees every region it may use: in the
    simulator 9, of which 2 offer object storage. Asking all of them on every refresh made the storage
    family 11 of a project's 18 calls. A region's ``services`` (``cloud.Region.services``, never null) say
    whether it offers storage and change on OVH's time scale, not ours, so they are asked once a day and
    the refresh lists buckets only where storage is offered: 4 storage calls instead of 11.

    Conservative on purpose, since a wrong "no" would hide buckets for a day: any service whose name starts
    with ``storage`` (Swift ``storage``, ``storage-s3-standard``, ``storage-s3-high-perf``) counts; an
    answer without a readable ``services`` list, or a refused detail call (a consumer key without that
    access rule), counts as "offers", which is the old behaviour; a transient failure is not remembered.
    Keyed by project as well as region, because the path is per project.
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
            body = api.get(PROJECT + "/region/{regionName}", {"serviceName": pid, "regionName": region})
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


def _buckets(api: OvhApi, pid: str, problems: Problems, collect: CollectSettings) -> tuple[Bucket, ...]:
    """Swift containers (one call) and S3 buckets (one call per wanted region that offers storage)."""
    buckets = parse_swift_containers(api.get(PROJECT + "/storage", {"serviceName": pid}), problems)
    regions = parse_regions(api.get(PROJECT + "/region", {"serviceName": pid}), problems)
    services = region_services(api)
    for region in regions:
        if not collect.region_wanted(region) or not services.offers_object_storage(api, pid, region):
            continue
        try:
            body = api.get(
                PROJECT + "/region/{regionName}/storage", {"serviceName": pid, "regionName": region}
            )
        except ApiError as error:
            if error.status in _NO_S3_STATUSES:
                continue
            raise
        buckets.extend(parse_s3_buckets(body, problems, region))
    return tuple(buckets)


FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        Family("project", "info", (PROJECT,), _project),
        Family("cost", "usage", (PROJECT + "/usage/current",), _usage),
        Family("forecast", "forecast", (PROJECT + "/usage/forecast",), _forecast),
        Family("quota", "quotas", (PROJECT + "/quota",), _quotas),
        Family("instances", "instances", (PROJECT + "/instance", PROJECT + "/flavor"), _instances),
        Family("volumes", "volumes", (PROJECT + "/volume",), _volumes),
        Family(
            "storage",
            "buckets",
            (
                PROJECT + "/storage",
                PROJECT + "/region",
                PROJECT + "/region/{regionName}",  # once a day per region (RegionServices)
                PROJECT + "/region/{regionName}/storage",  # per region offering storage
            ),
            _buckets,
        ),
    )
}


def calls_per_refresh(families: frozenset[str], storage_regions: int, regions: int = 0) -> int:
    """Calls one project's refresh makes with these families (for docs and the benchmark).

    ``storage_regions``: wanted regions offering object storage (one bucket listing each); ``regions``:
    wanted regions whose services are not known yet (one detail call each, once a day; 0 when warm).
    """
    total = 0
    for name in families:
        for route in FAMILIES[name].routes:
            if route.endswith("/region/{regionName}"):
                total += regions
            elif "{regionName}" in route:
                total += storage_regions
            else:
                total += 1
    return total
