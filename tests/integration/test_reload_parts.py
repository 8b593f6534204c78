"""What a reload rebuilds: the OVH client and the refresher always, the metric pipelines only when what
they are built from changed (so that an OTLP backend sees no restart for a new project or label)."""

from __future__ import annotations

from otel_ovh.config import parse_settings
from otel_ovh.simulator import SimulatedOvh
from tests.integration.conftest import ExporterFactory, settings_for


def test_a_reload_keeps_the_pipelines_unless_what_they_are_built_from_changed(
    sim: SimulatedOvh, make_exporter: ExporterFactory
) -> None:
    first, second = sim.world.project_ids[:2]
    exporter = make_exporter(projects=[first], collect={"families": ["cost"]})
    exporter.refresher.refresh_once()
    telemetry, refresher, api = exporter.telemetry, exporter.refresher, exporter.api

    both = [first, second]
    exporter.reload(parse_settings(settings_for(sim, projects=both, collect={"families": ["cost"]})))
    assert exporter.telemetry is telemetry
    assert exporter.refresher is not refresher and exporter.api is not api
    assert exporter.api.stats is api.stats  # otel_ovh_api_requests_total goes on counting
    assert exporter.refresher.first_refresh_done.is_set()  # still ready: a reload is not a start
    assert not exporter.refresher.alive  # built, never started: a reload does not start it

    exporter.reload(parse_settings(settings_for(sim, projects=both, collect={"families": ["quota"]})))
    assert exporter.telemetry is not telemetry
    exporter.refresher.refresh_once()
    body = exporter.telemetry.render().decode()
    assert "ovh_cloud_quota_limit{" in body and "ovh_cloud_cost_total{" not in body
    assert second in body
