"""The OTLP receivers against the OpenTelemetry SDK's own exporters (gRPC and HTTP/protobuf)."""

from __future__ import annotations

import gzip
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpExporter
from opentelemetry.sdk.metrics import Counter, MeterProvider
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    MetricExportResult,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource

from tests.harness.sdk_push import COUNTER, GAUGE, RESOURCE, SCOPE, exporter_for, push, sample_metrics
from tests.support.certs import TlsMaterial, make_tls_material
from tests.support.otlp_receiver import (
    OtlpGrpcReceiver,
    OtlpHttpReceiver,
    OtlpReceiver,
    attr_key,
)
from tests.support.waiting import wait_until

TRANSPORTS = ["grpc", "http"]


@pytest.fixture
def no_ca_bundle_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset the CA-bundle variables that make ``requests`` ignore the exporter's certificate_file.

    ``requests`` merges REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE over ``Session.verify`` (psf/requests
    #3829), so with either set the SDK's HTTP exporter trusts the system bundle, not our CA
    (see ``test_requests_ca_bundle_env_overrides_http_certificate_file``).
    """
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


def make_receiver(transport: str, **kwargs: object) -> OtlpReceiver:
    cls = OtlpGrpcReceiver if transport == "grpc" else OtlpHttpReceiver
    return cls(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_sdk_counter_and_gauge_are_decoded(transport: str) -> None:
    with make_receiver(transport) as receiver:
        assert push(exporter_for(receiver, transport)) is MetricExportResult.SUCCESS

        records = receiver.wait_for_metric(COUNTER, timeout=5)
        (counter,) = records
        assert counter.transport == transport
        assert counter.kind == "sum"
        assert counter.is_monotonic is True
        assert counter.temporality == "cumulative"
        assert counter.unit == "{request}"
        assert counter.description == "requests made"
        assert counter.scope_name == SCOPE
        assert counter.scope_version == "1.2.3"
        for key, value in RESOURCE.items():
            assert counter.resource_attributes[key] == value
        assert counter.resource_attributes["telemetry.sdk.language"] == "python"
        assert {p.attributes["cloud.region"]: p.value for p in counter.points} == {"GRA": 5, "SBG": 2}
        assert all(p.start_time > 0 and p.time >= p.start_time for p in counter.points)

        (gauge,) = receiver.metrics(GAUGE)
        assert (gauge.kind, gauge.unit, gauge.temporality, gauge.is_monotonic) == ("gauge", "Cel", None, None)
        assert receiver.latest(GAUGE) == {attr_key({"room": "a"}): 21.5}
        assert receiver.latest_value(COUNTER, {"cloud.region": "SBG"}) == 2
        assert receiver.latest_value(COUNTER, {"cloud.region": "GRA"}, resource=RESOURCE) == 5
        assert receiver.metric_names() == {COUNTER, GAUGE}
        assert len(receiver.requests()) == 1


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_delta_temporality_and_latest_picks_newest_point(transport: str) -> None:
    with make_receiver(transport) as receiver:
        exporter = exporter_for(receiver, transport)
        assert push(exporter, sample_metrics(delta=True)) is MetricExportResult.SUCCESS
        assert push(exporter, sample_metrics(delta=True)) is MetricExportResult.SUCCESS
        records = receiver.wait_for(lambda rs: len([r for r in rs if r.metric_name == COUNTER]) == 2, 5)
        assert {r.temporality for r in records if r.metric_name == COUNTER} == {"delta"}
        assert receiver.latest_value(COUNTER, {"cloud.region": "GRA"}) == 5
        with pytest.raises(AssertionError, match="expected one series"):
            receiver.latest_value(COUNTER)


def test_http_gzip_through_a_periodic_reader() -> None:
    """The bridge's real path: MeterProvider + PeriodicExportingMetricReader + gzip-compressed HTTP."""
    with OtlpHttpReceiver() as receiver:
        exporter = HttpExporter(
            endpoint=receiver.endpoint,
            compression=Compression.Gzip,
            timeout=2,
            preferred_temporality={Counter: AggregationTemporality.CUMULATIVE},
        )
        reader = PeriodicExportingMetricReader(exporter, export_interval_millis=60_000)
        provider = MeterProvider(resource=Resource.create({"service.name": "gz"}), metric_readers=[reader])
        provider.get_meter("gz").create_counter("gz.bytes", unit="By").add(1024, {"k": "v"})
        assert provider.force_flush(5000)
        provider.shutdown()
        receiver.wait_for_metric("gz.bytes", timeout=5)
        assert receiver.attempts()[0].compression == "gzip"
        assert receiver.latest_value("gz.bytes", {"k": "v"}, resource={"service.name": "gz"}) == 1024


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.usefixtures("no_ca_bundle_env")
def test_tls_and_required_header(transport: str, tls_material: TlsMaterial, tmp_path: Path) -> None:
    other_ca = make_tls_material(tmp_path / "other")
    header = {"x-scope-orgid": "tenant-a"}
    with make_receiver(transport, tls=tls_material, required_headers=header) as receiver:
        assert receiver.endpoint.startswith("https://")

        assert (
            push(exporter_for(receiver, transport, ca=tls_material, headers=header))
            is MetricExportResult.SUCCESS
        )
        assert receiver.metric_names() == {COUNTER, GAUGE}

        # Wrong CA: the handshake fails on the client side, nothing reaches the service.
        before = len(receiver.attempts())
        assert (
            push(exporter_for(receiver, transport, ca=other_ca, headers=header)) is MetricExportResult.FAILURE
        )
        assert len(receiver.attempts()) == before

        # Right CA, wrong or missing header: refused as unauthenticated.
        for bad in ({"x-scope-orgid": "tenant-b"}, {}):
            assert (
                push(exporter_for(receiver, transport, ca=tls_material, headers=bad))
                is MetricExportResult.FAILURE
            )
        refused = [a for a in receiver.attempts() if not a.accepted]
        assert refused
        assert {a.status for a in refused} == {"UNAUTHENTICATED" if transport == "grpc" else "401"}
        assert len(receiver.requests()) == 1


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.usefixtures("no_ca_bundle_env")
def test_mutual_tls(transport: str, tls_material: TlsMaterial) -> None:
    with make_receiver(transport, tls=tls_material, require_client_cert=True) as receiver:
        ok = exporter_for(receiver, transport, ca=tls_material, client_cert=tls_material)
        assert push(ok) is MetricExportResult.SUCCESS
        without = exporter_for(receiver, transport, ca=tls_material)
        assert push(without) is MetricExportResult.FAILURE
        assert len(receiver.requests()) == 1


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_outage_then_recovery_on_the_same_port(transport: str) -> None:
    with make_receiver(transport) as receiver:
        port = receiver.port
        exporter = exporter_for(receiver, transport, timeout=1.0)
        assert push(exporter) is MetricExportResult.SUCCESS

        receiver.refuse_all()
        started = time.monotonic()
        assert push(exporter) is MetricExportResult.FAILURE
        assert time.monotonic() - started < 4
        assert receiver.attempts()[-1].status == ("UNAVAILABLE" if transport == "grpc" else "503")
        receiver.refuse_all(False)
        assert push(exporter) is MetricExportResult.SUCCESS

        receiver.stop()
        assert not receiver.running
        assert push(exporter) is MetricExportResult.FAILURE
        receiver.start()
        assert receiver.port == port
        # The same exporter recovers, but a gRPC channel reconnects with backoff (about 1s, with
        # jitter), which can outlast one export's timeout: retry as the next export period would.
        wait_until(
            lambda: push(exporter),
            lambda r: r is MetricExportResult.SUCCESS,
            timeout=8,
            what="export after restart",
        )
        assert receiver.requests()


def test_requests_ca_bundle_env_overrides_http_certificate_file(
    tls_material: TlsMaterial, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trap for the bridge, pinned here: with REQUESTS_CA_BUNDLE set (as on this machine), the
    SDK's OTLP/HTTP exporter ignores ``certificate_file`` and fails against a private CA."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    with OtlpHttpReceiver(tls=tls_material) as receiver:
        assert (
            push(exporter_for(receiver, "http", ca=tls_material, timeout=0.5)) is MetricExportResult.FAILURE
        )
        monkeypatch.delenv("REQUESTS_CA_BUNDLE")
        monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
        assert push(exporter_for(receiver, "http", ca=tls_material)) is MetricExportResult.SUCCESS


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_http_receiver_rejects_what_a_collector_rejects() -> None:
    with OtlpHttpReceiver() as receiver:
        proto = {"Content-Type": "application/x-protobuf"}
        assert _post(receiver.base_endpoint + "/v1/traces", b"", proto) == 404
        assert _post(receiver.endpoint, b"{}", {"Content-Type": "application/json"}) == 415
        assert _post(receiver.endpoint, b"\xff\xff\xff", proto) == 400
        assert _post(receiver.endpoint, gzip.compress(b""), {**proto, "Content-Encoding": "gzip"}) == 200
        assert [a.status for a in receiver.attempts()] == ["404", "415", "400", "200"]


def test_wait_for_times_out_with_what_was_received(otlp_grpc_receiver: OtlpGrpcReceiver) -> None:
    push(exporter_for(otlp_grpc_receiver, "grpc"))
    with pytest.raises(AssertionError, match=r"names=\['harness.requests', 'harness.temperature'\]"):
        otlp_grpc_receiver.wait_for_metric("never.sent", timeout=0.3)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_slow_collector_and_partial_success(transport: str) -> None:
    with make_receiver(transport) as receiver:
        receiver.set_partial_success(1, "one point dropped")
        assert (
            push(exporter_for(receiver, transport)) is MetricExportResult.SUCCESS
        )  # partial is not a failure
        receiver.set_partial_success(0)
        receiver.require_headers({"Authorization": "Bearer t0k"})
        assert push(exporter_for(receiver, transport, headers={"authorization": "Bearer t0k"})) is (
            MetricExportResult.SUCCESS
        )
        receiver.set_delay(1.0)
        started = time.monotonic()
        slow = push(exporter_for(receiver, transport, headers={"authorization": "Bearer t0k"}, timeout=0.3))
        assert slow is MetricExportResult.FAILURE
        assert time.monotonic() - started < 2
        # The slow collector still stored the batch the client gave up on: retries can duplicate.
        assert len(receiver.wait_for_attempts(3, timeout=3)) == 3
