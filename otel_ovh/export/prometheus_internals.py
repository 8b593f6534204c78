"""Every use of the Prometheus exporter's private parts, in one place, with the check that they are there.

* The exporter's name, unit and attribute mapping (``_mapping``) decides the Prometheus names of the
  public contract; the catalog and ``backfill`` apply the same rules so that the names documented, and
  those written for the past, are the names served.
* ``PrometheusMetricReader`` turns each collection into ``prometheus_client`` families all at once, in
  ``_receive_metrics``; ``MetricByMetricReader`` hands it one metric at a time, and
  ``StandardProcessReader`` leaves out the instrumentation's process points, which scrape mode describes
  with prometheus_client's own collectors.

``pyproject.toml`` pins the exporter below its next minor version, and ``missing`` (run by
``tests/unit/test_internals.py``) names whatever an upgrade moved.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.exporter.prometheus._mapping import map_unit, sanitize_attribute, sanitize_full_name
from opentelemetry.sdk.metrics.export import MetricsData
from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector

LIBRARY = "opentelemetry-exporter-prometheus"

__all__ = [
    "PROCESS_SCOPE", "MetricByMetricReader", "StandardProcessReader", "map_unit", "missing",
    "sanitize_attribute", "sanitize_full_name",
]  # fmt: skip


class MetricByMetricReader(PrometheusMetricReader):
    """The Prometheus reader, handing its collector one metric at a time.

    The exporter turns what it is given into ``prometheus_client`` families all at once, so a large
    organisation's families (one sample and label dict per series) existed together beside the SDK's
    points. Given one metric per piece, the collector translates a piece only when the previous one's
    families have been taken, and ``exposition.gzipped_exposition`` formats and empties each family as it
    comes (skipping those the collector yields again): one metric's families and text exist at a time.
    """

    pieces = 0  # how many pieces the reader was handed, for ``missing``

    def _receive_metrics(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> None:
        if metrics_data is None:
            return
        for rm in metrics_data.resource_metrics:
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    piece = replace(rm, scope_metrics=[replace(sm, metrics=[metric])])
                    self.pieces += 1
                    super()._receive_metrics(MetricsData(resource_metrics=[piece]), timeout_millis, **kwargs)


# The instrumentation's meter: its points go to OTLP only.
PROCESS_SCOPE = "opentelemetry.instrumentation.system_metrics"


class StandardProcessReader(PrometheusMetricReader):
    """The Prometheus reader of the self metrics: in scrape mode the process is described by
    prometheus_client's own collectors (``process_cpu_seconds_total``, ``process_resident_memory_bytes``,
    ``process_open_fds``, ``python_gc_collections_total``...), the names every Prometheus client library
    exposes and exporter dashboards read, so the instrumentation's points (for OTLP) are left out here."""

    def __init__(self, *, registry: CollectorRegistry, **kwargs: Any) -> None:
        super().__init__(registry=registry, **kwargs)
        for collector in (ProcessCollector, PlatformCollector, GCCollector):
            collector(registry=registry)

    def _receive_metrics(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> None:
        if metrics_data is not None:
            metrics_data = MetricsData(
                resource_metrics=[
                    replace(rm, scope_metrics=[s for s in rm.scope_metrics if s.scope.name != PROCESS_SCOPE])
                    for rm in metrics_data.resource_metrics
                ]
            )
        super()._receive_metrics(metrics_data, timeout_millis, **kwargs)


def missing() -> list[str]:
    """What this module relies on that the installed exporter no longer does."""
    from opentelemetry.metrics import Observation
    from opentelemetry.sdk.metrics import MeterProvider
    from prometheus_client import CollectorRegistry, generate_latest

    gone: list[str] = []
    if map_unit("By") != "bytes" or sanitize_full_name("a.b") != "a_b" or sanitize_attribute("a.b") != "a_b":
        gone.append("_mapping's map_unit, sanitize_full_name and sanitize_attribute as they were")
    registry = CollectorRegistry(auto_describe=False)
    reader = MetricByMetricReader(disable_target_info=True, registry=registry)
    provider = MeterProvider(metric_readers=[reader])
    meter = provider.get_meter("check")
    for name in ("a", "b"):
        meter.create_observable_gauge(name, callbacks=[lambda _: [Observation(1)]])
    text = generate_latest(registry).decode()
    provider.shutdown()
    if reader.pieces != 2 or "# TYPE a gauge" not in text or "# TYPE b gauge" not in text:
        gone.append("PrometheusMetricReader._receive_metrics as the one step from collection to families")
    return gone
