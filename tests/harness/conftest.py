"""Fixtures for the harness's own tests (the shared ones live in tests.support.pytest_plugin)."""

from tests.support.pytest_plugin import (
    otlp_grpc_receiver,
    otlp_http_receiver,
    prometheus_factory,
    rotel_collector,
    tls_material,
)

__all__ = [
    "otlp_grpc_receiver",
    "otlp_http_receiver",
    "prometheus_factory",
    "rotel_collector",
    "tls_material",
]
