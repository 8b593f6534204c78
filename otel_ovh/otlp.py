"""OTLP push: the exporter for ``otlp.*`` settings, with outages logged once instead of every interval.

The OpenTelemetry exporters already read the standard ``OTEL_EXPORTER_OTLP_[METRICS_]*`` variables
(endpoint, headers, protocol, compression, certificate, timeout, temporality preference); a setting in
``otlp.*`` is passed only when the user gave one, so the variables keep working as documented.
"""

from __future__ import annotations

import logging
import os
import threading
from urllib.parse import urlsplit

from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult, MetricsData

from otel_ovh.config import OtlpSettings

log = logging.getLogger(__name__)

_EXPORTER_LOGGERS = (
    "opentelemetry.exporter.otlp.proto.grpc.exporter",
    "opentelemetry.exporter.otlp.proto.http.metric_exporter",
    "opentelemetry.exporter.otlp.proto.grpc.metric_exporter",
)


def otlp_protocol(settings: OtlpSettings) -> str:
    return (
        settings.protocol
        or os.environ.get("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL")
        or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "grpc"
    ).strip()


class _LastReason(logging.Filter):
    """Keeps the SDK exporter's last complaint (the reason of an outage) and stops it repeating in the log."""

    def __init__(self) -> None:
        super().__init__()
        self.message: str | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            self.message = record.getMessage().splitlines()[0][:300]
            return False
        return True


_reason = _LastReason()
for _name in _EXPORTER_LOGGERS:
    logging.getLogger(_name).addFilter(_reason)


class OutageLoggingExporter(MetricExporter):
    """Delegates to the OTLP exporter; logs once when the collector stops taking data, once when it is back.

    Nothing is lost across an outage: counters are cumulative month-to-date totals, so the first export
    after it carries the full figures.
    """

    def __init__(self, inner: MetricExporter, target: str) -> None:
        super().__init__(
            preferred_temporality=inner._preferred_temporality,
            preferred_aggregation=inner._preferred_aggregation,
        )
        self._inner = inner
        self._target = target
        self._failing = False
        self._lock = threading.Lock()
        self.failures = 0
        self.successes = 0

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: object
    ) -> MetricExportResult:
        try:
            result = self._inner.export(metrics_data, timeout_millis=timeout_millis)
        except Exception as exc:  # an exporter bug or a transport error must not kill the reader thread
            _reason.message = f"{type(exc).__name__}: {exc}"
            result = MetricExportResult.FAILURE
        with self._lock:
            if result is MetricExportResult.SUCCESS:
                self.successes += 1
                if self._failing:
                    self._failing = False
                    log.info("OTLP export to %s works again", self._target)
            else:
                self.failures += 1
                if not self._failing:
                    self._failing = True
                    log.warning(
                        "OTLP export to %s failed: %s; will keep trying every interval",
                        self._target,
                        _reason.message or "no reason given",
                    )
        return result

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self._inner.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: object) -> None:
        self._inner.shutdown(timeout_millis=timeout_millis)


def build_otlp_exporter(settings: OtlpSettings, name: str = "") -> MetricExporter:
    protocol = otlp_protocol(settings)
    kwargs: dict[str, object] = {}
    if settings.headers:
        kwargs["headers"] = dict(settings.headers)
    if settings.timeout is not None:
        kwargs["timeout"] = settings.timeout
    endpoint = settings.endpoint
    inner: MetricExporter
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcExporter

        if endpoint:
            kwargs["endpoint"] = endpoint
        if settings.insecure is not None:
            kwargs["insecure"] = settings.insecure
        inner = GrpcExporter(**kwargs)  # type: ignore[arg-type]
    elif protocol in ("http/protobuf", "http"):
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpExporter

        if endpoint:
            parts = urlsplit(endpoint)
            kwargs["endpoint"] = (
                endpoint if parts.path not in ("", "/") else endpoint.rstrip("/") + "/v1/metrics"
            )
        inner = HttpExporter(**kwargs)  # type: ignore[call-overload]
    else:
        raise ValueError(f"unsupported OTLP protocol {protocol!r} (grpc or http/protobuf)")
    target = (
        endpoint
        or os.environ.get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or "the default endpoint"
    )
    return OutageLoggingExporter(inner, f"{target} ({protocol}{', ' + name if name else ''})")
