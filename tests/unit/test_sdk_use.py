"""The metrics SDK as otel-ovh drives it: the compact attribute keys given to it, and the Prometheus
reader fed one metric at a time."""

from __future__ import annotations

import gzip
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics._internal import _view_instrument_match as storage
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint

import otel_ovh.export.pipeline  # noqa: F401  # importing the pipeline puts the compact keys in place
from otel_ovh.export.sdk_internals import compact_attribute_keys

SCALARS = st.one_of(
    st.text(max_size=3), st.integers(-2, 2), st.booleans(), st.sampled_from([0.0, 1.0, 1.5]), st.none()
)
ATTRIBUTES = st.dictionaries(st.sampled_from(["a", "b", "mapping", "str"]), SCALARS, max_size=4)


def test_the_installed_sdk_gets_the_compact_keys() -> None:
    """A newer SDK without ``_hash_attributes`` would lose the saving silently: this says so instead."""
    assert compact_attribute_keys() is True
    assert getattr(storage._hash_attributes, "compact", False) is True
    assert storage._hash_attributes({"a": "x", "b": 2}) == ("a", "x", "b", 2)  # type: ignore[comparison-overlap]


@settings(deadline=None)
@given(ATTRIBUTES, ATTRIBUTES)
def test_two_sets_share_a_key_exactly_when_the_sdk_would_say_so(a: dict[str, Any], b: dict[str, Any]) -> None:
    compact = storage._hash_attributes
    original = compact.original  # type: ignore[attr-defined]
    assert (compact(a) == compact(b)) == (original(a) == original(b))
    assert hash(compact(a)) == hash(compact(dict(reversed(list(a.items())))))  # order does not matter


def test_values_that_equal_each_other_stay_separate_series() -> None:
    """``1``, ``"1"``, ``True`` and ``1.0``: four series, as the SDK's own keys make them."""
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    values: list[Any] = [1, "1", True, 1.0, "x"]

    def points(_: CallbackOptions) -> list[Observation]:
        return [Observation(i, {"v": v, "k": "same"}) for i, v in enumerate(values)]

    provider.get_meter("test").create_observable_gauge("g", callbacks=[points])
    for _ in range(2):  # the second collection finds the sets stored by the first
        data = reader.get_metrics_data()
        assert data is not None
        metric = data.resource_metrics[0].scope_metrics[0].metrics[0]
        got = sorted(
            (repr(dict(p.attributes or {})["v"]), p.value)
            for p in metric.data.data_points
            if isinstance(p, NumberDataPoint)
        )
        assert got == sorted((repr(v), i) for i, v in enumerate(values))
    provider.shutdown()


def test_a_failed_render_leaves_no_metric_queued_for_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader is given one metric at a time; a family that fails to format costs that family in that
    render, and leaves none of the metrics after it in the reader, where the next would serve them twice."""
    import logging

    from prometheus_client import CollectorRegistry

    from otel_ovh.collect.outages import OutageLog
    from otel_ovh.export import exposition
    from otel_ovh.export.prometheus_internals import MetricByMetricReader

    registry = CollectorRegistry(auto_describe=False)
    reader = MetricByMetricReader(disable_target_info=True, scope_info_enabled=False, registry=registry)
    provider = MeterProvider(metric_readers=[reader])
    meter = provider.get_meter("test")
    for name in ("a", "b", "c"):
        meter.create_observable_gauge(name, callbacks=[lambda _, n=name: [Observation(1, {"m": n})]])
    real = exposition.generate_latest

    def failing_on_a(collector: Any) -> bytes:
        text: bytes = real(collector)
        if b"# TYPE a gauge" in text:
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
        return text

    log = OutageLog(logging.getLogger("test"))

    def types(body: bytes) -> list[str]:
        return [line for line in gzip.decompress(body).decode().splitlines() if line.startswith("# TYPE")]

    monkeypatch.setattr(exposition, "generate_latest", failing_on_a)
    assert types(exposition.gzipped_exposition(registry, log, "test")) == ["# TYPE b gauge", "# TYPE c gauge"]
    monkeypatch.setattr(exposition, "generate_latest", real)
    body = exposition.gzipped_exposition(registry, log, "test")
    assert types(body) == ["# TYPE a gauge", "# TYPE b gauge", "# TYPE c gauge"]
    assert gzip.decompress(body).decode().count('{m="b"}') == 1
    provider.shutdown()
