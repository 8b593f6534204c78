"""The attributes a refresh really puts on points are the ones each metric declares, and an attribute
declared with a closed set of values takes no other (docs/metrics.md lists those sets)."""

from __future__ import annotations

import time

from otel_ovh.export.catalog import CATALOG
from tests.integration.conftest import ExporterFactory


def test_points_carry_declared_attributes_and_enumerated_values(make_exporter: ExporterFactory) -> None:
    exporter = make_exporter()
    exporter.refresher.refresh_once()
    projects = exporter.store.current.projects.values()
    seen: dict[str, set[str]] = {}
    for metric in CATALOG:
        if metric.project_points is None:
            continue
        declared = {a.key: a for a in metric.attributes}
        for project in projects:
            for attributes, _ in metric.project_points(project, time.time()):
                assert set(attributes) <= set(declared), (metric.name, attributes)
                for key, value in attributes.items():
                    if declared[key].values and value != "":
                        assert value in declared[key].values, (metric.name, key, value)
                        seen.setdefault(key, set()).add(str(value))
    enumerated = {a.key for m in CATALOG if m.per_project for a in m.attributes if a.values}
    assert set(seen) == enumerated, "the simulated world shows every enumerated attribute"
