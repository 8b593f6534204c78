"""The metric catalog: every metric otel-ovh reports, assembled from the families' declarations.

Each family declares its metrics beside its parsing (``otel_ovh.families``); the exporter's own health
is declared here. Instruments (``telemetry``), the metric reference (``docs/metrics.md``, see
``metrics_doc``) and the tests all follow from this table.

Names are OpenTelemetry names; the Prometheus names of the public contract follow from them by the
Prometheus exporter's own rules (its name and unit mapping, then ``prometheus_client``'s unit suffix and
``_total``), so that the names documented are the names served.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from otel_ovh.collect.snapshot import ProjectData, ProjectState, Snapshot
from otel_ovh.export.memory import MemoryBudget
from otel_ovh.export.prometheus_internals import map_unit, sanitize_attribute, sanitize_full_name
from otel_ovh.families import FAMILIES
from otel_ovh.families.attributes import (
    ACCOUNT,
    ERROR_TYPE,
    FAMILY,
    HTTP_ROUTE,
    HTTP_STATUS,
    PROJECT_NAME,
    Attribute,
)
from otel_ovh.families.base import Attributes, Family, Kind, Metric, Point
from otel_ovh.ovh.client import CallStats
from otel_ovh.ovh.errors import REASONS

__all__ = ["BY_NAME", "CATALOG", "COMMON_ATTRIBUTES", "SELF_FAMILY", "Attributes", "Kind", "MetricDefinition"]

T = TypeVar("T")
ProjectPoints = Callable[[ProjectState, float], Iterable[Point]]  # (project, now) -> points
AccountPoints = Callable[[ProjectData], Iterable[Point]]  # the account-wide records -> points
AccountHealth = Callable[[Snapshot], Iterable[Point]]  # the account-wide families' health -> points


@dataclass(frozen=True)
class ExporterState:
    """What the exporter's own metrics read that is not per project."""

    stats: CallStats
    memory: MemoryBudget


ExporterPoints = Callable[[ExporterState], Iterable[Point]]

# On every OVH series: which project it belongs to. Per-project labels from the settings are added too.
COMMON_ATTRIBUTES = (ACCOUNT, PROJECT_NAME)

SELF_FAMILY = "self"  # the exporter's own health: always on, costs no OVH call


def prometheus_metric_name(name: str, unit: str, kind: Kind) -> str:
    """The exposition name, as the Prometheus exporter derives it from the instrument."""
    family_type = CounterMetricFamily if kind is Kind.COUNTER else GaugeMetricFamily
    family = family_type(sanitize_full_name(name), "", unit=map_unit(unit))
    return f"{family.name}_total" if kind is Kind.COUNTER else family.name


def prometheus_label(key: str) -> str:
    return sanitize_attribute(key)


COMMON_PROMETHEUS_LABELS = tuple(prometheus_label(a.key) for a in COMMON_ATTRIBUTES)


@dataclass(frozen=True, kw_only=True)
class MetricDefinition:
    name: str
    kind: Kind
    unit: str
    description: str
    family: str
    attributes: tuple[Attribute, ...]
    source: str
    project_points: ProjectPoints | None = None
    account_points: AccountPoints | None = None  # an account-wide family's: no project labels
    exporter_points: ExporterPoints | None = None
    account_health: AccountHealth | None = None  # the account-wide families' health: no project labels
    point_unit: Callable[[Mapping[str, object]], str] | None = None
    # Exported only once something failed: a healthy run has no series of it, by design (a counter of
    # failures by cause cannot be zero-filled without a series per route and cause).
    only_on_failure: bool = False

    def unit_of(self, attributes: Mapping[str, object]) -> str:
        return self.point_unit(attributes) if self.point_unit else self.unit

    @property
    def per_project(self) -> bool:
        return self.project_points is not None

    @property
    def from_snapshot(self) -> bool:
        """Read from the snapshot of OVH data (per project or account-wide), not the exporter's state."""
        return any(p is not None for p in (self.project_points, self.account_points, self.account_health))

    @property
    def prometheus_name(self) -> str:
        return prometheus_metric_name(self.name, self.unit, self.kind)

    @property
    def prometheus_labels(self) -> tuple[str, ...]:
        common = COMMON_ATTRIBUTES if self.per_project else ()
        return tuple(prometheus_label(a.key) for a in (*common, *self.attributes))


def _bind(family: Family[T], metric: Metric[T]) -> MetricDefinition:
    """A family's metric, read from each project's record of that family."""

    def points(project: ProjectState, _: float) -> Iterable[Point]:
        record = project.data.get(family)
        return () if record is None else metric.points(record)

    def account_points(account: ProjectData) -> Iterable[Point]:
        record = account.get(family)
        return () if record is None else metric.points(record)

    return MetricDefinition(
        name=metric.name,
        kind=metric.kind,
        unit=metric.unit,
        description=metric.description,
        family=family.name,
        attributes=metric.attributes,
        source=metric.source,
        project_points=None if family.account else points,
        account_points=account_points if family.account else None,
        point_unit=metric.point_unit,
    )


# --------------------------------------------------------------------------------------------------
# The exporter's own health


def _success(project: ProjectState, _: float) -> Iterable[Point]:
    yield {}, 1.0 if project.success else 0.0


