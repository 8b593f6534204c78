"""Repeated scrapes of unchanged data are served from the per-snapshot render, and never queue behind one.

Rendering 20,000 series through the OpenTelemetry Prometheus reader takes most of a second on a small VM,
so it happens once per snapshot, in the refresher's thread. These tests hold the contract without timing
anything: unchanged data is not collected again, a scrape during a render answers with the previous
exposition instead of waiting, and staleness still holds (an expired project's series go away).
"""

from __future__ import annotations

import gc
import threading

from opentelemetry.metrics import Observation

from otel_ovh.collect.snapshot import ProjectState
from otel_ovh.families import enabled
from otel_ovh.serve.app import Exporter
from otel_ovh.settings.config import parse_settings
from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from tests.integration.conftest import ExporterFactory, series, settings_for


def _collects(exporter_registry: object) -> list[int]:
    """Wrap the inventory registry's collect to count the SDK collections it runs."""
    count = [0]
    original = exporter_registry.collect  # type: ignore[attr-defined]

    def counting() -> object:
        count[0] += 1
        return original()

    exporter_registry.collect = counting  # type: ignore[attr-defined]
    return count


def test_unchanged_data_is_rendered_once_and_self_metrics_stay_fresh(
    world: World, make_exporter: ExporterFactory
) -> None:
    exporter = make_exporter(prometheus={"enabled": True, "port": 0})
    exporter.refresher.refresh_once()
    telemetry = exporter.telemetry
    registry = telemetry._inventory.readers.registry
    assert registry is not None
    collects = _collects(registry)
    first = telemetry.render()
    for _ in range(5):
        assert telemetry.render_inventory(wait=False) == telemetry.render_inventory()
    assert collects[0] == 0  # the refresher rendered it already; scrapes only copy
    body = telemetry.render()
    fetched = [line for line in series(body) if line.startswith("otel_ovh_data_fetched_timestamp_seconds")]
    # the per-project health is part of the snapshot's render: one fetch time per project and
    # per-project family (the account's, the price list, has its own)
    per_project = [family for family in enabled(exporter.settings.collect.families) if not family.account]
    assert len(fetched) == len(world.project_ids) * len(per_project)
    assert first.count(b"cloud_account_id") > 0
    # the exporter's own state is rendered again as it moves: a call made since shows in the next body
    calls = _calls(body)
    exporter.api.stats.record("/cloud/project", 200)
    assert _calls(telemetry.render()) == calls + 1


def test_a_scrape_during_a_render_answers_with_the_previous_exposition(
    world: World, make_exporter: ExporterFactory
) -> None:
    exporter = make_exporter(prometheus={"enabled": True, "port": 0})
    exporter.refresher.refresh_once()
    telemetry, store = exporter.telemetry, exporter.store
    gone = world.project_ids[0]
    before = telemetry.render_inventory().text
    assert f'cloud_account_id="{gone}"'.encode() in before

    # Hold the render lock as a long render would, and publish a snapshot without that project: the
    # refresher's render now waits for the lock.
    def drop(projects: dict[str, ProjectState]) -> None:
        del projects[gone]

    lock = telemetry._render_lock
    lock.acquire()
    publisher = threading.Thread(target=lambda: store.update(drop))
    publisher.start()
    scraped: list[bytes] = []
    scraper = threading.Thread(target=lambda: scraped.append(telemetry.render()))
    scraper.start()
    scraper.join(30)
    alive = scraper.is_alive()
    lock.release()
    publisher.join(30)
    assert not alive, "a scrape queued behind a render"
    assert scraped[0].startswith(before)  # the previous inventory, with fresh self metrics after it

    # Once the render is done, the expired project's series are gone from every scrape.
    after = telemetry.render()
    assert f'cloud_account_id="{gone}"'.encode() not in after
    assert after.count(b"cloud_account_id") > 0


