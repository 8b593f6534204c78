"""In-process exporters against a simulated OVH API, driven through the real ``ovh`` client over HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from otel_ovh.serve.app import Exporter
from otel_ovh.settings.config import FAMILY_NAMES, parse_settings
from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from tests.support.hostile_ovh import HostileOvh

ExporterFactory = Callable[..., Exporter]


@pytest.fixture
def world() -> World:
    now = time.time()
    return World(seed=11, shape=WorldShape(projects=3), clock=lambda: now)


@pytest.fixture
def sim(world: World) -> Iterator[SimulatedOvh]:
    simulator = SimulatedOvh(world, host="127.0.0.1", port=0).start()
    yield simulator
    simulator.stop()


# The scale of the targets: 50 projects and ~20,000 series.
LARGE = WorldShape(
    projects=50,
    instances_per_project=30,
    volumes_per_project=20,
    containers_per_project=4,
    buckets_per_project=10,
)


# Every family at every refresh (``collect.cadence`` at its floor, the interval): these tests change
# OVH's answers between refreshes and look for the change; ``test_cadence`` tests the families' own.
EVERY_REFRESH = dict.fromkeys(FAMILY_NAMES, 1)


class Clock:
    """Refresher time under the test's control (the simulator keeps its own)."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def frozen_world(seed: int, shape: WorldShape = LARGE) -> World:
    """A world whose clock stands still, so that figures do not move between fetch and assertion."""
    now = time.time()
    return World(seed=seed, shape=shape, clock=lambda: now)


def settings_for(sim: SimulatedOvh, **sections: Any) -> dict[str, Any]:
    """Settings for the simulator; the fair-use ceiling is lifted unless a test sets one."""
    raw: dict[str, Any] = {"ovh": {"endpoint": sim.url, **sim.credentials}}
    raw.update(sections)
    raw["collect"] = {"max_calls_per_second": 0, "cadence": EVERY_REFRESH, **raw.get("collect", {})}
    return raw


@pytest.fixture
def make_exporter(sim: SimulatedOvh) -> Iterator[ExporterFactory]:
    """Build an exporter (no HTTP server) for the simulator; every one is shut down after the test."""
    built: list[Exporter] = []

    def make(*, raw: dict[str, Any] | None = None, **sections: Any) -> Exporter:
        if raw is not None:
            raw = {
                **raw,
                "collect": {"max_calls_per_second": 0, "cadence": EVERY_REFRESH, **raw.get("collect", {})},
            }
        exporter = Exporter.build(parse_settings(raw or settings_for(sim, **sections)), serve=False)
        built.append(exporter)
        return exporter

    yield make
    for exporter in built:
        exporter.refresher.stop()
        exporter.telemetry.shutdown()


def series(exposition: bytes) -> list[str]:
    return [line for line in exposition.decode().splitlines() if line and not line.startswith("#")]


@pytest.fixture
def hostile(sim: SimulatedOvh) -> Iterator[HostileOvh]:
    """The hostile OVH stand-in in front of the simulator (``tests.support.hostile_ovh``)."""
    with HostileOvh(sim) as ovh:
        yield ovh


@pytest.fixture
def served(hostile: HostileOvh) -> Iterator[ExporterFactory]:
    """Build exporters with their HTTP server, through the hostile stand-in; refreshes are the test's to
    run (``refresher.refresh_once``), or ``start()`` runs them all as ``serve`` does."""
    built: list[Exporter] = []

    def build(**collect: Any) -> Exporter:
        raw = {
            "ovh": {"endpoint": hostile.url, **hostile.credentials},
            "collect": {"max_calls_per_second": 0, "retries": 0, "cadence": EVERY_REFRESH, **collect},
            "prometheus": {"enabled": True, "host": "127.0.0.1", "port": 0},
        }
        exporter = Exporter.build(parse_settings(raw))
        assert exporter.server is not None
        exporter.serve_http()
        built.append(exporter)
        return exporter

    yield build
    for exporter in built:
        exporter.stop()
