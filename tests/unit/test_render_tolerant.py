"""The last line of the render: a series no encoder takes costs that series, not the exposition."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families

from otel_ovh.collect.outages import OutageLog
from otel_ovh.export.exposition import render_tolerant


class _Fixed:
    """A collector of given series: (metric, label value, value)."""

    def __init__(self, series: list[tuple[str, str, float]]) -> None:
        self.series = series

    def collect(self) -> Iterable[Metric]:
        families: dict[str, GaugeMetricFamily] = {}
        for name, label, value in self.series:
            family = families.setdefault(name, GaugeMetricFamily(name, "help", labels=["name"]))
            family.add_metric([label], value)
        return list(families.values())


def registry_of(series: list[tuple[str, str, float]]) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed(series))
    return registry


def test_an_unencodable_label_costs_its_series_only(caplog: pytest.LogCaptureFixture) -> None:
    registry = registry_of(
        [("a", "fine", 1.0), ("a", "bad\ud800", 2.0), ("a", "also fine", 3.0), ("b", "x", 4.0)]
    )
    outages = OutageLog(logging.getLogger("test"))
    with caplog.at_level(logging.INFO, logger="test"):
        body = render_tolerant(registry, outages, "OVH series")
        again = render_tolerant(registry, outages, "OVH series")
    assert body == again
    samples = {
        (sample.name, sample.labels["name"]): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }
    assert samples == {("a", "fine"): 1.0, ("a", "also fine"): 3.0, ("b", "x"): 4.0}
    # one line when it starts (repeats at DEBUG), one when every series renders again
    assert [r.getMessage() for r in caplog.records] == [
        "OVH series: 1 series that could not be rendered dropped"
    ]
    registry_fine = registry_of([("a", "fine", 1.0)])
    with caplog.at_level(logging.INFO, logger="test"):
        render_tolerant(registry_fine, outages, "OVH series")
    assert caplog.records[-1].getMessage() == "OVH series: every series is rendered again"


def test_a_whole_render_is_the_plain_one_when_nothing_is_wrong() -> None:
    registry = registry_of([("a", "é", 1.0)])
    assert render_tolerant(registry, OutageLog(logging.getLogger("test")), "x") == generate_latest(registry)


def test_a_family_that_cannot_be_written_at_all_costs_that_family() -> None:
    class _BadHelp:
        def collect(self) -> Iterable[Metric]:
            bad = GaugeMetricFamily("bad", "help \ud800", labels=["name"])
            bad.add_metric(["x"], 1.0)
            good = GaugeMetricFamily("good", "help", labels=["name"])
            good.add_metric(["y"], 2.0)
            return [bad, good]

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_BadHelp())
    body = render_tolerant(registry, OutageLog(logging.getLogger("test")), "x").decode()
    assert [f.name for f in text_string_to_metric_families(body)] == ["good"]
