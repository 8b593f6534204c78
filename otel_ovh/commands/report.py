"""``collect --once``: one refresh, then the data printed as a table for people, JSON, or Prometheus text.

The table's columns come from the families (each declares its own cells), so a family added to the
registry shows up here without this module knowing it.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from otel_ovh.errors import CommandError
from otel_ovh.export.pipeline import enabled_metrics, observations
from otel_ovh.families import enabled, table_columns
from otel_ovh.families.base import Section
from otel_ovh.serve.app import Exporter
from otel_ovh.settings.config import Settings


def collect_once(settings: Settings, output_format: str) -> str:
    """The text to print; raises ``CommandError`` when no project could be read (with the table of
    failed projects when there are some: with none, a table would only be empty)."""
    return refresh_and_render(settings, FORMATS[output_format])


def refresh_and_render(settings: Settings, render: Callable[[Exporter], str]) -> str:
    """One refresh (progress on a terminal), then ``render``'s text; the failures of ``collect_once``."""
    exporter = Exporter.build(settings, serve=False)
    exporter.refresher.once = True
    try:
        with _progress(exporter):
            exporter.refresher.refresh_once()
        projects = exporter.store.current.projects
        if not projects:
            error = exporter.refresher.discovery_error
            unreachable = error is not None and error.unreachable
            why = f"OVH is unreachable: {error.why_unreachable} ({error})" if error and unreachable else error
            raise CommandError(f"no project collected: {why}" if error else "no project to collect")
        output = render(exporter)
    finally:
        exporter.telemetry.shutdown()
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
        if metric.from_snapshot
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
    """One row per project (by name), a total row, and each failure's full reason on its own lines.

    Columns are as wide as their widest cell, two spaces apart, and wrap into blocks that fit the
    terminal (120 columns when it is not one): each block repeats the project's name, like a wide table
    printed in pages, rather than lines that run on past the screen's edge.
    """
    columns = table_columns(exporter.settings.collect.families)
    states = sorted(exporter.store.current.projects.values(), key=lambda s: (s.name, s.project_id))
    failed = [s for s in states if not s.success]
    totals = [c.total([s.data for s in states]) if c.total else "" for c in columns]
    table = [
        ["project", "id", "status", *(c.header for c in columns)],
        *(
            [s.name, s.project_id, "ok" if s.success else "FAILED", *(c.cell(s.data) for c in columns)]
            for s in states
        ),
        ["total", f"{len(states)} project(s)", f"{len(states) - len(failed)} ok", *totals],
    ]
    aligns = ["<", "<", "<", *(c.align for c in columns)]
    widths = [max(len(row[i]) for row in table) for i in range(len(aligns))]
    lines: list[str] = []
    for block in _blocks(widths, shutil.get_terminal_size((120, 24)).columns):

        def line(cells: list[str], block: list[int] = block) -> str:
            return _GAP.join(f"{cells[i]:{aligns[i]}{widths[i]}}" for i in block).rstrip()

        rule = line(["-" * width for width in widths])
        lines += ["", line(table[0]), rule, *(line(row) for row in table[1:-1]), rule, line(table[-1])]
    for state in failed:
        lines += ["", f"{state.name} ({state.project_id}) failed:"]
        lines += [f"  - {error}" for error in state.errors or ("no reason given",)]
    return "\n".join(lines[1:] + _account_sections(exporter)) + "\n"


def _account_sections(exporter: Exporter) -> list[str]:
    """After the projects: each account-wide family's own section (``Family.section``), or why it has
    none."""
    snapshot = exporter.store.current
    lines: list[str] = []
    for family in enabled(exporter.settings.collect.families):
        if family.section is None:
            continue
        why = snapshot.account_failures.get(family.name)
        record = snapshot.account.get(family)
        if why is not None:
            lines += ["", f"{family.name}: {why}"]
        elif record is not None:
            lines += ["", *_section(family.section(record))]
    return lines


def _section(section: Section) -> list[str]:
    """A section's table in blocks that fit the terminal, as the projects' (each block repeats the first
    column and says whose it is, so that nothing reads it as rows of projects), then its notes."""
    rows = [section.header, *section.rows]
    aligns = [*section.align, *("<" * (len(section.header) - len(section.align)))]
    widths = [max(len(row[i]) for row in rows) for i in range(len(section.header))]
    lines: list[str] = []
    for index, block in enumerate(_blocks(widths, shutil.get_terminal_size((120, 24)).columns)):

        def line(cells: tuple[str, ...], block: list[int] = block) -> str:
            return _GAP.join(f"{cells[i]:{aligns[i]}{widths[i]}}" for i in block).rstrip()

        title = section.title if index == 0 else f"{section.title} (continued)"
        lines += ["", title, line(section.header), line(tuple("-" * width for width in widths))]
        lines += [line(row) for row in section.rows]
    return [*lines[1:], *section.notes]


_GAP = "  "


def _blocks(widths: list[int], room: int) -> list[list[int]]:
    """The columns of each block: the first (the project's name) in all, then as many of the others, in
    order, as fit in ``room`` characters (at least one, however wide)."""
    blocks = [[0]]
    used = widths[0]
    for i in range(1, len(widths)):
        if used + len(_GAP) + widths[i] > room and len(blocks[-1]) > 1:
            blocks.append([0])
            used = widths[0]
        blocks[-1].append(i)
        used += len(_GAP) + widths[i]
    return blocks


FORMATS: dict[str, Callable[[Exporter], str]] = {
    "table": format_table,
    "json": format_json,
    "prometheus": format_prometheus,
}
