"""Pytest fixtures over the harness, for any test directory to reuse.

Load them from a conftest with ``pytest_plugins = ["tests.support.pytest_plugin"]`` (root conftest
only) or by importing the fixture names. Every fixture starts a real server and stops it at
teardown; a server that cannot start raises, so the test errors instead of being skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.support.certs import TlsMaterial, make_tls_material
from tests.support.otlp_receiver import OtlpGrpcReceiver, OtlpHttpReceiver
from tests.support.prometheus import PrometheusServer, ScrapeJob
from tests.support.rotel import RotelCollector

PrometheusFactory = Callable[..., PrometheusServer]


@pytest.fixture
def tls_material(tmp_path: Path) -> TlsMaterial:
    """A fresh CA with server (localhost, 127.0.0.1) and client certificates."""
    return make_tls_material(tmp_path / "pki")


@pytest.fixture
def otlp_grpc_receiver() -> Iterator[OtlpGrpcReceiver]:
    """A plain OTLP/gRPC receiver; reconfigure it (headers, refusals) inside the test."""
    with OtlpGrpcReceiver() as receiver:
        yield receiver


@pytest.fixture
def otlp_http_receiver() -> Iterator[OtlpHttpReceiver]:
    """A plain OTLP/HTTP receiver on ``/v1/metrics``."""
    with OtlpHttpReceiver() as receiver:
        yield receiver


@pytest.fixture
def rotel_collector() -> Iterator[RotelCollector]:
    """rotel logging every metric it receives (nothing forwarded)."""
    with RotelCollector() as rotel:
        yield rotel


@pytest.fixture
def prometheus_factory() -> Iterator[PrometheusFactory]:
    """Start Prometheus servers for jobs only known inside the test; all are stopped at teardown.

    Usage: ``prom = prometheus_factory([ScrapeJob([target])], scrape_interval=1.0)``. If the
    test fails, pytest shows each server's log (printed at teardown) under the failure.
    """
    servers: list[PrometheusServer] = []

    def start(jobs: Sequence[ScrapeJob] = (), **kwargs: Any) -> PrometheusServer:
        server = PrometheusServer(jobs, **kwargs)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        # pytest shows captured teardown output only for failed tests, so this costs nothing else.
        print(f"\n--- prometheus log ({server.url}) ---\n{server.log()}")
        server.stop()
