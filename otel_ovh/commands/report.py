"""``collect --once``: one refresh, then the data printed as a table for people, JSON, or Prometheus text.

The table's columns come from the families (each declares its own cells), so a family added to the
registry shows up here without this module knowing it.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from otel_ovh.errors import CommandError
from otel_ovh.export.pipeline import enabled_metrics, observations
from otel_ovh.families import table_columns
from otel_ovh.serve.app import Exporter
from otel_ovh.settings.config import Settings


def collect_once(settings: Settings, output_format: str) -> str:
    """The text to print; raises ``CommandError`` when no project could be read (with the table of
    failed projects when there are some: with none, a table would only be empty)."""
    exporter = Exporter.build(settings, serve=False)
    exporter.refresher.once = True
    try:
        with _progress(exporter):
            exporter.refresher.refresh_once()
        output = FORMATS[output_format](exporter)
    finally:
        exporter.telemetry.shutdown()
    projects = exporter.store.current.projects
    if not projects:
        error = exporter.refresher.discovery_error
        unreachable = error is not None and error.unreachable
        why = f"OVH is unreachable: {error.why_unreachable} ({error})" if error and unreachable else error
        raise CommandError(f"no project collected: {why}" if error else "no project to collect")
    if all(not state.success for state in projects.values()):
        reasons = "; ".join(f"{s.project_id}: {s.errors[0]}" for s in projects.values() if s.errors)
        raise CommandError(f"every project failed: {reasons}", output)
    return output


@contextmanager
def _progress(exporter: Exporter) -> Iterator[None]:
    """Projects done of total, OVH calls and elapsed time on stderr, only when it is a terminal
    (``disable=None``): piped or redirected, stderr stays for errors."""
    from tqdm import tqdm

    with tqdm(desc="collect", unit="project", file=sys.stderr, disable=None, leave=False) as bar:

        def show(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.set_postfix_str(f"{exporter.api.stats.total()} OVH calls", refresh=False)
            bar.refresh()

        exporter.refresher.on_progress = show
        try:
            yield
        finally:
            exporter.refresher.on_progress = None


def _points(exporter: Exporter) -> list[dict[str, Any]]:
    snapshot = exporter.store.current
    now = time.time()
    return [
        {
            "metric": metric.name,
            "prometheus_name": metric.prometheus_name,
            "unit": metric.unit_of(observation.attributes or {}),
            "attributes": dict(observation.attributes or {}),
            "value": observation.value,
        }
        for metric in enabled_metrics(exporter.settings)
        if metric.per_project
        for observation in observations(metric, snapshot, now)
    ]


def format_json(exporter: Exporter) -> str:
    """When the data was read, how each project fared (and why not), then every point."""
    snapshot = exporter.store.current
    projects = [
        {
            "id": state.project_id,
            "name": state.name,
            "status": "ok" if state.success else "failed",
            "errors": list(state.errors),
            "fetched_at": _iso(min(state.fetched_at.values())) if state.fetched_at else None,
        }
        for state in sorted(snapshot.projects.values(), key=lambda s: (s.name, s.project_id))
    ]
    report = {"timestamp": _iso(time.time()), "projects": projects, "points": _points(exporter)}
    return json.dumps(report, indent=1, sort_keys=True) + "\n"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def format_prometheus(exporter: Exporter) -> str:
    return exporter.telemetry.render().decode()


def format_table(exporter: Exporter) -> str:
    """One row per project (by name), a total row, and each failure's full reason on its own lines."""
    columns = table_columns(exporter.settings.collect.families)
    states = sorted(exporter.store.current.projects.values(), key=lambda s: (s.name, s.project_id))
    width = max([len("project"), len("total"), *(len(s.name) for s in states)])

    def row(name: str, project_id: str, cells: list[str], status: str) -> str:
        shown = " ".join(f"{cell:{c.align}{c.width}}" for cell, c in zip(cells, columns, strict=True))
        return f"{name:<{width}}  {project_id:<32}  {shown}  {status}".rstrip()

    header = row("project", "id", [c.header for c in columns], "status")
    lines = [header, "-" * len(header)]
    for state in states:
        cells = [c.cell(state.data) for c in columns]
        lines.append(row(state.name, state.project_id, cells, "ok" if state.success else "FAILED"))
    failed = [s for s in states if not s.success]
    ok = len(states) - len(failed)
    totals = [c.total([s.data for s in states]) if c.total else "" for c in columns]
    lines += ["-" * len(header), row("total", f"{len(states)} project(s)", totals, f"{ok} ok")]
    for state in failed:
        lines += ["", f"{state.name} ({state.project_id}) failed:"]
        lines += [f"  - {error}" for error in state.errors or ("no reason given",)]
    return "\n".join(lines) + "\n"


FORMATS: dict[str, Callable[[Exporter], str]] = {
    "table": format_table,
    "json": format_json,
    "prometheus": format_prometheus,
}
