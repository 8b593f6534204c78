"""rotel, an independent OTLP collector, receiving what the SDK exporters push."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.metrics.export import MetricExportResult

from tests.harness.sdk_push import COUNTER, GAUGE, exporter_for, push
from tests.support.errors import HarnessError, WaitTimeout
from tests.support.otlp_receiver import OtlpGrpcReceiver
from tests.support.rotel import RotelCollector


def test_rotel_logs_a_metric_pushed_over_grpc(rotel_collector: RotelCollector) -> None:
    assert push(exporter_for(rotel_collector.grpc_endpoint, "grpc")) is MetricExportResult.SUCCESS
    block = rotel_collector.wait_for_metric(COUNTER, timeout=5)
    assert "-> Unit: {request}" in block
    assert "-> DataType: Sum" in block
    assert "AGGREGATION_TEMPORALITY_CUMULATIVE" in block
    assert "-> cloud.region: Str(GRA)" in block
    rotel_collector.wait_for_metric(GAUGE, timeout=5)
    assert "service.name: Str(otel-ovh-harness)" in rotel_collector.log()
    with pytest.raises(
        WaitTimeout, match=r"never logged metric 'never\.sent'; metrics it logged: \['harness\.requests'"
    ):
        rotel_collector.wait_for_metric("never.sent", timeout=0.3)


def test_rotel_over_http_forwarding_to_our_receiver() -> None:
    """SDK -(HTTP)-> rotel -(gRPC)-> OtlpGrpcReceiver: our receiver decodes a third party's OTLP."""
    with OtlpGrpcReceiver() as receiver, RotelCollector(forward_to=receiver.endpoint) as rotel:
        assert push(exporter_for(rotel.http_endpoint, "http", gzip=True)) is MetricExportResult.SUCCESS
        rotel.wait_for_metric(COUNTER, timeout=5)
        (record,) = receiver.wait_for_metric(COUNTER, timeout=10)
        assert record.unit == "{request}"
        assert receiver.latest_value(COUNTER, {"cloud.region": "GRA"}) == 5
        assert COUNTER in rotel.metric_names()


def test_rotel_start_failure_is_explicit() -> None:
    with pytest.raises(HarnessError, match="rotel"), RotelCollector(extra_args=["--no-such-flag"]):
        pass
