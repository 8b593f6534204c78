"""The OpenTelemetry SDK as a reference OTLP client for the harness tests.

The receivers are validated against the SDK's own exporters (the same code the bridge uses), so a
disagreement found later in an end-to-end test points at the bridge, not at the harness.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import grpc
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpExporter
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import Counter, MeterProvider
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    InMemoryMetricReader,
    MetricExporter,
    MetricExportResult,
    MetricsData,
)
from opentelemetry.sdk.resources import Resource

from tests.support.certs import TlsMaterial
from tests.support.otlp_receiver import OtlpReceiver

RESOURCE = {"service.name": "otel-ovh-harness", "cloud.provider": "ovhcloud"}
SCOPE = "otel-ovh.harness"
COUNTER = "harness.requests"
GAUGE = "harness.temperature"


def sample_metrics(delta: bool = False, resource: Mapping[str, str] = RESOURCE) -> MetricsData:
    """Collect one batch: counter ``harness.requests`` (5 for GRA, 2 for SBG) and gauge 21.5 Cel."""
    temporality = AggregationTemporality.DELTA if delta else AggregationTemporality.CUMULATIVE
    reader = InMemoryMetricReader(preferred_temporality={Counter: temporality})
    provider = MeterProvider(resource=Resource.create(dict(resource)), metric_readers=[reader])
    meter = provider.get_meter(SCOPE, "1.2.3")
    counter = meter.create_counter(COUNTER, unit="{request}", description="requests made")
    counter.add(5, {"cloud.region": "GRA"})
    counter.add(2, {"cloud.region": "SBG"})

    def observe(_options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(21.5, {"room": "a"})]

    meter.create_observable_gauge(GAUGE, callbacks=[observe], unit="Cel", description="room temperature")
    data = reader.get_metrics_data()
    provider.shutdown()
    assert data is not None
    return data


def exporter_for(
    receiver_or_endpoint: OtlpReceiver | str,
    transport: str,
    *,
    ca: TlsMaterial | None = None,
    client_cert: TlsMaterial | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 1.5,
    gzip: bool = False,
) -> MetricExporter:
    """An SDK OTLP exporter of ``transport`` ("grpc"/"http") aimed at a receiver or endpoint URL.

    ``ca`` is the material whose CA the client trusts; ``client_cert`` the one whose client
    certificate it presents. A short ``timeout`` bounds the exporter's retries on failure.
    """
    endpoint = (
        receiver_or_endpoint if isinstance(receiver_or_endpoint, str) else receiver_or_endpoint.endpoint
    )
    if transport == "grpc":
        credentials = None
        if ca is not None:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=ca.ca_pem,
                private_key=client_cert.client_key_pem if client_cert else None,
                certificate_chain=client_cert.client_cert_pem if client_cert else None,
            )
        return GrpcExporter(
            endpoint=endpoint,
            insecure=ca is None,
            credentials=credentials,
            headers=dict(headers or {}),
            timeout=timeout,
        )
    return HttpExporter(
        endpoint=endpoint,
        certificate_file=str(ca.ca_cert) if ca else None,
        client_certificate_file=str(client_cert.client_cert) if client_cert else None,
        client_key_file=str(client_cert.client_key) if client_cert else None,
        headers=dict(headers or {}),
        timeout=timeout,
        compression=Compression.Gzip if gzip else Compression.NoCompression,
    )


def push(exporter: MetricExporter, data: MetricsData | None = None) -> MetricExportResult:
    """Export one batch (``sample_metrics()`` by default) synchronously and return the SDK's verdict."""
    return exporter.export(data if data is not None else sample_metrics(), timeout_millis=5000)
