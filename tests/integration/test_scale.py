"""A large organisation is exported whole: 50 projects and ~20,000 series, nothing folded or missing."""

from __future__ import annotations

import re
import time
from collections import Counter

from otel_ovh.export.pipeline import enabled_metrics, observations
from otel_ovh.serve.app import Exporter
from otel_ovh.settings.config import parse_settings
from otel_ovh.simulator import SimulatedOvh
from tests.integration.conftest import frozen_world, series

SDK_DEFAULT_LIMIT = 2000


def test_fifty_projects_and_twenty_thousand_series_are_exported_whole() -> None:
    world = frozen_world(seed=5)
    sim = SimulatedOvh(world, host="127.0.0.1", port=0).start()
    try:
        settings = parse_settings(
            {
                "ovh": {"endpoint": sim.url, **sim.credentials},
                "collect": {"max_calls_per_second": 0, "concurrency": 16},
            }
        )
        exporter = Exporter.build(settings, serve=False)
        exporter.refresher.refresh_once()
        lines = series(exporter.telemetry.render())
    finally:
        sim.stop()
    snapshot = exporter.store.current
    assert all(state.success for state in snapshot.projects.values())

    assert not [line for line in lines if "overflow" in line]
    ovh_lines = [line for line in lines if line.startswith("ovh_")]  # ovh_cloud_ and ovh_account_
    assert len(ovh_lines) >= 20_000
    per_metric = Counter(re.split(r"[{ ]", line, maxsplit=1)[0] for line in ovh_lines)
    # The test means something only if the SDK's default limit would have truncated it.
    assert max(per_metric.values()) > SDK_DEFAULT_LIMIT, per_metric
    projects = set(re.findall(r'cloud_account_id="([0-9a-f]{32})"', "\n".join(ovh_lines)))
    assert projects == set(world.project_ids)

    # every OVH series the declarations give for the snapshot: the projects' and the account-wide
    # families' (the price list, the whole account), none left out and none added
    expected = sum(
        len(observations(m, snapshot, time.time()))
        for m in enabled_metrics(settings)
        if m.from_snapshot and m.name.startswith("ovh.")
    )
    assert len(ovh_lines) == expected
    exporter.telemetry.shutdown()