def test_expiry_publishes_a_snapshot_whose_render_drops_the_project(sim: SimulatedOvh) -> None:
    now = [1_000_000.0]
    settings = parse_settings(settings_for(sim, collect={"max_staleness": 600, "interval": 60}))
    exporter = Exporter.build(settings, serve=False, clock=lambda: now[0])
    try:
        exporter.refresher.refresh_once()
        before = exporter.telemetry.render()
        assert before.count(b"ovh_cloud_cost_total{") > 0
        now[0] += 601
        exporter.refresher.expire_stale()
        after = exporter.telemetry.render()
        assert b"ovh_cloud_cost_total{" not in after
        fetched = "otel_ovh_data_fetched_timestamp_seconds"
        assert [line for line in series(after) if line.startswith(fetched)] == []
    finally:
        exporter.refresher.stop()
        exporter.telemetry.shutdown()


def _calls(body: bytes) -> float:
    """Every OVH call the body counts, whatever the route and status."""
    prefix = "otel_ovh_api_requests_total{"
    return sum(float(line.rsplit(" ", 1)[1]) for line in series(body) if line.startswith(prefix))


def _live_points() -> int:
    """By type, not ``isinstance``: that asks each object its ``__class__``, which wakes dynaconf's
    deprecated global ``settings`` object (and its DeprecationWarning)."""
    gc.collect()
    return sum(1 for o in gc.get_objects() if issubclass(type(o), Observation))


def test_points_are_never_kept_between_collections(make_exporter: ExporterFactory) -> None:
    """Memory: a snapshot's points are made one at a time as the SDK consumes them, for every reader,
    so none outlives a collection; an OTLP reader collecting later makes them again, the same ones."""
    exporter = make_exporter(prometheus={"enabled": True, "port": 0})
    exporter.refresher.refresh_once()
    assert _live_points() == 0
    body = exporter.telemetry.render()
    exporter.refresher.refresh_once()
    assert _live_points() == 0
    assert exporter.telemetry.render().count(b"\n") == body.count(b"\n")  # same data, same series

    # With an OTLP reader too: its collections make the points again (tests/e2e/test_otlp_push.py checks
    # them against the snapshot), rather than keeping them for it.
    pushing = make_exporter(otlp={"enabled": True, "endpoint": "http://127.0.0.1:9", "interval": 3600})
    pushing.refresher.refresh_once()
    assert series(pushing.telemetry.render())
    assert _live_points() == 0


def test_inventory_points_carry_no_exemplar_reservoir() -> None:
    """Observable callbacks have no trace context: the shared no-op reservoir exports the same points."""
    from opentelemetry.metrics import CallbackOptions, Observation
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    from otel_ovh.export.pipeline import NO_EXEMPLARS_VIEW

    def points(_: CallbackOptions) -> list[Observation]:
        return [Observation(i, {"i": i}) for i in range(100)]

    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader], views=[NO_EXEMPLARS_VIEW])
    provider.get_meter("t").create_observable_counter("c", callbacks=[points])
    provider.get_meter("t").create_observable_gauge("g", callbacks=[points])
    data = reader.get_metrics_data()
    assert data is not None
    metrics = data.resource_metrics[0].scope_metrics[0].metrics
    assert {m.name for m in metrics} == {"c", "g"}
    for metric in metrics:
        assert sorted(float(getattr(p, "value", -1)) for p in metric.data.data_points) == list(range(100))
        assert all(not p.exemplars for p in metric.data.data_points)
    provider.shutdown()


def test_projects_outlasting_the_timeout_are_published_together_not_one_render_each() -> None:
    """A refresh longer than ``collect.timeout`` publishes what is ready at the timeout, then the stragglers
    in batches: each publish is a render, and with OVH slow one per project multiplied a refresh's CPU.

    Sequential calls (concurrency 1) at 0.3 s each, 5 per project: the first project is ready before the
    2 s timeout, the other two land 1.5 s apart after it, well within one batch.
    """
    world = World(seed=23, shape=WorldShape(projects=3))
    with SimulatedOvh(world, latency=0.3) as sim:
        families = ["project", "cost", "forecast", "quota", "volumes"]
        collect = {"concurrency": 1, "timeout": 2, "families": families}
        exporter = Exporter.build(parse_settings(settings_for(sim, collect=collect)), serve=False)
        try:
            before = exporter.store.current.version
            exporter.refresher.refresh_once()
            assert exporter.store.current.version - before == 2  # at the timeout, then the two stragglers
            assert set(exporter.store.current.projects) == set(world.project_ids)
        finally:
            exporter.refresher.stop()
            exporter.telemetry.shutdown()
