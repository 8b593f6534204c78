"""``collect --once``: one refresh, then the data printed as a table for people, JSON, or Prometheus text.

The table's columns come from the families (each declares its own cells), so a family added to the
registry shows up here without this module knowing it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from otel_ovh.app import Exporter
from otel_ovh.config import Settings
from otel_ovh.errors import CommandError
from otel_ovh.families import enabled
from otel_ovh.pipeline import enabled_metrics, observations


def collect_once(settings: Settings, output_format: str) -> str:
    """The text to print; raises ``CommandError`` when no project could be read."""
    exporter = Exporter.build(settings, serve=False)
    try:
        exporter.refresher.refresh_once()
        output = FORMATS[output_format](exporter)
    finally:
        exporter.telemetry.shutdown()
    projects = exporter.store.current.projects
    if not projects:
        error = exporter.refresher.discovery_error
        raise CommandError(f"no project collected: {error}" if error else "no project to collect", output)
    if all(not state.success for state in projects.values()):
        reasons = "; ".join(f"{s.project_id}: {s.errors[0]}" for s in projects.values() if s.errors)
        raise CommandError(f"every project failed: {reasons}", output)
    return output


def _points(exporter: Exporter) -> list[dict[str, Any]]:
    snapshot = exporter.store.current
    now = time.time()
    return [
        {
            "metric": metric.name,
            "prometheus_name": metric.prometheus_name,
            "unit": metric.unit,
            "attributes": dict(observation.attributes or {}),
            "value": observation.value,
        }
        for metric in enabled_metrics(exporter.settings)
        if metric.per_project
        for observation in observations(metric, snapshot, now)
    ]


def format_json(exporter: Exporter) -> str:
    return json.dumps(_points(exporter), indent=1, sort_keys=True) + "\n"


def format_prometheus(exporter: Exporter) -> str:
    return exporter.telemetry.render().decode()


def format_table(exporter: Exporter) -> str:
    columns = [(f, c) for f in enabled(exporter.settings.collect.families) for c in f.columns]
    header = f"{'project':<34} {'name':<20} " + " ".join(f"{c.header:{c.align}{c.width}}" for _, c in columns)
    header += "  status"
    lines = [header, "-" * len(header)]
    for state in sorted(exporter.store.current.projects.values(), key=lambda s: s.name):
        cells = " ".join(f"{c.cell(state.data.get(f)):{c.align}{c.width}}" for f, c in columns)
        status = "ok" if state.success else "FAILED: " + "; ".join(state.errors)[:120]
        lines.append(f"{state.project_id:<34} {state.name[:20]:<20} {cells}  {status}")
    return "\n".join(lines) + "\n"


FORMATS: dict[str, Callable[[Exporter], str]] = {
    "table": format_table,
    "json": format_json,
    "prometheus": format_prometheus,
}
