"""The benchmark's world (50 projects, ~20,000 series' worth of resources) stays fast to build and serve."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from tests.simulator.support import Clock, cents, finest, ovh_client, usage_lines

# Each test bounds the time the simulator takes (the world's build included, in the module's fixture).
pytestmark = pytest.mark.serial

BENCHMARK = WorldShape(
    projects=50,
    instances_per_project=100,
    volumes_per_project=60,
    containers_per_project=10,
    buckets_per_project=20,
)
PATHS = (
    "",
    "/region",
    "/quota",
    "/instance",
    "/flavor",
    "/volume",
    "/storage",
    "/usage/current",
    "/usage/forecast",
)


@pytest.fixture(scope="module")
def big() -> World:
    started = time.perf_counter()
    world = World(seed=11, shape=BENCHMARK, clock=Clock())
    assert time.perf_counter() - started < 2.0, "generation must stay well under two seconds"
    return world


def test_every_answer_of_the_benchmark_world_renders_quickly(big: World) -> None:
    started = time.perf_counter()
    figures = 0
    for project in big.project_ids:
        for path in PATHS:
            body: Any = big.body(f"/cloud/project/{project}{path}")
            if path == "/usage/current":
                lines = list(usage_lines(body))
                figures += sum(len(finest(line)) for _, line in lines)
                if "totalPrice" in body:
                    assert sum(cents(line["totalPrice"]) for _, line in lines) == cents(body["totalPrice"])
    assert time.perf_counter() - started < 6.0
    assert figures > 10_000  # priced figures alone: the cost series of the benchmark


def test_serving_the_benchmark_world_in_parallel(big: World, monkeypatch: pytest.MonkeyPatch) -> None:
    with SimulatedOvh(big) as sim:
        clients = [ovh_client(sim, monkeypatch) for _ in range(8)]

        def fetch(index: int) -> int:
            client = clients[index % len(clients)]
            project = big.project_ids[index]
            return sum(len(str(client.get(f"/cloud/project/{project}{path}"))) for path in PATHS)

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=8) as pool:
            sizes = list(pool.map(fetch, range(len(big.project_ids))))
        elapsed = time.perf_counter() - started
    assert all(sizes)
    assert sim.call_count(status=200) == len(big.project_ids) * len(PATHS) + len(clients)
    assert elapsed < 10.0
