"""The OTLP exporter of one pipeline: the SDK's exporter for the resolved settings, wrapped so that it
batches, logs an outage once, and converts counters to deltas when asked."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from pathlib import Path

from opentelemetry.sdk.metrics import ObservableCounter
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    MetricExporter,
    MetricExportResult,
    MetricsData,
)

from otel_ovh.export.otlp.batching import MAX_BATCH_POINTS, split_metrics
from otel_ovh.export.otlp.delta import DeltaState, SeriesKey
from otel_ovh.export.otlp.diagnosis import capture, outage_reason, outages
from otel_ovh.export.otlp.transport import PinnedCaSession
from otel_ovh.export.sdk_internals import preferences
from otel_ovh.settings.otlp import ResolvedOtlp

log = logging.getLogger("otel_ovh.export.otlp")


class OutageLoggingExporter(MetricExporter):
    """Delegates to the SDK's OTLP exporter; logs once when the collector stops taking data, once when
    it takes it again, and converts counters to deltas when asked.

    Nothing is lost across an outage: with cumulative temporality the first export after it carries the
    full month-to-date totals; with delta, ``DeltaState`` has kept the last *accepted* values, so the
    first delta after the outage covers it.
    """

    def __init__(self, inner: MetricExporter, target: str, delta: DeltaState | None = None) -> None:
        temporality, aggregation = preferences(inner)
        if delta is not None:
            # The SDK must hand us cumulative totals; we make the deltas ourselves (see DeltaState).
            temporality[ObservableCounter] = AggregationTemporality.CUMULATIVE
        super().__init__(
            preferred_temporality=temporality,
            preferred_aggregation=aggregation,
        )
        self._inner = inner
        self._target = target
        self._delta = delta
        self._lock = threading.Lock()
        self.max_points = MAX_BATCH_POINTS
        self.failures = 0
        self.successes = 0
        self.last_reason: str | None = None

    @property
    def target(self) -> str:
        """Where the data goes: ``<endpoint> (<protocol>)``."""
        return self._target

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: object
    ) -> MetricExportResult:
        """Send in batches of ``max_points``; stop at the first failure (the collector is away: the
        remaining batches would each wait out the timeout), commit deltas batch by batch."""
        result = MetricExportResult.SUCCESS
        with capture.capturing() as complaints:
            for batch in split_metrics(metrics_data, self.max_points):
                pending: Mapping[SeriesKey, tuple[int | float, int]] = {}
                if self._delta is not None:
                    batch, pending = self._delta.convert(batch)
                try:
                    result = self._inner.export(batch, timeout_millis=timeout_millis)
                except Exception as exc:  # an exporter bug or a transport error must not kill the reader
                    complaints.append(f"{type(exc).__name__}: {exc}")
                    result = MetricExportResult.FAILURE
                if result is not MetricExportResult.SUCCESS:
                    break
                if self._delta is not None:
                    self._delta.commit(pending)
        if result is MetricExportResult.SUCCESS:
            with self._lock:
                self.successes += 1
            if complaints:
                log.debug("OTLP export to %s succeeded after: %s", self._target, "; ".join(complaints))
            outages.recovered(self._target, f"OTLP export to {self._target} works again", member=id(self))
        else:
            reason = outage_reason(complaints)
            with self._lock:
                self.failures += 1
                self.last_reason = reason
            outages.failed(  # one outage of the collector, whichever of our exporters met it first
                self._target,
                f"OTLP export to {self._target} failed: {reason}; will keep trying every interval",
                member=id(self),
            )
        return result

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self._inner.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: object) -> None:
        outages.forget(self._target, member=id(self))
        with capture.capturing():  # "already shut down" and the like are not news at exit
            self._inner.shutdown(timeout_millis=timeout_millis)


def _read(path: str | None) -> bytes | None:
    return Path(path).read_bytes() if path else None


def build_otlp_exporter(config: ResolvedOtlp, delta: DeltaState | None = None) -> OutageLoggingExporter:
    """The SDK exporter for the resolved settings (``Settings.otlp_resolved``), wrapped in
    ``OutageLoggingExporter``.

    ``delta`` is used only when the temporality preference is DELTA; pass the pipeline's long-lived
    state so that deltas survive pipeline rebuilds.
    """
    inner: MetricExporter
    if config.protocol == "grpc":
        import grpc
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcExporter

        credentials = None
        gzip = grpc.Compression.Gzip if config.compression == "gzip" else grpc.Compression.NoCompression
        tls = config.insecure is not True and not config.endpoint.startswith("http://")
        if tls and (config.certificate or config.client_certificate):
            credentials = grpc.ssl_channel_credentials(
                root_certificates=_read(config.certificate),
                private_key=_read(config.client_key),
                certificate_chain=_read(config.client_certificate),
            )
        inner = GrpcExporter(
            endpoint=config.endpoint,
            insecure=config.insecure,
            credentials=credentials,
            headers=dict(config.headers),
            timeout=config.timeout,
            compression=gzip,
        )
    else:
        from opentelemetry.exporter.otlp.proto.http import Compression
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpExporter

        inner = HttpExporter(
            endpoint=config.endpoint,
            certificate_file=config.certificate,
            client_certificate_file=config.client_certificate,
            client_key_file=config.client_key,
            headers=dict(config.headers),
            timeout=config.timeout,
            compression=Compression.Gzip if config.compression == "gzip" else Compression.NoCompression,
            # A credential provider brings its own session; otherwise ours keeps the configured CA.
            session=None if config.credential_provider else PinnedCaSession(),
        )
    target = f"{config.endpoint} ({config.protocol})"
    if not config.delta:
        return OutageLoggingExporter(inner, target)
    return OutageLoggingExporter(inner, target, delta if delta is not None else DeltaState())
