"""Push mode, end to end: simulated OVH API → ``otel-ovh serve`` → a real OTLP receiver, gRPC and HTTP.

The receiver decodes the official protobufs, so the assertions are on what any collector would get:
names, units, kinds, temporality, attribute keys, resource, and values equal to OVH's own figures.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from otel_ovh import __version__
from otel_ovh.export.catalog import CATALOG, Kind
from otel_ovh.export.pipeline import enabled_metrics, observations
from otel_ovh.serve.app import Exporter
from otel_ovh.settings.config import parse_settings
from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from tests.e2e import expected
from tests.e2e.test_otlp_common import (
    COST,
    assert_cost_matches_ovh,
    cost_by_project,
    has_every_project,
    otlp_env,
    serving,
    settle,
)
from tests.support.otlp_receiver import MetricRecord, OtlpGrpcReceiver, OtlpHttpReceiver
from tests.support.rotel import RotelCollector

RECEIVERS = {"grpc": OtlpGrpcReceiver, "http": OtlpHttpReceiver}
USAGE_KEYS = {
    "cloud.account.id", "ovh.project.name", "cloud.region", "ovh.service", "ovh.sku", "cloud.resource_id",
    "ovh.billing",
}  # fmt: skip
COMMON_KEYS = {"cloud.account.id", "ovh.project.name"}


def _last(records: list[MetricRecord], name: str) -> MetricRecord:
    return max((r for r in records if r.metric_name == name), key=lambda r: r.received_at)


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_every_metric_of_the_contract_arrives_with_ovh_figures(
    transport: str, simulator: SimulatedOvh, frozen_world: World, tmp_path: Path
) -> None:
    with RECEIVERS[transport]() as receiver, serving(simulator, tmp_path, **otlp_env(receiver)):
        records = receiver.wait_for(has_every_project(frozen_world), timeout=20)
        # Both pipelines (OVH data and exporter health) export every interval: wait for a full round.
        always = [m for m in CATALOG if not m.only_on_failure]
        records = receiver.wait_for(
            lambda rs: {m.name for m in always} <= {r.metric_name for r in rs}, timeout=10
        )

        assert {m.name for m in always} <= {r.metric_name for r in records}
        assert not {m.name for m in CATALOG if m.only_on_failure} & {r.metric_name for r in records}
        for metric in always:
            record = _last(records, metric.name)
            assert record.unit == metric.unit, metric.name
            assert record.description == metric.description, metric.name
            assert record.scope_name == "otel_ovh", metric.name
            if metric.kind is Kind.COUNTER:
                assert (record.kind, record.is_monotonic, record.temporality) == ("sum", True, "cumulative")
            else:
                assert record.kind == "gauge", metric.name
            for point in record.points:
                keys = set(point.attributes)
                # A declared attribute with no value is left out (as Prometheus treats an empty label).
                assert keys <= {*(a.key for a in metric.attributes), *COMMON_KEYS}, (metric.name, keys)
                assert not metric.per_project or "cloud.account.id" in keys, (metric.name, keys)
                assert "" not in point.attributes.values(), (metric.name, point.attributes)
                assert not any("_" in key and "." not in key and key != "cloud.resource_id" for key in keys)

        cost = _last(records, COST)
        assert all(
            COMMON_KEYS | {"ovh.service", "ovh.currency"}
            <= set(p.attributes)
            <= {*USAGE_KEYS, "ovh.currency"}
            for p in cost.points
        )
        assert any(set(p.attributes) == {*USAGE_KEYS, "ovh.currency"} for p in cost.points)
        assert all(p.start_time < p.time for p in cost.points)
        assert_cost_matches_ovh(cost_by_project(records), frozen_world)

        pid = frozen_world.project_ids[0]
        sizes = {
            p.attributes["cloud.resource_id"]: p.value
            for p in _last(records, "ovh.cloud.volume.size").points
            if p.attributes["cloud.account.id"] == pid
        }
        assert sizes == expected.volume_sizes(frozen_world, pid)

        resource = cost.resource_attributes
        assert resource["service.name"] == "otel-ovh"
        assert resource["service.version"] == __version__
        assert resource["service.instance.id"]
        assert not {"cloud.account.id", "ovh.project.name"} & set(resource), (
            "project facts stay on the points"
        )
        # One resource for both pipelines: the exporter's health describes the same producer.
        assert _last(records, "otel_ovh.api.requests").resource_attributes == resource

        # Cumulative counters repeat their full totals at every export (a frozen world: same values).
        exports = [r for r in records if r.metric_name == COST]
        assert len(exports) >= 1
        settle(2.5)
        later = [r for r in receiver.metrics(COST) if r.received_at > exports[-1].received_at]
        assert later, "exports go on every interval"
        assert cost_by_project(later) == cost_by_project(exports)
        if transport == "http":
            assert {a.headers.get("content-type") for a in receiver.attempts()} == {"application/x-protobuf"}


def test_standard_variables_alone_configure_the_push(
    simulator: SimulatedOvh, frozen_world: World, tmp_path: Path
) -> None:
    """Protocol, endpoint (a base URL), compression and resource from OTEL_* variables only; the
    resource variables win over our defaults."""
    env = otlp_env(
        None,
        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
        OTEL_RESOURCE_ATTRIBUTES="service.name=from-attributes,deployment.environment.name=prod,"
        "service.instance.id=pod-7,k8s.namespace.name=billing%20team",
        OTEL_SERVICE_NAME="ovh-costs",
        OTEL_EXPORTER_OTLP_METRICS_COMPRESSION="gzip",
    )
    with OtlpHttpReceiver() as receiver:
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.base_endpoint
        with serving(simulator, tmp_path, **env):
            resource = receiver.wait_for_metric(COST, timeout=20)[-1].resource_attributes
    assert {a.compression for a in receiver.attempts()} == {"gzip"}
    assert resource["service.name"] == "ovh-costs"  # OTEL_SERVICE_NAME wins over OTEL_RESOURCE_ATTRIBUTES
    assert resource["service.instance.id"] == "pod-7"
    assert resource["deployment.environment.name"] == "prod"
    assert resource["k8s.namespace.name"] == "billing team"
    assert resource["service.version"] == __version__


def test_delta_temporality_sends_each_cent_once(
    simulator: SimulatedOvh, frozen_world: World, tmp_path: Path
) -> None:
    """With DELTA preferred, counters arrive as deltas whose sum is the month-to-date total: the first
    export carries the total, the next ones (nothing spent in a frozen world) carry zero."""
    with OtlpGrpcReceiver() as receiver:
        env = otlp_env(receiver, OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE="delta")
        with serving(simulator, tmp_path, **env):
            receiver.wait_for(has_every_project(frozen_world), timeout=20)
            records = receiver.wait_for(lambda rs: sum(r.metric_name == COST for r in rs) >= 3, timeout=10)
    costs = [r for r in records if r.metric_name == COST]
    assert {(r.kind, r.is_monotonic, r.temporality) for r in costs} == {("sum", True, "delta")}
    assert _last(records, "ovh.cloud.volume.size").kind == "gauge"
    assert _last(records, "ovh.cloud.quota.limit").kind == "gauge"
    summed: dict[str, float] = {}
    for record in costs:
        for point in record.points:
            pid = point.attributes["cloud.account.id"]
            summed[pid] = summed.get(pid, 0.0) + float(point.value)  # type: ignore[arg-type]
            assert point.value >= 0  # type: ignore[operator]
    assert_cost_matches_ovh(summed, frozen_world)
    assert all(float(p.value) == 0 for p in costs[-1].points)  # type: ignore[arg-type]
    # Each delta starts where the previous one ended: no gap, no overlap.
    first, second = (
        costs[0].points[0],
        next(p for p in costs[1].points if p.attributes == costs[0].points[0].attributes),
    )
    assert second.start_time == first.time


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_rotel_accepts_and_relays_our_metrics(
    transport: str, simulator: SimulatedOvh, frozen_world: World, tmp_path: Path
) -> None:
    """An independent collector (rotel, Rust) takes what we send over both transports, logs it, and
    relays it intact: the figures behind it still match OVH's."""
    with OtlpGrpcReceiver() as relayed, RotelCollector(forward_to=relayed.endpoint) as rotel:
        env = otlp_env(
            None,
            OTEL_OVH_OTLP__PROTOCOL="grpc" if transport == "grpc" else "http/protobuf",
            OTEL_OVH_OTLP__ENDPOINT=rotel.grpc_endpoint
            if transport == "grpc"
            else rotel.http_endpoint.removesuffix("/v1/metrics"),
        )
        with serving(simulator, tmp_path, **env) as serve:
            block = rotel.wait_for_metric(COST, timeout=20)
            rotel.wait_for_metric("ovh.cloud.volume.size", timeout=10)
            rotel.wait_for_metric("otel_ovh.collection.success", timeout=10)
            records = relayed.wait_for(has_every_project(frozen_world), timeout=10)
            log = rotel.log()
        assert "OTLP export" not in serve.log(), "no export failed"
    assert "-> Unit: {currency}" in block
    assert "-> DataType: Sum" in block
    assert "AGGREGATION_TEMPORALITY_CUMULATIVE" in block
    assert f"-> cloud.account.id: Str({frozen_world.project_ids[0]})" in log
    assert "-> ovh.currency: Str(" in block
    assert "service.name: Str(otel-ovh)" in log
    assert_cost_matches_ovh(cost_by_project(records), frozen_world)