def _account_success(snapshot: Snapshot) -> Iterable[Point]:
    """Per account-wide family fetched or failed: 1 if its last fetch succeeded, else 0."""
    answered = {family.name for family, _ in snapshot.account.items()}
    for name in sorted(answered | set(snapshot.account_failures)):
        yield {FAMILY.key: name}, 0.0 if name in snapshot.account_failures else 1.0


def _fetched(project: ProjectState, _: float) -> Iterable[Point]:
    for name, at in project.fetched_at.items():
        yield {FAMILY.key: name}, at


def _due(project: ProjectState, _: float) -> Iterable[Point]:
    for name, seconds in project.due_after.items():
        at = project.fetched_at.get(name)
        if at is not None:
            yield {FAMILY.key: name}, at + seconds


def _duration(project: ProjectState, _: float) -> Iterable[Point]:
    if project.duration is not None:
        yield {}, project.duration


def _api_requests(state: ExporterState) -> Iterable[Point]:
    for (route, status), count in state.stats.snapshot().items():
        yield {HTTP_ROUTE.key: route, HTTP_STATUS.key: status}, float(count)


def _api_failures(state: ExporterState) -> Iterable[Point]:
    for (route, reason), count in state.stats.failures().items():
        yield {HTTP_ROUTE.key: route, ERROR_TYPE.key: reason}, float(count)


def _memory_limit(state: ExporterState) -> Iterable[Point]:
    if state.memory.limit is not None:
        yield {}, float(state.memory.limit)


def _memory_estimate(state: ExporterState) -> Iterable[Point]:
    yield {}, float(state.memory.estimate)


_self = partial(MetricDefinition, family=SELF_FAMILY, attributes=())


SELF_METRICS = (
    _self(
        name="otel_ovh.collection.success",
        kind=Kind.GAUGE,
        unit="{success}",
        description="1 if the last refresh of the project fetched every enabled family, else 0.",
        source="the refresher",
        project_points=_success,
    ),
    _self(
        name="otel_ovh.account.collection.success",
        kind=Kind.GAUGE,
        unit="{success}",
        description=(
            "Per account-wide family (`account`, `catalog`): 1 if its last fetch succeeded, else 0. Once OVH "
            "refused the key its calls (not permitted, said once in the log), it stays 0 until a reload. "
            "No project labels."
        ),
        source="the refresher",
        account_health=_account_success,
        attributes=(FAMILY,),
    ),
    _self(
        name="otel_ovh.data.fetched_timestamp",
        kind=Kind.GAUGE,
        unit="s",
        description=(
            "When the data served for the project was fetched, per family, as a Unix timestamp: "
            "time() minus it is the data's age, which grows while OVH fails, until "
            "collect.max_staleness past otel_ovh.data.due_timestamp."
        ),
        source="the refresher",
        project_points=_fetched,
        attributes=(FAMILY,),
    ),
    _self(
        name="otel_ovh.data.due_timestamp",
        kind=Kind.GAUGE,
        unit="s",
        description=(
            "When the family's data is due to be fetched again, as a Unix timestamp: the fetch plus its "
            "cadence (collect.cadence), or later when OVH's answer says nothing new can come before. "
            "Data served past it is overdue."
        ),
        source="the refresher",
        project_points=_due,
        attributes=(FAMILY,),
    ),
    _self(
        name="otel_ovh.collection.duration",
        kind=Kind.GAUGE,
        unit="s",
        description="How long the last refresh of the project took.",
        source="the refresher",
        project_points=_duration,
    ),
    _self(
        name="otel_ovh.api.requests",
        kind=Kind.COUNTER,
        unit="{request}",
        description=(
            "OVH API calls made, by route template and HTTP status (0: no answer, such as a timeout)."
        ),
        source="every OVH call",
        exporter_points=_api_requests,
        attributes=(HTTP_ROUTE, HTTP_STATUS),
    ),
    _self(
        name="otel_ovh.api.failures",
        kind=Kind.COUNTER,
        unit="{request}",
        description="OVH API calls that brought no usable answer, by route template and why: "
        + ", ".join(REASONS)
        + " (the first four: OVH is unreachable). No series until a call fails.",
        source="every OVH call",
        exporter_points=_api_failures,
        attributes=(HTTP_ROUTE, ERROR_TYPE),
        only_on_failure=True,
    ),
    _self(
        name="otel_ovh.memory.limit",
        kind=Kind.GAUGE,
        unit="By",
        description=(
            "Memory limit of the process's cgroup (absent when there is none); see telemetry.cgroup_root."
        ),
        source="cgroup `memory.max` (v2) or `memory.limit_in_bytes` (v1)",
        exporter_points=_memory_limit,
    ),
    _self(
        name="otel_ovh.memory.estimate",
        kind=Kind.GAUGE,
        unit="By",
        description=(
            "Peak memory the series now served are expected to need, by the sizing rule of "
            "docs/scaling.md; a WARNING is logged once it passes 80% of otel_ovh_memory_limit_bytes."
        ),
        source="the series counted after each refresh",
        exporter_points=_memory_estimate,
    ),
)

CATALOG: tuple[MetricDefinition, ...] = (
    *(_bind(family, metric) for family in FAMILIES for metric in family.metrics),
    *SELF_METRICS,
)

BY_NAME: Mapping[str, MetricDefinition] = {m.name: m for m in CATALOG}
