"""Prometheus scrape and OTLP push from one process: the same snapshot behind both, and a slow
collector that does not slow the scrapes."""

from __future__ import annotations

import time
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from otel_ovh.export.catalog import BY_NAME
from otel_ovh.simulator import SimulatedOvh, World
from tests.e2e.test_otlp_common import COST, has_every_project, otlp_env, serving
from tests.support.otlp_receiver import OtlpGrpcReceiver

Series = frozenset[tuple[str, str]]
COMPARED = (
    COST,
    "ovh.cloud.usage",
    "ovh.cloud.volume.size",
    "ovh.cloud.quota.limit",
    "ovh.cloud.instance.vcpus",
)


def _scraped(body: str, prometheus_name: str) -> dict[Series, float]:
    """Samples of one family, keyed by their labels (``_total`` and such suffixes included)."""
    return {
        frozenset(sample.labels.items()): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
        if sample.name == prometheus_name
    }


def _pushed(receiver: OtlpGrpcReceiver, name: str) -> dict[Series, float]:
    """The last pushed value of each series of ``name``, with attribute keys as Prometheus spells them."""
    return {
        frozenset((key.replace(".", "_"), str(value)) for key, value in attributes): float(point)  # type: ignore[arg-type]
        for attributes, point in receiver.latest(name).items()
    }


def test_scrape_and_push_carry_the_same_values(
    simulator: SimulatedOvh, frozen_world: World, tmp_path: Path
) -> None:
    with OtlpGrpcReceiver() as receiver, serving(simulator, tmp_path, **otlp_env(receiver)) as serve:
        receiver.wait_for(has_every_project(frozen_world), timeout=20)
        receiver.wait_for_metric("ovh.cloud.instance.vcpus", timeout=10)
        body = serve.get("/metrics").decode()
        for name in COMPARED:
            scraped = _scraped(body, BY_NAME[name].prometheus_name)
            pushed = _pushed(receiver, name)
            assert scraped, name
            assert pushed == scraped, name


def test_a_slow_collector_does_not_slow_scrapes(
    simulator: SimulatedOvh, frozen_world: World, tmp_path: Path
) -> None:
    """The OTLP export blocks for 3 s in the collector; scrapes made meanwhile stay fast."""
    delay = 3.0
    with (
        OtlpGrpcReceiver() as receiver,
        serving(simulator, tmp_path, **otlp_env(receiver, timeout=delay + 3)) as serve,
    ):
        receiver.wait_for(has_every_project(frozen_world), timeout=20)
        baseline = []
        for _ in range(5):
            started = time.monotonic()
            serve.get("/metrics")
            baseline.append(time.monotonic() - started)

        receiver.set_delay(delay)
        seen = len(receiver.attempts())
        scrapes: list[tuple[float, float]] = []  # (wall-clock start, duration)
        deadline = time.monotonic() + 2 * delay + 2
        while time.monotonic() < deadline and len(receiver.attempts()) < seen + 2:
            started_wall, started = time.time(), time.monotonic()
            assert b"ovh_cloud_cost_total{" in serve.get("/metrics")
            scrapes.append((started_wall, time.monotonic() - started))
            time.sleep(0.05)
        receiver.set_delay(0)

        slow = [a for a in receiver.attempts()[seen:] if a.accepted]
        assert slow, "an export went through the slow collector"
        # The receiver records an attempt after its delay: the export was in flight in this window.
        windows = [(a.received_at - delay, a.received_at) for a in slow]
        during = [d for t, d in scrapes if any(lo <= t and t + d <= hi for lo, hi in windows)]
        print(
            f"baseline max {max(baseline):.4f}s; {len(during)} scrapes during the blocked export, "
            f"max {max(during, default=0):.4f}s"
        )
        assert len(during) >= 10, (len(during), windows, scrapes[:3])
        assert max(during) < max(0.5, 10 * max(baseline)), (max(during), baseline)
        assert "OTLP export" not in serve.log(), "the slow export still succeeded"
