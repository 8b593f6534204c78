"""Delta temporality for observable month-to-date counters, computed against what the collector accepted.

The SDK's own cumulative-to-delta conversion happens at collection time, so a failed export loses its
delta, a new billing period yields a negative delta on a monotonic sum, and a rebuilt pipeline starts
again from zero and re-sends the whole month. ``DeltaState`` avoids all three.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping
from typing import Any

from opentelemetry.sdk.metrics.export import AggregationTemporality, MetricsData, NumberDataPoint, Sum

SeriesKey = tuple[str, str, frozenset[tuple[str, Any]]]


def _freeze(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


class DeltaState:
    """Cumulative → delta for monotonic counters, against what the collector last accepted.

    Kept by ``Telemetry`` per pipeline name and handed to every exporter of that name, so a pipeline
    rebuilt to forget retired series continues the deltas instead of re-sending month-to-date totals.
    A value below the last accepted one is a counter reset (a new billing period): its delta is the
    new value. The first point of a series is its whole cumulative value (the spend the backend has
    not seen yet). Series not seen for ``retention`` seconds are forgotten; 40 days outlive a month.
    """

    def __init__(self, retention: float = 40 * 86400) -> None:
        self._lock = threading.Lock()
        self._accepted: dict[SeriesKey, tuple[int | float, int]] = {}  # value, time (ns)
        self._retention_ns = int(retention * 1e9)

    def __len__(self) -> int:
        with self._lock:
            return len(self._accepted)

    def convert(self, data: MetricsData) -> tuple[MetricsData, dict[SeriesKey, tuple[int | float, int]]]:
        """Deltas for ``data``'s cumulative monotonic sums; the second item is committed on success."""
        pending: dict[SeriesKey, tuple[int | float, int]] = {}
        with self._lock:
            accepted = dict(self._accepted)

        def sum_points(scope: str, name: str, points: Any) -> list[NumberDataPoint]:
            result = []
            for point in points:
                key = (scope, name, frozenset((k, _freeze(v)) for k, v in (point.attributes or {}).items()))
                previous = accepted.get(key)
                value = point.value
                if previous is None:
                    delta, start = value, point.start_time_unix_nano
                elif value < previous[0]:  # the counter restarted: a new billing period
                    delta, start = value, previous[1]
                else:
                    delta, start = value - previous[0], previous[1]
                pending[key] = (value, point.time_unix_nano)
                result.append(dataclasses.replace(point, value=delta, start_time_unix_nano=start))
            return result

        resource_metrics = []
        for rm in data.resource_metrics:
            scope_metrics = []
            for sm in rm.scope_metrics:
                metrics = []
                for metric in sm.metrics:
                    d = metric.data
                    if (
                        isinstance(d, Sum)
                        and d.is_monotonic
                        and d.aggregation_temporality is AggregationTemporality.CUMULATIVE
                    ):
                        points = sum_points(sm.scope.name, metric.name, d.data_points)
                        metric = dataclasses.replace(
                            metric,
                            data=Sum(
                                data_points=points,
                                aggregation_temporality=AggregationTemporality.DELTA,
                                is_monotonic=True,
                            ),
                        )
                    metrics.append(metric)
                scope_metrics.append(dataclasses.replace(sm, metrics=metrics))
            resource_metrics.append(dataclasses.replace(rm, scope_metrics=scope_metrics))
        return MetricsData(resource_metrics=resource_metrics), pending

    def commit(self, pending: Mapping[SeriesKey, tuple[int | float, int]]) -> None:
        """Record what the collector accepted; forget series unseen for longer than the retention."""
        with self._lock:
            newest = 0
            for key, (value, at) in pending.items():
                current = self._accepted.get(key)
                if current is None or at >= current[1]:
                    self._accepted[key] = (value, at)
                newest = max(newest, at)
            horizon = newest - self._retention_ns
            if newest and any(at < horizon for _, at in self._accepted.values()):
                self._accepted = {k: v for k, v in self._accepted.items() if v[1] >= horizon}
