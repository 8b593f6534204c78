"""In-process metrics servers with a given web config, stopped after each test."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator

import pytest

from otel_ovh.serve.server import MetricsServer
from otel_ovh.settings.web_config import WebConfig
from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from tests.security.support import METRIC_TEXT

ServerFactory = Callable[..., MetricsServer]


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatedOvh]:
    """A small simulated OVH, one per test module (a module's own ``sim`` fixture takes precedence)."""
    simulator = SimulatedOvh(World(seed=31, shape=WorldShape(projects=2)), port=0).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def metrics_server() -> Iterator[ServerFactory]:
    """``metrics_server(web_config, ready=True)``: a started MetricsServer on 127.0.0.1:<free port>.

    It renders ``METRIC_TEXT`` and counts renders, so a test can tell whether a request reached the data.
    """
    servers: list[MetricsServer] = []

    def start(web_config: WebConfig | None = None, *, ready: bool = True) -> MetricsServer:
        renders: list[int] = []

        def render(compress: bool) -> bytes:
            renders.append(1)
            return gzip.compress(METRIC_TEXT) if compress else METRIC_TEXT

        server = MetricsServer(
            "127.0.0.1", 0, render, healthy=lambda: True, ready=lambda: ready, web_config=web_config
        )
        server.renders = renders  # type: ignore[attr-defined]
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
