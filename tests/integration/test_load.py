"""Concurrent scrapes of 20,000+ series while OVH answers slowly: no error, every scrape whole."""

from __future__ import annotations

import statistics
import threading
import time
import urllib.request

from otel_ovh.serve.app import Exporter
from otel_ovh.settings.config import parse_settings
from otel_ovh.simulator import SimulatedOvh
from tests.integration.conftest import frozen_world

SCRAPERS, SCRAPES_EACH = 8, 25


def test_concurrent_scrapes_under_slow_ovh() -> None:
    world = frozen_world(seed=9)
    sim = SimulatedOvh(world, host="127.0.0.1", port=0, latency=0.05).start()
    settings = parse_settings(
        {
            "ovh": {"endpoint": sim.url, **sim.credentials},
            "collect": {"interval": 2, "max_calls_per_second": 0, "concurrency": 8},
            "prometheus": {"port": 0},
        }
    )
    exporter = Exporter.build(settings)
    assert exporter.server is not None
    exporter.start()
    try:
        assert exporter.refresher.first_refresh_done.wait(60)
        unloaded = exporter.refresher.last_refresh_duration or 0.0
        refreshes_before = exporter.refresher.refreshes
        url = f"{exporter.server.url}/metrics"
        expected_series = _series_count(_get(url))
        assert expected_series > 20_000

        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()

        def scrape() -> None:
            for _ in range(SCRAPES_EACH):
                started = time.perf_counter()
                try:
                    body = _get(url)
                    ok = body.endswith(b"\n") and _series_count(body) >= expected_series - 50
                    problem = None if ok else f"incomplete scrape: {_series_count(body)} series"
                except OSError as exc:
                    problem = f"{type(exc).__name__}: {exc}"
                with lock:
                    latencies.append(time.perf_counter() - started)
                    if problem:
                        errors.append(problem)

        threads = [threading.Thread(target=scrape) for _ in range(SCRAPERS)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        elapsed = time.monotonic() - started
        # Let a refresh finish under the same conditions, then compare.
        deadline = time.monotonic() + 60
        while exporter.refresher.refreshes < refreshes_before + 2 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        exporter.stop()
        sim.stop()
    latencies.sort()
    p50, p99 = statistics.median(latencies), latencies[int(len(latencies) * 0.99) - 1]
    print(
        f"{len(latencies)} scrapes of {expected_series} series in {elapsed:.1f}s: p50 {p50 * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms; refresh {unloaded:.1f}s before, "
        f"{exporter.refresher.last_refresh_duration:.1f}s during load"
    )
    assert errors == []
    assert len(latencies) == SCRAPERS * SCRAPES_EACH
    assert exporter.refresher.refreshes >= refreshes_before + 2  # the refresher kept going
    assert all(state.success for state in exporter.store.current.projects.values())
    assert (exporter.refresher.last_refresh_duration or 0) < max(3 * unloaded, unloaded + 10)


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
        return bytes(response.read())


def _series_count(body: bytes) -> int:
    return sum(1 for line in body.split(b"\n") if line and not line.startswith(b"#"))