def test_a_large_organisation_arrives_whole_under_the_grpc_message_limit() -> None:
    """Tens of thousands of points in one collection: every one arrives, in requests the Collector's
    gRPC receiver accepts (4 MiB by default, as is our receiver's grpc server)."""
    now = time.time()
    shape = WorldShape(projects=50, instances_per_project=30, volumes_per_project=20, buckets_per_project=10)
    world = World(seed=5, shape=shape, clock=lambda: now)
    with SimulatedOvh(world, host="127.0.0.1", port=0) as sim, OtlpGrpcReceiver() as receiver:
        settings = parse_settings(
            {
                "ovh": {"endpoint": sim.url, **sim.credentials},
                "collect": {"max_calls_per_second": 0, "concurrency": 16},
                "prometheus": {"enabled": False},
                "otlp": {"enabled": True, "endpoint": receiver.endpoint, "interval": 1, "timeout": 5},
            }
        )
        exporter = Exporter.build(settings, serve=False)
        try:
            exporter.refresher.refresh_once()
            snapshot = exporter.store.current
            wanted = {
                m.name: len(observations(m, snapshot, now))
                for m in enabled_metrics(settings)
                if m.per_project and m.name.startswith("ovh.")
            }
            assert sum(wanted.values()) >= 20_000

            def complete(records: list[MetricRecord]) -> bool:
                got: dict[str, int] = {}
                for record in records:
                    if record.received_at >= started:
                        got[record.metric_name] = got.get(record.metric_name, 0) + len(record.points)
                return all(got.get(name, 0) >= count for name, count in wanted.items())

            started = time.time()
            receiver.wait_for(complete, timeout=30)
        finally:
            exporter.stop()
    sizes = [request.ByteSize() for request in receiver.requests()]
    assert max(sizes) < 4 * 1024 * 1024, max(sizes)
    assert sum(sizes) > 4 * 1024 * 1024, "the test means something only if one request would be too large"
    assert not [a for a in receiver.attempts() if not a.accepted]
