"""Checks, against the installed OpenTelemetry SDK, why ``otel_ovh.export.otlp`` batches and makes deltas
itself instead of using the SDK exporters' ``max_export_batch_size`` and ``preferred_temporality``.

    python -m benchmarks.otlp_claims

Each line says what the SDK does and what otel-ovh's exporter does on the same input. Run it again after
an SDK upgrade: where the SDK's line turns right, ours can go.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent import futures
from importlib.metadata import version
from typing import Any

import grpc
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceResponse
from opentelemetry.sdk.metrics import MeterProvider, ObservableCounter
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Metric,
    MetricExporter,
    MetricExportResult,
    MetricsData,
    NumberDataPoint,
    PeriodicExportingMetricReader,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from otel_ovh.export.otlp.delta import DeltaState
from otel_ovh.export.otlp.exporter import OutageLoggingExporter
from tests.support.ports import free_port

Temporality = dict[type, AggregationTemporality]
DELTA: Temporality = {ObservableCounter: AggregationTemporality.DELTA}
CUMULATIVE: Temporality = {ObservableCounter: AggregationTemporality.CUMULATIVE}


class Backend(MetricExporter):
    """A collector that keeps the sum of the deltas it accepted, and refuses the exports it is told to."""

    def __init__(self, refuse: Iterable[bool] = (), temporality: Temporality | None = None) -> None:
        super().__init__(preferred_temporality=temporality or CUMULATIVE)
        self.refuse = list(refuse)
        self.sent: list[float] = []
        self.total = 0.0
        self.monotonic = True

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **_: Any
    ) -> MetricExportResult:
        points = [
            (m.data.is_monotonic, p.value)
            for rm in metrics_data.resource_metrics
            for sm in rm.scope_metrics
            for m in sm.metrics
            if isinstance(m.data, Sum)
            for p in m.data.data_points
        ]
        if self.refuse and self.refuse.pop(0):
            return MetricExportResult.FAILURE
        for monotonic, value in points:
            self.sent.append(value)
            self.total += value
            self.monotonic = self.monotonic and monotonic
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **_: Any) -> None:
        return None


def _month_to_date(values: list[float], exporter: MetricExporter) -> None:
    """One provider whose counter reads ``values`` in turn, exported once per value."""
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=10**9)
    provider = MeterProvider(metric_readers=[reader])
    left = list(values)

    def observe(_: CallbackOptions) -> list[Observation]:
        return [Observation(left.pop(0), {"project": "p"})] if left else []

    provider.get_meter("claims").create_observable_counter("spend", callbacks=[observe])
    while left:
        reader.collect()
    provider.shutdown()


def _ours(backend: Backend, state: DeltaState) -> OutageLoggingExporter:
    return OutageLoggingExporter(backend, "backend", state)


def delta_claims() -> None:
    sdk, ours = Backend([False, True, False], DELTA), Backend([False, True, False])
    _month_to_date([10, 25, 40], sdk)
    _month_to_date([10, 25, 40], _ours(ours, DeltaState()))
    print(f"failed export, month-to-date 40: SDK backend total {sdk.total:g}, ours {ours.total:g}")

    sdk, ours = Backend(temporality=DELTA), Backend()
    _month_to_date([100, 5], sdk)
    _month_to_date([100, 5], _ours(ours, DeltaState()))
    print(f"new billing period 100 -> 5, monotonic sum: SDK sends {sdk.sent}, ours {ours.sent}")

    sdk, ours, state = Backend(temporality=DELTA), Backend(), DeltaState()
    for _ in range(2):  # the pipeline is rebuilt (a reload, retired series forgotten): a new provider
        _month_to_date([100], sdk)
        _month_to_date([100], _ours(ours, state))
    print(f"pipeline rebuilt, month-to-date 100: SDK backend total {sdk.total:g}, ours {ours.total:g}")


class _Collector(metrics_service_pb2_grpc.MetricsServiceServicer):
    def __init__(self, accept: int) -> None:
        self.accept, self.requests, self.largest = accept, 0, 0

    def Export(self, request: Any, context: grpc.ServicerContext) -> ExportMetricsServiceResponse:
        self.requests += 1
        self.largest = max(self.largest, request.ByteSize())
        if self.requests > self.accept:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "refused")  # not retried: one request each
        return ExportMetricsServiceResponse()


def _points(n: int) -> MetricsData:
    """``n`` points of one counter, built directly: a provider would fold all past 2,000 into one."""
    attrs = {"cloud.account.id": "0123456789abcdef0123456789abcdef", "ovh.resource.name": "instance-name"}
    now = time.time_ns()
    points = [NumberDataPoint({**attrs, "cloud.resource_id": f"{i:036d}"}, now, now, i) for i in range(n)]
    spend = Sum(points, AggregationTemporality.CUMULATIVE, is_monotonic=True)
    scope = ScopeMetrics(InstrumentationScope("claims"), [Metric("spend", None, "1", spend)], "")
    return MetricsData([ResourceMetrics(Resource.create({}), [scope], "")])


def _grpc(port: int, **options: Any) -> OTLPMetricExporter:
    return OTLPMetricExporter(endpoint=f"http://127.0.0.1:{port}", insecure=True, **options)


def batching_claims() -> None:
    data = _points(40_000)
    size = encode_metrics(data).ByteSize() / 2**20
    collector = _Collector(accept=10**9)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))  # grpc's default limit: 4 MiB in
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(collector, server)  # type: ignore[no-untyped-call]
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        whole = _grpc(port, timeout=5).export(data).name
        batched = OutageLoggingExporter(_grpc(port, timeout=5), "collector").export(data).name
        print(
            f"40,000 points ({size:.1f} MiB) to a receiver with gRPC's default 4 MiB limit: "
            f"SDK unbatched {whole}; "
            f"ours {batched}, largest request {collector.largest / 2**20:.2f} MiB"
        )
        collector.accept, collector.requests = 1, 0
        sdk = _grpc(port, timeout=5, max_export_batch_size=5000).export(data).name
        print(
            f"8 batches, the collector takes the 1st and refuses the others: SDK batched says {sdk} for "
            f"the whole export after {collector.requests} requests (1 accepted)"
        )
    finally:
        server.stop(None)
    away = free_port()
    for name, exporter in (
        ("SDK batched", _grpc(away, timeout=2, max_export_batch_size=5000)),
        ("ours", OutageLoggingExporter(_grpc(away, timeout=2), "collector")),
    ):
        started = time.monotonic()
        result = exporter.export(data, timeout_millis=2000)
        took = time.monotonic() - started
        print(f"collector away, timeout 2 s, 8 batches: {name} {result.name} in {took:.1f} s")


def main() -> None:
    sdk, otlp = version("opentelemetry-sdk"), version("opentelemetry-exporter-otlp")
    print(f"opentelemetry-sdk {sdk}, opentelemetry-exporter-otlp {otlp}")
    delta_claims()
    batching_claims()


if __name__ == "__main__":
    main()
