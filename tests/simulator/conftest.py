"""Fixtures: a default world on a frozen mid-month clock, and the simulator serving it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from otel_ovh.simulator import SimulatedOvh, World
from tests.simulator.support import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def world(clock: Clock) -> World:
    return World(seed=42, clock=clock)


@pytest.fixture
def sim(world: World) -> Iterator[SimulatedOvh]:
    with SimulatedOvh(world) as server:
        yield server
