"""The OpenTelemetry pieces ``telemetry`` assembles: one pipeline (meter provider, readers, one observable
instrument per catalog entry), the observations instruments read from a snapshot, and process metrics.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.context import Context
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import (
    Exemplar,
    ExemplarReservoir,
    MeterProvider,
    ObservableCounter,
    ObservableGauge,
)
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import View
from opentelemetry.sdk.resources import Resource
from prometheus_client import CollectorRegistry

from otel_ovh import __version__
from otel_ovh.collect.outages import OutageLog
from otel_ovh.collect.snapshot import ProjectState, Snapshot
from otel_ovh.export.catalog import (
    CATALOG,
    SELF_FAMILY,
    Attributes,
    Kind,
    MetricDefinition,
)
from otel_ovh.export.otlp.delta import DeltaState
from otel_ovh.export.otlp.exporter import build_otlp_exporter
from otel_ovh.export.prometheus_internals import MetricByMetricReader, StandardProcessReader
from otel_ovh.export.sdk_internals import compact_attribute_keys
from otel_ovh.families.attributes import ACCOUNT, PROJECT_NAME
from otel_ovh.ovh.fields import encodable
from otel_ovh.settings.config import Settings

log = logging.getLogger(__name__)

# Before any instrument stores an attribute set: a set stored under both key forms would be two series.
compact_attribute_keys()

SCOPE = "otel_ovh"

# Process metrics on OTLP: the OpenTelemetry system-metrics instrumentation, semantic-convention names.
PROCESS_METRICS = {
    "process.cpu.time": ["user", "system"],
    "process.memory.usage": None,
    "process.memory.virtual": None,
    "process.open_file_descriptor.count": None,
    "process.thread.count": None,
    "cpython.gc.collections": None,
}


# The instrumentation reports the GC generation twice, as ``cpython.gc.generation`` (semantic conventions)
# and as the older ``generation`` it keeps for a while: one label is enough.
ONE_GC_GENERATION_LABEL = ("cpython.gc.collections", {"cpython.gc.generation"})


def build_resource(settings: Settings) -> Resource:
    """What produced the data: the attributes ``load_settings`` resolved (``settings.resource``)."""
    return Resource(dict(settings.resource_attributes))


def enabled_metrics(settings: Settings) -> list[MetricDefinition]:
    disabled = settings.telemetry.disabled_metrics
    return [
        m
        for m in CATALOG
        if (m.family == SELF_FAMILY or m.family in settings.collect.families)
        and m.name not in disabled
        and m.prometheus_name not in disabled
    ]


def project_attributes(project: ProjectState) -> dict[str, str | int]:
    attributes: dict[str, str | int] = dict(project.labels)
    attributes[ACCOUNT.key] = project.project_id
    attributes[PROJECT_NAME.key] = project.name
    return attributes


def observations(metric: MetricDefinition, snapshot: Snapshot, now: float) -> list[Observation]:
    return list(iter_observations(metric, snapshot, now))


def iter_observations(metric: MetricDefinition, snapshot: Snapshot, now: float) -> Iterator[Observation]:
    """The points of ``metric`` one at a time: the SDK consumes each as it comes, so a collection never
    holds every point of a snapshot at once (they would outweigh the SDK's own storage at its peak)."""
    dropped = 0
    if metric.account_points is not None:
        for attributes, value in metric.account_points(snapshot.account):
            if _exportable(value):
                yield Observation(value, without_empty(safe_attributes(attributes)))
        return
    if metric.account_health is not None:
        for attributes, value in metric.account_health(snapshot):
            yield Observation(value, attributes)
        return
    assert metric.project_points is not None
    for project in snapshot.projects.values():
        common = safe_attributes(project_attributes(project))
        for attributes, value in metric.project_points(project, now):
            if not _exportable(value):
                dropped += 1
                continue
            yield Observation(value, without_empty({**common, **safe_attributes(attributes)}))
    if dropped:
        _UNSAFE.failed(metric.name, f"{metric.name}: {dropped} point(s) that are not finite numbers dropped")
    else:
        _UNSAFE.recovered(metric.name, f"{metric.name}: every point is a finite number again")


# Defence in depth: parsing drops what cannot be served (``otel_ovh.ovh.fields``), but a value that
# slipped through would fail a whole render (a text no UTF-8 encoder takes) or an OTLP export (an integer
# beyond 64 bits), so every point is checked once more here, where both readers' points are made.
_INT64 = 2**63
_UNSAFE = OutageLog(log)


def _exportable(value: float | int) -> bool:
    try:
        return math.isfinite(value) and (type(value) is not int or -_INT64 <= value < _INT64)
    except OverflowError:
        return False


def safe_attributes(attributes: Attributes) -> Attributes:
    """``attributes``, with any text that UTF-8 cannot encode escaped (``\\ud800``) rather than lost."""
    if all(type(v) is not str or v.isascii() or encodable(v) for v in attributes.values()):
        return attributes
    return {
        key: value.encode("utf-8", "backslashreplace").decode() if isinstance(value, str) else value
        for key, value in attributes.items()
    }


def without_empty(attributes: dict[str, str | int]) -> dict[str, str | int]:
    """An empty value is no label to Prometheus, and an attribute saying nothing to OTLP: left out, so
    both show the series as stored. No two series merge: every point of a metric has the same keys, so
    points differing by a key's value still differ once the empty ones are gone."""
    return {key: value for key, value in attributes.items() if value != ""}


class _NoExemplars(ExemplarReservoir):
    """Observable callbacks run without a trace context, so their points never carry exemplars; the SDK's
    default reservoir still costs a lock and a dict per attribute set. This one is
    stateless, so all attribute sets share it."""

    def offer(self, value: float, time_unix_nano: int, attributes: Any, context: Context) -> None:
        return None

    def collect(self, point_attributes: Any) -> list[Exemplar]:
        return []


_NO_EXEMPLARS = _NoExemplars()
NO_EXEMPLARS_VIEW = View(instrument_name="*", exemplar_reservoir_factory=lambda _: lambda **__: _NO_EXEMPLARS)


@dataclass
class Readers:
    prometheus: PrometheusMetricReader | None
    registry: CollectorRegistry | None
    others: list[MetricReader] = field(default_factory=list)

    def all(self) -> list[MetricReader]:
        return ([self.prometheus] if self.prometheus else []) + self.others


def _prometheus_reader(
    target_info: bool, limits: dict[type, int], metric_by_metric: bool, standard_process: bool
) -> tuple[PrometheusMetricReader, CollectorRegistry]:
    """A reader on a registry of its own: two readers on the global one would expose every family twice."""
    registry = CollectorRegistry(auto_describe=False)
    reader = (
        MetricByMetricReader
        if metric_by_metric
        else StandardProcessReader
        if standard_process
        else PrometheusMetricReader
    )
    prometheus = reader(
        disable_target_info=not target_info,
        scope_info_enabled=False,
        registry=registry,
        cardinality_limits=limits,
    )
    return prometheus, registry


class Pipeline:
    """One meter provider with its readers and instruments; replaced as a whole, never edited."""

    def __init__(
        self,
        settings: Settings,
        resource: Resource,
        metrics: Sequence[MetricDefinition],
        callback_for: Callable[[MetricDefinition], Callable[[CallbackOptions], Iterable[Observation]]],
        *,
        target_info: bool,
        views: Sequence[View] = (),
        otlp_delta: DeltaState | None = None,
        metric_by_metric: bool = False,
        standard_process: bool = False,
    ) -> None:
        """``metric_by_metric``: a ``MetricByMetricReader``, whose registry only ``gzipped_exposition``
        reads (``generate_latest`` of it would repeat families); ``standard_process``: a
        ``StandardProcessReader``."""
        limit = settings.telemetry.cardinality_limit
        limits: dict[type, int] = {ObservableCounter: limit, ObservableGauge: limit}
        prometheus, registry = (
            _prometheus_reader(target_info, limits, metric_by_metric, standard_process)
            if settings.prometheus.enabled
            else (None, None)
        )
        others: list[MetricReader] = []
        otlp = settings.otlp_resolved  # resolved at load, when otlp.enabled
        if otlp is not None:
            others.append(
                PeriodicExportingMetricReader(
                    build_otlp_exporter(otlp, delta=otlp_delta),
                    export_interval_millis=otlp.interval * 1000,
                    # the exporter's own timeout covers its retries; the reader's must not cut them short
                    export_timeout_millis=otlp.timeout * 1000 + 1000,
                    cardinality_limits=limits,
                )
            )
        self.readers = Readers(prometheus, registry, others)
        self.provider = MeterProvider(resource=resource, metric_readers=self.readers.all(), views=list(views))
        meter = self.provider.get_meter(SCOPE, __version__)
        for metric in metrics:
            create = (
                meter.create_observable_counter
                if metric.kind is Kind.COUNTER
                else meter.create_observable_gauge
            )
            create(
                metric.name,
                callbacks=[callback_for(metric)],
                unit=metric.unit,
                description=metric.description,
            )

    def shutdown(self) -> None:
        try:
            self.provider.shutdown(timeout_millis=5000)
        except Exception:  # shutting down an exporter whose collector is gone must not fail the caller
            log.debug("meter provider shutdown failed", exc_info=True)


def instrument_process(provider: MeterProvider) -> None:
    from opentelemetry.instrumentation.system_metrics import SystemMetricsInstrumentor

    # The instrumentor is a process-wide singleton; instrumenting a second provider needs it reset.
    instrumentor = SystemMetricsInstrumentor(config=PROCESS_METRICS)
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()
    instrumentor.instrument(meter_provider=provider)
