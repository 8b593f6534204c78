"""OTLP settings precedence, delta conversion, batching and outage logging, without a collector."""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider, ObservableCounter
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    MetricExporter,
    MetricExportResult,
    MetricsData,
    PeriodicExportingMetricReader,
    Sum,
)
from opentelemetry.sdk.resources import Resource

from otel_ovh.export.otlp.batching import split_metrics
from otel_ovh.export.otlp.delta import DeltaState
from otel_ovh.export.otlp.diagnosis import SDK_LOGGERS, outage_reason
from otel_ovh.export.otlp.exporter import OutageLoggingExporter, build_otlp_exporter
from otel_ovh.settings.config import SettingsError, parse_settings
from otel_ovh.settings.otlp import OtlpSettings, resolve_otlp
from tests.support.ports import free_port

# -- precedence: setting > OTEL_EXPORTER_OTLP_METRICS_* > OTEL_EXPORTER_OTLP_* > default ----------


def test_defaults_without_settings_or_variables() -> None:
    grpc = resolve_otlp(OtlpSettings(), {})
    assert (grpc.protocol, grpc.endpoint, grpc.timeout, grpc.interval) == (
        "grpc",
        "http://localhost:4317",
        10,
        60,
    )
    assert (grpc.compression, grpc.temporality, dict(grpc.headers)) == ("none", "cumulative", {})
    http = resolve_otlp(OtlpSettings(protocol="http/protobuf"), {})
    assert http.endpoint == "http://localhost:4318/v1/metrics"


