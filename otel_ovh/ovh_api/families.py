"""What each metric family asks of OVH: its calls, and the parsed data they give.

A family left out of ``collect.families`` makes none of its calls; this table is where that is decided,
and where the number of calls a refresh needs can be read (``ROUTES``).
"""

from __future__ import annotations

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


def _buckets(api: OvhApi, pid: str, problems: Problems, collect: CollectSettings) -> tuple[Bucket, ...]:
    """Swift containers (one call) and S3 buckets (one call per wanted region)."""
    buckets = parse_swift_containers(api.get(PROJECT + "/storage", {"serviceName": pid}), problems)
    regions = parse_regions(api.get(PROJECT + "/region", {"serviceName": pid}), problems)
    for region in regions:
        if not collect.region_wanted(region):
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
            (PROJECT + "/storage", PROJECT + "/region", PROJECT + "/region/{regionName}/storage"),
            _buckets,
        ),
    )
}


def calls_per_refresh(families: frozenset[str], s3_regions: int) -> int:
    """How many calls one project's refresh makes with these families (for docs and the benchmark)."""
    total = 0
    for name in families:
        for route in FAMILIES[name].routes:
            total += s3_regions if "{regionName}" in route else 1
    return total
