"""Where rendering the exposition goes: our callbacks, the SDK's collect, translation, text formatting.

    python -m benchmarks.profile_render            # 50 projects, ~22,000 series, in one process

Builds the benchmark's world, refreshes once (OVH answering at once), then times the render paths
without a profiler (wall time) and splits one uncached render with cProfile (shares of its cumulative
time; the profiler slows Python code down, so the shares are what to read, not its absolute figures).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time
from collections.abc import Callable, Sequence

from otel_ovh.export.pipeline import observations
from otel_ovh.serve.app import Exporter
from otel_ovh.settings.config import parse_settings
from otel_ovh.simulator import SimulatedOvh, World, WorldShape


def wall(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def cumulative(stats: pstats.Stats, file_part: str, function: str) -> float:
    """Cumulative seconds of the functions named ``function`` in files whose path contains ``file_part``."""
    raw = stats.stats  # type: ignore[attr-defined]  # pstats keeps its table untyped
    return float(
        sum(entry[3] for (path, _, name), entry in raw.items() if name == function and file_part in path)
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    now = time.time()
    shape = WorldShape(
        projects=args.projects,
        instances_per_project=30,
        volumes_per_project=20,
        containers_per_project=4,
        buckets_per_project=10,
    )
    with SimulatedOvh(World(seed=5, shape=shape, clock=lambda: now)) as sim:
        settings = parse_settings(
            {
                "ovh": {"endpoint": sim.url, **sim.credentials},
                "collect": {"max_calls_per_second": 0, "concurrency": 8},
            }
        )
        exporter = Exporter.build(settings, serve=False)
        exporter.refresher.refresh_once()
    telemetry, store = exporter.telemetry, exporter.store
    metrics = list(telemetry._inventory_metrics)
    series = sum(len(observations(m, store.current, now)) for m in metrics)

    def uncached() -> None:
        telemetry._cache = None  # as after a new snapshot: our callbacks make their points again
        telemetry.render_inventory()

    figures = {
        "our callbacks' points (observations(), all inventory metrics)": wall(
            lambda: [observations(m, store.current, now) for m in metrics], args.repeat
        ),
        "uncached render (a new snapshot: what the refresher pays)": wall(uncached, args.repeat),
        "cached inventory (a scrape of unchanged data)": wall(telemetry.render_inventory, 50),
        "self metrics (calls, memory, process), rendered every second": wall(telemetry.render_self, 50),
        "whole /metrics body, cached inventory + fresh self": wall(telemetry.render, 50),
    }
    print(f"{series:,} inventory series, {len(metrics)} instruments; medians of wall time")
    for name, seconds in figures.items():
        print(f"  {seconds * 1000:8.1f} ms  {name}")

    telemetry._cache = None
    profile = cProfile.Profile()
    profile.enable()
    telemetry.render_inventory()
    profile.disable()
    stats = pstats.Stats(profile)
    total = cumulative(stats, "otel_ovh/export/telemetry.py", "render_inventory")
    sdk = cumulative(stats, "measurement_consumer.py", "collect")
    ours = cumulative(stats, "otel_ovh/export/pipeline.py", "iter_observations")
    sdk_callbacks = cumulative(stats, "sdk/metrics/_internal/instrument.py", "callback")
    translate = cumulative(stats, "exporter/prometheus/__init__.py", "_translate_to_prometheus")
    text = cumulative(stats, "prometheus_client/exposition.py", "generate_latest")  # one family per call
    trimmed = cumulative(stats, "otel_ovh/export/exposition.py", "drop_empty_labels")
    print("\none uncached render under cProfile, share of its time:")
    for name, seconds in (
        ("SDK collect (callbacks, measurements, aggregation)", sdk),
        ("  of which our callbacks computing points", ours),
        ("  of which the SDK turning points into measurements", sdk_callbacks - ours),
        ("OTel -> prometheus_client families (exporter-prometheus)", translate),
        ("prometheus_client text formatting (generate_latest)", text),
        ("empty labels out (otel_ovh.export.exposition)", trimmed),
        ("the rest (compression, our glue)", total - sdk - translate - text - trimmed),
    ):
        print(f"  {seconds / total:6.1%}  {name}")
    exporter.telemetry.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
