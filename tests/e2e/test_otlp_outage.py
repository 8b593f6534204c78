"""The collector refuses data, goes down, comes back: one log line each way, scrapes unaffected, and the
backend ends with the full figures (nothing lost), with cumulative and with delta temporality."""

from __future__ import annotations

import datetime as dt
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from otel_ovh.serve.app import Exporter
from otel_ovh.settings.config import parse_settings
from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from tests.e2e import expected
from tests.e2e.test_otlp_common import (
    COST,
    OUTAGE_LINE,
    RECOVERY_LINE,
    assert_cost_matches_ovh,
    cost_by_project,
    has_every_project,
    otlp_env,
    serving,
    settle,
    wait_for_log,
)
from tests.support.otlp_receiver import MetricRecord, OtlpGrpcReceiver, OtlpHttpReceiver, OtlpReceiver
from tests.support.waiting import wait_until

RECEIVERS = {"grpc": OtlpGrpcReceiver, "http": OtlpHttpReceiver}


def _scrape(url: str) -> str:
    with urllib.request.urlopen(url + "/metrics", timeout=5) as response:
        assert response.status == 200
        return str(response.read().decode())


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_refused_then_down_then_back_without_restart(
    transport: str, simulator: SimulatedOvh, frozen_world: World, tmp_path: Path
) -> None:
    with RECEIVERS[transport]() as receiver, serving(simulator, tmp_path, **otlp_env(receiver)) as serve:
        receiver.wait_for(has_every_project(frozen_world), timeout=20)

        # 1. The collector answers but refuses everything (UNAVAILABLE / 503), as in an overload.
        receiver.refuse_all()
        (line,) = wait_for_log(serve, OUTAGE_LINE)
        assert ("UNAVAILABLE" if transport == "grpc" else "503") in line, line
        assert "ovh_cloud_cost_total{" in _scrape(serve.url), "scrapes are served during the outage"
        receiver.refuse_all(False)
        wait_for_log(serve, RECOVERY_LINE)

        # 2. The collector goes away (connection refused), for several intervals.
        receiver.stop()
        lines = wait_for_log(serve, OUTAGE_LINE, count=2)
        assert any(word in lines[1] for word in ("Connection refused", "failed to connect")), lines[1]
        settle(3)
        assert len(wait_for_log(serve, OUTAGE_LINE)) == 2, "one line per outage, not per attempt"
        assert "ovh_cloud_cost_total{" in _scrape(serve.url)
        assert serve.get("/healthz") == b"ok\n"
        down_since = max(a.received_at for a in receiver.attempts())

        # 3. It comes back on the same port: the same process resumes, with the full totals.
        receiver.start()
        wait_for_log(serve, RECOVERY_LINE, count=2)
        after: list[MetricRecord] = receiver.wait_for(
            lambda rs: any(r.metric_name == COST and r.received_at > down_since for r in rs), timeout=20
        )
        assert_cost_matches_ovh(
            cost_by_project([r for r in after if r.received_at > down_since]), frozen_world
        )
        assert serve.process.poll() is None, "no restart"
        assert len(wait_for_log(serve, RECOVERY_LINE)) == 2
        assert "Traceback" not in serve.log()


# -- delta temporality across an outage (in-process: the test moves the OVH clock) ----------------


@pytest.fixture
def moving_world() -> Iterator[tuple[World, list[float], SimulatedOvh]]:
    """A world whose clock the test moves; mid-month, so that six hours never cross a billing period."""
    clock = [dt.datetime(2026, 3, 14, 12, tzinfo=dt.UTC).timestamp()]
    world = World(seed=2026, shape=WorldShape(projects=4), clock=lambda: clock[0])
    sim = SimulatedOvh(world, host="127.0.0.1", port=0).start()
    yield world, clock, sim
    sim.stop()


def _summed_deltas(receiver: OtlpReceiver) -> dict[str, float]:
    totals: dict[str, float] = {}
    for record in receiver.metrics(COST):
        assert record.temporality == "delta"
        for point in record.points:
            assert float(point.value) >= 0  # type: ignore[arg-type]
            pid = point.attributes["cloud.account.id"]
            totals[pid] = totals.get(pid, 0.0) + float(point.value)  # type: ignore[arg-type]
    return totals


def test_delta_temporality_loses_nothing_across_an_outage(
    moving_world: tuple[World, list[float], SimulatedOvh], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The spend made while the collector refused data arrives in the first delta after it.

    (The SDK's own conversion computes each delta when it collects, so the deltas of failed exports
    were gone: the backend's sum stayed at the figure from before the outage.)
    """
    world, clock, sim = moving_world
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta")
    with OtlpGrpcReceiver() as receiver:
        raw = {
            "ovh": {"endpoint": sim.url, **sim.credentials},
            "collect": {"max_calls_per_second": 0},
            "prometheus": {"enabled": False},
            "otlp": {"enabled": True, "endpoint": receiver.endpoint, "interval": 1, "timeout": 1},
        }
        # The exporter lives in the world's time: the six hours of spend below pass for it too, so the
        # hourly cost family (fetched at its own cadence, after OVH's lastUpdate) is due again.
        exporter = Exporter.build(parse_settings(raw), serve=False, clock=lambda: clock[0])
        try:
            exporter.refresher.refresh_once()
            receiver.wait_for(has_every_project(world), timeout=10)
            before = {pid: expected.total_price(world, pid) for pid in world.project_ids}
            accepted_before = _summed_deltas(receiver)
            assert_cost_matches_ovh(accepted_before, world)

            receiver.refuse_all()
            refused = len(receiver.attempts())
            clock[0] += 6 * 3600  # six hours of spend while the collector refuses everything
            exporter.refresher.refresh_once()
            wait_until(receiver.attempts, lambda a: len(a) >= refused + 4, timeout=15, what="refused exports")
            now = {pid: expected.total_price(world, pid) for pid in world.project_ids}
            assert any(now[p] != before[p] for p in now), "the world spent money meanwhile"
            assert _summed_deltas(receiver) == accepted_before, "nothing accepted during the outage"

            receiver.refuse_all(False)
            wait_until(
                lambda: _summed_deltas(receiver),
                lambda sums: all(
                    now[p] is None or abs(sums.get(p, 0) - float(now[p] or 0)) < 0.005 for p in now
                ),
                timeout=15,
                what="deltas adding up to the new totals",
            )
            assert_cost_matches_ovh(_summed_deltas(receiver), world)
        finally:
            exporter.stop()
