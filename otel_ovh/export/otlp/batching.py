"""Exports in pieces: a large organisation is tens of thousands of points, and collectors cap messages.

Ours rather than the SDK exporters' ``max_export_batch_size``, because the exporter stops at the first
batch refused and commits deltas batch by batch (see the package's docstring).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from opentelemetry.sdk.metrics.export import Metric, MetricsData, ResourceMetrics, ScopeMetrics

# Points per request. A large organisation's inventory is tens of thousands of points; the Collector's
# gRPC receiver refuses messages over 4 MiB by default, so exports are split.
MAX_BATCH_POINTS = 5000


def split_metrics(data: MetricsData, max_points: int) -> Iterator[MetricsData]:
    """``data`` in pieces of at most ``max_points`` points, resource and scope kept on each piece."""
    batch: list[ResourceMetrics] = []
    count = 0
    for rm in data.resource_metrics:
        scopes: list[ScopeMetrics] = []
        for sm in rm.scope_metrics:
            metrics: list[Metric] = []
            for metric in sm.metrics:
                points: list[Any] = list(metric.data.data_points)
                kind: Any = metric.data  # Sum, Gauge, Histogram...: all carry data_points
                while points:
                    chunk, points = points[: max_points - count], points[max_points - count :]
                    metrics.append(
                        dataclasses.replace(metric, data=dataclasses.replace(kind, data_points=chunk))
                    )
                    count += len(chunk)
                    if count >= max_points:
                        scopes.append(dataclasses.replace(sm, metrics=metrics))
                        batch.append(dataclasses.replace(rm, scope_metrics=scopes))
                        yield MetricsData(resource_metrics=batch)
                        batch, scopes, metrics, count = [], [], [], 0
            if metrics:
                scopes.append(dataclasses.replace(sm, metrics=metrics))
        if scopes:
            batch.append(dataclasses.replace(rm, scope_metrics=scopes))
    if batch:
        yield MetricsData(resource_metrics=batch)
