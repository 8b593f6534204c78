"""What a reload rebuilds: the OVH client and the refresher always, the metric pipelines only when what
they are built from changed (so that an OTLP backend sees no restart for a new project or label)."""

from __future__ import annotations

import logging
import time

import pytest

from otel_ovh.settings.config import parse_settings
from otel_ovh.simulator import SimulatedOvh
from otel_ovh.simulator.faults import Fault
from tests.integration.conftest import ExporterFactory, settings_for
from tests.support.waiting import wait_until


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


def test_a_reload_in_the_middle_of_a_refresh_ends_that_refresh_quietly(
    sim: SimulatedOvh, make_exporter: ExporterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    # The old refresher's pool goes as it stops; its loop, about to hand it the fetches of the projects
    # it is still listing, must end without an error (a reload asked for it) and the new one refresh.
    exporter = make_exporter(collect={"families": ["cost"]})
    sim.faults.add(Fault(kind="slow", delay=0.5, times=1))  # the listing of the projects
    exporter.start()
    time.sleep(0.2)
    exporter.reload(parse_settings(settings_for(sim, collect={"families": ["quota"]})))
    wait_until(lambda: exporter.refresher.refreshes, bool, timeout=30, what="the new refresher's refresh")
    time.sleep(0.5)  # what the old loop does with the rest of its refresh
    exporter.stop()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
