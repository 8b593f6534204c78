"""The metric catalog: every metric otel-ovh reports, defined once.

Each entry says what the metric is (name, kind, unit, description, attributes), which family feeds it
and where OVH's figure comes from, and how to read its points from a project's data. Instruments
(``telemetry``), the metric reference (``docs/metrics.md``, see ``metrics_doc``) and the tests all
follow from this table; a metric is added or changed here and nowhere else.

Names are OpenTelemetry names; the Prometheus names of the public contract follow from them by the
exporter's rules (dots to ``_``, unit suffix, ``_total`` on counters), see :attr:`prometheus_name`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from otel_ovh.ovh_api.client import CallStats
from otel_ovh.ovh_api.models import Charge, Consumption
from otel_ovh.snapshot import ProjectState

Attributes = dict[str, str | int]
Point = tuple[Attributes, float]
ProjectPoints = Callable[[ProjectState, float], Iterable[Point]]  # (project, now) -> points
ExporterPoints = Callable[[CallStats], Iterable[Point]]


class Kind(enum.Enum):
    COUNTER = "counter"  # month-to-date totals: restart with the billing period (a counter reset)
    GAUGE = "gauge"


# On every OVH series: which project it belongs to. Per-project labels from the settings are added too.
COMMON_ATTRIBUTES = ("cloud.account.id", "ovh.project.name")

SELF_FAMILY = "self"  # the exporter's own health: always on, costs no OVH call


@dataclass(frozen=True)
class MetricDefinition:
    name: str
    kind: Kind
    unit: str
    description: str
    family: str
    attributes: tuple[str, ...]
    source: str
    project_points: ProjectPoints | None = None
    exporter_points: ExporterPoints | None = None

    @property
    def per_project(self) -> bool:
        return self.project_points is not None

    @property
    def prometheus_name(self) -> str:
        return prometheus_metric_name(self.name, self.unit, self.kind)

    @property
    def prometheus_labels(self) -> tuple[str, ...]:
        common = COMMON_ATTRIBUTES if self.per_project else ()
        return tuple(prometheus_label(key) for key in (*common, *self.attributes))


_UNIT_SUFFIXES = {"By": "bytes", "s": "seconds"}


def prometheus_metric_name(name: str, unit: str, kind: Kind) -> str:
    """The exposition name, by the OpenTelemetry-to-Prometheus rules the Prometheus exporter applies."""
    base = re.sub(r"[^a-zA-Z0-9:]+", "_", name)
    suffix = _UNIT_SUFFIXES.get(unit, "")  # "{annotation}" units add none
    if suffix and not base.endswith(suffix):
        base = f"{base}_{suffix}"
    return f"{base}_total" if kind is Kind.COUNTER else base


def prometheus_label(key: str) -> str:
    return re.sub(r"[^a-zA-Z0-9]+", "_", key)


COMMON_PROMETHEUS_LABELS = tuple(prometheus_label(key) for key in COMMON_ATTRIBUTES)


# --------------------------------------------------------------------------------------------------
# Reading points from a project's data


def _usage_attributes(item: Charge | Consumption) -> Attributes:
    return {
        "cloud.region": item.region,
        "ovh.service": item.service,
        "ovh.sku": item.sku,
        "cloud.resource_id": item.resource_id,
        "ovh.billing": item.billing,
    }


def _cost(project: ProjectState, _: float) -> Iterable[Point]:
    usage = project.data.usage
    if usage is None:
        return
    currency = usage.currency or "unknown"
    for c in usage.charges:
        yield {**_usage_attributes(c), "ovh.currency": currency}, c.price


def _consumption(unit: str) -> ProjectPoints:
    def points(project: ProjectState, _: float) -> Iterable[Point]:
        usage = project.data.usage
        for c in usage.consumption if usage else ():
            if c.unit == unit:
                yield _usage_attributes(c), c.value

    return points


def _transfer(project: ProjectState, _: float) -> Iterable[Point]:
    usage = project.data.usage
    for t in usage.transfers if usage else ():
        yield (
            {
                "cloud.region": t.region,
                "ovh.service": t.service,
                "cloud.resource_id": t.resource_id,
                "network.io.direction": t.direction,
                "ovh.network.scope": t.scope,
            },
            t.bytes,
        )


def _forecast(project: ProjectState, _: float) -> Iterable[Point]:
    forecast = project.data.forecast
    if forecast is not None:
        yield {"ovh.currency": forecast.currency or "unknown"}, forecast.total


def _period_start(project: ProjectState, _: float) -> Iterable[Point]:
    usage = project.data.usage
    if usage is not None and usage.period_start is not None:
        yield {}, usage.period_start


def _quota(which: str) -> ProjectPoints:
    def points(project: ProjectState, _: float) -> Iterable[Point]:
        for q in project.data.quotas or ():
            value = q.limit if which == "limit" else q.usage
            if value is not None:
                yield {"cloud.region": q.region, "ovh.quota": q.quota}, value

    return points


def _instance(which: str) -> ProjectPoints:
    def points(project: ProjectState, _: float) -> Iterable[Point]:
        for i in project.data.instances or ():
            flavor = i.flavor
            value = None if flavor is None else flavor.vcpus if which == "vcpus" else flavor.memory_bytes
            if value is not None and flavor is not None:
                yield (
                    {
                        "cloud.region": i.region,
                        "cloud.resource_id": i.id,
                        "ovh.resource.name": i.name,
                        "ovh.sku": flavor.name,
                        "ovh.status": i.status,
                    },
                    value,
                )

    return points


def _volume_size(project: ProjectState, _: float) -> Iterable[Point]:
    for v in project.data.volumes or ():
        if v.size_bytes is not None:
            yield (
                {
                    "cloud.region": v.region,
                    "cloud.resource_id": v.id,
                    "ovh.resource.name": v.name,
                    "ovh.volume.type": v.type,
                    "ovh.status": v.status,
                },
                v.size_bytes,
            )


def _storage(which: str) -> ProjectPoints:
    def points(project: ProjectState, _: float) -> Iterable[Point]:
        for b in project.data.buckets or ():
            value = b.size_bytes if which == "size" else b.objects
            if value is not None:
                yield (
                    {"cloud.region": b.region, "cloud.resource_id": b.name, "ovh.storage.kind": b.kind},
                    value,
                )

    return points


def _project_info(project: ProjectState, _: float) -> Iterable[Point]:
    info = project.data.info
    if info is not None:
        yield {"ovh.status": info.status, "ovh.plan": info.plan_code}, 1.0


def _success(project: ProjectState, _: float) -> Iterable[Point]:
    yield {}, 1.0 if project.success else 0.0


def _data_age(project: ProjectState, now: float) -> Iterable[Point]:
    age = project.data_age(now)
    if age is not None:
        yield {}, max(0.0, age)


def _duration(project: ProjectState, _: float) -> Iterable[Point]:
    if project.duration is not None:
        yield {}, project.duration


def _api_requests(stats: CallStats) -> Iterable[Point]:
    for (route, status), count in stats.snapshot().items():
        yield {"http.route": route, "http.response.status_code": status}, float(count)


# --------------------------------------------------------------------------------------------------
# The catalog

_USAGE_ATTRS = ("cloud.region", "ovh.service", "ovh.sku", "cloud.resource_id", "ovh.billing")
_INSTANCE_ATTRS = ("cloud.region", "cloud.resource_id", "ovh.resource.name", "ovh.sku", "ovh.status")
_STORAGE_ATTRS = ("cloud.region", "cloud.resource_id", "ovh.storage.kind")
_USAGE_SOURCE = "`usage/current`: hourlyUsage, monthlyUsage, resourcesUsage lines, per detail"

CATALOG: tuple[MetricDefinition, ...] = (
    MetricDefinition(
        "ovh.cloud.cost",
        Kind.COUNTER,
        "{currency}",
        "Month-to-date cost, at the finest level OVH itemises (instance, volume, bucket...). "
        "Resets when the billing period starts; the sum per project equals OVH's usage total.",
        "cost",
        (*_USAGE_ATTRS, "ovh.currency"),
        _USAGE_SOURCE + " (`totalPrice`)",
        _cost,
    ),
    MetricDefinition(
        "ovh.cloud.usage",
        Kind.COUNTER,
        "s",
        "Month-to-date time of use behind the cost (instances, options, services billed by the hour); "
        "divide by 3600 for OVH's hours.",
        "cost",
        _USAGE_ATTRS,
        _USAGE_SOURCE + " (`quantity` in Hour, Minute or Second)",
        _consumption("seconds"),
    ),
    MetricDefinition(
        "ovh.cloud.usage.byte_seconds",
        Kind.COUNTER,
        "{By.s}",
        "Month-to-date storage over time behind the cost (volumes, snapshots, stored object storage); "
        "divide by 2^30*3600 for OVH's GiB-hours.",
        "cost",
        _USAGE_ATTRS,
        _USAGE_SOURCE + " (`quantity` in GiBh)",
        _consumption("byte_seconds"),
    ),
    MetricDefinition(
        "ovh.cloud.transfer",
        Kind.COUNTER,
        "By",
        "Month-to-date network transfer billed or metered by OVH (instance and object-storage bandwidth).",
        "cost",
        ("cloud.region", "ovh.service", "cloud.resource_id", "network.io.direction", "ovh.network.scope"),
        "`usage/current`: instanceBandwidth and storage bandwidth quantities (GiB, converted to bytes)",
        _transfer,
    ),
    MetricDefinition(
        "ovh.cloud.cost.forecast",
        Kind.GAUGE,
        "{currency}",
        "OVH's estimate of the cost for the whole billing period.",
        "forecast",
        ("ovh.currency",),
        "`usage/forecast` `totalPrice` (sum of its lines on older answers)",
        _forecast,
    ),
    MetricDefinition(
        "ovh.cloud.billing_period.start_timestamp",
        Kind.GAUGE,
        "s",
        "Start of the current billing period, as a Unix timestamp.",
        "cost",
        (),
        "`usage/current` `period.from`",
        _period_start,
    ),
    MetricDefinition(
        "ovh.cloud.quota.limit",
        Kind.GAUGE,
        "{quota}",
        "Quota limit per region; sizes in bytes. Unlimited quotas (-1) are not reported.",
        "quota",
        ("cloud.region", "ovh.quota"),
        "`quota` (`max*` fields; RAM MiB, volume GiB)",
        _quota("limit"),
    ),
    MetricDefinition(
        "ovh.cloud.quota.usage",
        Kind.GAUGE,
        "{quota}",
        "Quota usage per region; sizes in bytes.",
        "quota",
        ("cloud.region", "ovh.quota"),
        "`quota` (`used*` fields; RAM MiB, volume GiB)",
        _quota("usage"),
    ),
    MetricDefinition(
        "ovh.cloud.instance.vcpus",
        Kind.GAUGE,
        "{vcpu}",
        "vCPUs of each instance, from its flavor.",
        "instances",
        _INSTANCE_ATTRS,
        "`instance` joined with `flavor` (`vcpus`)",
        _instance("vcpus"),
    ),
    MetricDefinition(
        "ovh.cloud.instance.memory",
        Kind.GAUGE,
        "By",
        "Memory of each instance, from its flavor.",
        "instances",
        _INSTANCE_ATTRS,
        "`instance` joined with `flavor` (`ram`, GiB)",
        _instance("memory"),
    ),
    MetricDefinition(
        "ovh.cloud.volume.size",
        Kind.GAUGE,
        "By",
        "Provisioned size of each block volume.",
        "volumes",
        ("cloud.region", "cloud.resource_id", "ovh.resource.name", "ovh.volume.type", "ovh.status"),
        "`volume` (`size`, GiB)",
        _volume_size,
    ),
    MetricDefinition(
        "ovh.cloud.storage.size",
        Kind.GAUGE,
        "By",
        "Bytes stored in each Swift container or S3 bucket.",
        "storage",
        _STORAGE_ATTRS,
        "`storage` (`storedBytes`) and `region/{r}/storage` (`objectsSize`)",
        _storage("size"),
    ),
    MetricDefinition(
        "ovh.cloud.storage.objects",
        Kind.GAUGE,
        "{object}",
        "Objects in each Swift container or S3 bucket.",
        "storage",
        _STORAGE_ATTRS,
        "`storage` (`storedObjects`) and `region/{r}/storage` (`objectsCount`)",
        _storage("objects"),
    ),
    MetricDefinition(
        "ovh.cloud.project.info",
        Kind.GAUGE,
        "{info}",
        "Always 1; carries the project's status and plan.",
        "project",
        ("ovh.status", "ovh.plan"),
        "`cloud/project/{id}` (`status`, `planCode`)",
        _project_info,
    ),
    MetricDefinition(
        "otel_ovh.collection.success",
        Kind.GAUGE,
        "{success}",
        "1 if the last refresh of the project fetched every enabled family, else 0.",
        SELF_FAMILY,
        (),
        "the refresher",
        _success,
    ),
    MetricDefinition(
        "otel_ovh.data.age",
        Kind.GAUGE,
        "s",
        "Age of the oldest data served for the project; grows while OVH fails, until collect.max_staleness.",
        SELF_FAMILY,
        (),
        "the refresher",
        _data_age,
    ),
    MetricDefinition(
        "otel_ovh.collection.duration",
        Kind.GAUGE,
        "s",
        "How long the last refresh of the project took.",
        SELF_FAMILY,
        (),
        "the refresher",
        _duration,
    ),
    MetricDefinition(
        "otel_ovh.api.requests",
        Kind.COUNTER,
        "{request}",
        "OVH API calls made, by route template and HTTP status (0: no answer, such as a timeout).",
        SELF_FAMILY,
        ("http.route", "http.response.status_code"),
        "every OVH call",
        exporter_points=_api_requests,
    ),
)

BY_NAME: Mapping[str, MetricDefinition] = {m.name: m for m in CATALOG}


def find(name: str) -> MetricDefinition | None:
    """Look a metric up by its OpenTelemetry or its Prometheus name (settings accept either)."""
    return BY_NAME.get(name) or next((m for m in CATALOG if m.prometheus_name == name), None)