@pytest.mark.parametrize(
    ("setting", "env", "expected"),
    [
        (None, {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}, "http/protobuf"),
        (
            None,
            {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "grpc"},
            "grpc",
        ),
        ("grpc", {"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "http/protobuf"}, "grpc"),
    ],
)
def test_protocol_precedence(setting: str | None, env: dict[str, str], expected: str) -> None:
    assert resolve_otlp(OtlpSettings(protocol=setting), env).protocol == expected


@pytest.mark.parametrize(
    ("setting", "env", "expected"),
    [
        ("http://c:4318", {}, "http://c:4318/v1/metrics"),
        ("http://c:4318/", {}, "http://c:4318/v1/metrics"),
        ("https://gw.example/otlp", {}, "https://gw.example/otlp/v1/metrics"),  # a base with a path
        ("http://c:4318/v1/metrics", {}, "http://c:4318/v1/metrics"),
        (
            "http://c:4318",
            {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://other/x"},
            "http://c:4318/v1/metrics",
        ),
        (None, {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://m:1/custom"}, "http://m:1/custom"),  # as is
        (None, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://g:4318/base/"}, "http://g:4318/base/v1/metrics"),
        (
            None,
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://g:4318",
                "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://m/v1/m",
            },
            "http://m/v1/m",
        ),
    ],
)
def test_http_endpoint(setting: str | None, env: dict[str, str], expected: str) -> None:
    resolved = resolve_otlp(OtlpSettings(protocol="http/protobuf", endpoint=setting), env)
    assert resolved.endpoint == expected


def test_grpc_endpoint_is_never_given_a_path() -> None:
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector:4317"}
    assert resolve_otlp(OtlpSettings(), env).endpoint == "https://collector:4317"


def test_headers_merge_variables_then_settings_lower_cased() -> None:
    env = {
        "OTEL_EXPORTER_OTLP_HEADERS": "X-Scope-OrgID=generic",
        "OTEL_EXPORTER_OTLP_METRICS_HEADERS": "X-Scope-OrgID=team%20a,Authorization=Bearer%20env",
    }
    settings = OtlpSettings(headers={"Authorization": "Bearer setting", "X-Extra": "1"})
    assert dict(resolve_otlp(settings, env).headers) == {
        "x-scope-orgid": "team a",  # METRICS_ replaces the generic variable, URL-decoded
        "authorization": "Bearer setting",  # a setting wins over a variable, whatever the case
        "x-extra": "1",  # gRPC refuses upper-case metadata keys
    }


@pytest.mark.parametrize(
    ("setting", "env", "expected"),
    [
        (None, {"OTEL_EXPORTER_OTLP_TIMEOUT": "5000"}, 5.0),  # the specification's milliseconds
        (None, {"OTEL_EXPORTER_OTLP_TIMEOUT": "5000", "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT": "2500"}, 2.5),
        (None, {"OTEL_EXPORTER_OTLP_TIMEOUT": "7"}, 7.0),  # written for the Python SDK: seconds
        (3.0, {"OTEL_EXPORTER_OTLP_METRICS_TIMEOUT": "2500"}, 3.0),
    ],
)
def test_timeout(setting: float | None, env: dict[str, str], expected: float) -> None:
    assert resolve_otlp(OtlpSettings(timeout=setting), env).timeout == expected


def test_interval_setting_then_variable_then_default() -> None:
    env = {"OTEL_METRIC_EXPORT_INTERVAL": "15000"}
    assert resolve_otlp(OtlpSettings(), env).interval == 15
    assert resolve_otlp(OtlpSettings(interval=30), env).interval == 30


def test_compression_tls_files_and_temporality(tmp_path: Path) -> None:
    ca, other = tmp_path / "ca.pem", tmp_path / "other.pem"
    ca.write_text("x")
    other.write_text("y")
    env = {
        "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip",
        "OTEL_EXPORTER_OTLP_CERTIFICATE": str(other),
        "OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE": str(ca),
        "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "Delta",
        "OTEL_EXPORTER_OTLP_INSECURE": "true",
    }
    resolved = resolve_otlp(OtlpSettings(), env)
    assert (resolved.compression, resolved.certificate, resolved.insecure) == ("gzip", str(ca), True)
    assert resolved.delta
    given = resolve_otlp(OtlpSettings(compression="none", certificate=other, insecure=False), env)
    assert (given.compression, given.certificate, given.insecure) == ("none", str(other), False)


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, "OTEL_EXPORTER_OTLP_PROTOCOL"),
        ({"OTEL_EXPORTER_OTLP_METRICS_COMPRESSION": "zstd"}, "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION"),
        ({"OTEL_EXPORTER_OTLP_TIMEOUT": "soon"}, "OTEL_EXPORTER_OTLP_TIMEOUT"),
        ({"OTEL_EXPORTER_OTLP_CERTIFICATE": "/no/such/ca.pem"}, "OTEL_EXPORTER_OTLP_CERTIFICATE"),
        (
            {"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "sometimes"},
            "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
        ),
    ],
)
def test_bad_variables_name_themselves(env: dict[str, str], key: str) -> None:
    with pytest.raises(SettingsError) as caught:
        resolve_otlp(OtlpSettings(), env)
    assert caught.value.key == key


@pytest.mark.parametrize(
    ("otlp", "key"),
    [
        ({"compression": "brotli"}, "otlp.compression"),
        ({"certificate": "/no/such/ca.pem"}, "otlp.certificate"),
        ({"client_certificate": __file__}, "otlp.client_key"),
    ],
)
def test_bad_otlp_settings_name_their_key(otlp: dict[str, str], key: str) -> None:
    raw = {
        "ovh": {"endpoint": "ovh-eu", "application_key": "a", "application_secret": "b", "consumer_key": "c"}
    }
    with pytest.raises(SettingsError) as caught:
        parse_settings({**raw, "otlp": otlp})
    assert caught.value.key == key


# -- delta conversion, through a real meter provider ----------------------------------------------


class _Collector(MetricExporter):
    """Stands for the SDK exporter: prefers what DELTA would, answers as told, keeps what it accepted."""

    def __init__(self) -> None:
        super().__init__(preferred_temporality={ObservableCounter: AggregationTemporality.DELTA})
        self.answers: list[MetricExportResult] = []
        self.accepted: list[MetricsData] = []

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        answer = self.answers.pop(0) if self.answers else MetricExportResult.SUCCESS
        if answer is MetricExportResult.SUCCESS:
            self.accepted.append(metrics_data)
        return answer

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        pass


class _Pipeline:
    """One provider with one observable counter whose month-to-date total the test sets."""

    def __init__(self, exporter: MetricExporter) -> None:
        self.total = 0.0
        self.reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
        self.provider = MeterProvider(resource=Resource({"service.name": "t"}), metric_readers=[self.reader])

        def observe(_: CallbackOptions) -> Iterable[Observation]:
            return [Observation(self.total, {"cloud.account.id": "p1"})]

        self.provider.get_meter("otel_ovh").create_observable_counter(
            "ovh.cloud.cost", [observe], unit="{currency}"
        )

    def export(self, total: float) -> None:
        self.total = total
        self.reader.collect()

    def close(self) -> None:
        self.provider.shutdown()


def _points(data: MetricsData) -> list[tuple[float, int, int, AggregationTemporality]]:
    result = []
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                assert isinstance(metric.data, Sum) and metric.data.is_monotonic
                for p in metric.data.data_points:
                    result.append(
                        (
                            p.value,
                            p.start_time_unix_nano,
                            p.time_unix_nano,
                            metric.data.aggregation_temporality,
                        )
                    )
    return result


@pytest.fixture
def collector() -> _Collector:
    return _Collector()


@pytest.fixture
def pipelines() -> Iterator[list[_Pipeline]]:
    made: list[_Pipeline] = []
    yield made
    for pipeline in made:
        pipeline.close()


def test_deltas_cover_outages_resets_and_pipeline_rebuilds(
    collector: _Collector, pipelines: list[_Pipeline]
) -> None:
    state = DeltaState()
    first = _Pipeline(OutageLoggingExporter(collector, "c (grpc)", state))
    pipelines.append(first)

    first.export(10.0)
    collector.answers = [MetricExportResult.FAILURE]
    first.export(15.0)  # refused: nothing is committed
    first.export(18.5)
    first.export(3.0)  # a new billing period: the total starts again
    second = _Pipeline(OutageLoggingExporter(collector, "c (grpc)", state))  # the pipeline is rebuilt
    pipelines.append(second)
    second.export(5.0)

    points = [p for data in collector.accepted for p in _points(data)]
    assert [value for value, *_ in points] == [10.0, 8.5, 3.0, 2.0]
    assert {temporality for *_, temporality in points} == {AggregationTemporality.DELTA}
    for (_, _, end, _), (_, start, _, _) in itertools.pairwise(points):
        assert start == end, "each delta starts where the last accepted one ended"


def test_cumulative_is_left_to_the_sdk(collector: _Collector, pipelines: list[_Pipeline]) -> None:
    collector._preferred_temporality = {ObservableCounter: AggregationTemporality.CUMULATIVE}
    pipeline = _Pipeline(OutageLoggingExporter(collector, "c (grpc)"))
    pipelines.append(pipeline)
    pipeline.export(10.0)
    collector.answers = [MetricExportResult.FAILURE]
    pipeline.export(15.0)
    pipeline.export(18.5)
    points = [p for data in collector.accepted for p in _points(data)]
    assert [(v, t) for v, _, _, t in points] == [
        (10.0, AggregationTemporality.CUMULATIVE),
        (18.5, AggregationTemporality.CUMULATIVE),
    ]


def test_split_keeps_every_point_in_bounded_batches(
    collector: _Collector, pipelines: list[_Pipeline]
) -> None:
    reader = PeriodicExportingMetricReader(collector, export_interval_millis=3_600_000)
    provider = MeterProvider(resource=Resource({"service.name": "t"}), metric_readers=[reader])
    meter = provider.get_meter("otel_ovh")
    for name, count in (("a", 7), ("b", 5)):
        meter.create_observable_gauge(
            name,
            [lambda _, n=count: [Observation(i, {"i": i}) for i in range(n)]],  # type: ignore[misc]
        )
    reader.collect()
    (data,) = collector.accepted
    provider.shutdown()
    batches = list(split_metrics(data, 5))
    sizes = [
        sum(
            len(m.data.data_points)
            for rm in b.resource_metrics
            for sm in rm.scope_metrics
            for m in sm.metrics
        )
        for b in batches
    ]
    assert sizes == [5, 5, 2]
    got = sorted(
        (m.name, p.attributes["i"])  # type: ignore[index]
        for b in batches
        for rm in b.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
        for p in m.data.data_points
    )
    assert got == sorted([("a", i) for i in range(7)] + [("b", i) for i in range(5)])
    assert all(rm.resource.attributes["service.name"] == "t" for b in batches for rm in b.resource_metrics)


# -- outage logging with the real SDK exporters ---------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("OTEL_"):
            monkeypatch.delenv(name)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize(
    ("protocol", "cause"), [("grpc", "UNAVAILABLE"), ("http/protobuf", "Connection refused")]
)
def test_an_outage_is_one_warning_with_the_cause(
    protocol: str, cause: str, clean_env: None, caplog: pytest.LogCaptureFixture, pipelines: list[_Pipeline]
) -> None:
    """Against a closed port the SDK exporters log every retry; we log one line, whichever pipeline."""
    settings = OtlpSettings(
        enabled=True, protocol=protocol, endpoint=f"http://127.0.0.1:{free_port()}", timeout=0.5
    )
    caplog.set_level(logging.DEBUG)
    resolved = resolve_otlp(settings, {})
    inventory = build_otlp_exporter(resolved)
    own = build_otlp_exporter(resolved)
    try:
        pipelines.extend([_Pipeline(inventory), _Pipeline(own)])
        for pipeline in pipelines * 2:
            pipeline.export(1.0)
        assert inventory.failures == 2 and own.failures == 2
        assert not [r for r in _warnings(caplog) if r.name in SDK_LOGGERS], "the SDK's messages are captured"
        (line,) = [r.getMessage() for r in _warnings(caplog)]
        assert line.startswith(f"OTLP export to {settings.endpoint}") and cause in line, line
        assert "inventory" not in line and "self" not in line  # the collector failed, not one pipeline
    finally:
        for pipeline in pipelines:
            pipeline.close()
        pipelines.clear()


def test_sdk_messages_outside_an_export_pass_through(caplog: pytest.LogCaptureFixture) -> None:
    logging.getLogger(SDK_LOGGERS[0]).warning("configuration problem at start-up")
    assert [r.getMessage() for r in _warnings(caplog)] == ["configuration problem at start-up"]


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        (
            [
                "HTTP 401 Unauthorized: missing tenant",
                "Failed to export metrics batch code: 401, reason: Unauthorized",
            ],
            "HTTP 401 Unauthorized: missing tenant",
        ),
        (
            [
                "Transient error Service Unavailable encountered while exporting metrics, retrying in 1.08s.",
                "Failed to export metrics batch due to timeout, max retries or shutdown.",
            ],
            "Transient error Service Unavailable encountered while exporting metrics (gave up after retries)",
        ),
        ([], "no reason given by the exporter"),
    ],
)
def test_outage_reason(messages: list[str], expected: str) -> None:
    assert outage_reason(messages) == expected
