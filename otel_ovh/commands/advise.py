"""``advise``: one refresh, then each piece of advice of every project ranked by what it saves in the
billing month, with a total; for people (a table) or tools (one JSON document).

The figures are the ``advice`` family's (``ovh_cloud_advice_savings``), priced with OVH's public price
list (the ``catalog`` family); formulas and assumptions in docs/advice.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from otel_ovh.commands.report import refresh_and_render
from otel_ovh.errors import CommandError
from otel_ovh.families import advising
from otel_ovh.families.advising import NEEDED, Row
from otel_ovh.families.base import money
from otel_ovh.serve.app import Exporter
from otel_ovh.settings.config import Settings
from otel_ovh.settings.schema import SettingsError


def advise(settings: Settings, output_format: str) -> str:
    """The text to print; raises ``SettingsError`` when the families it needs are off, ``CommandError``
    when OVH cannot be read or its price list is missing."""
    off = [name for name in NEEDED if name not in settings.collect.families]
    if off:
        raise SettingsError("collect.families", f"advise needs {' and '.join(off)} on")
    return refresh_and_render(settings, FORMATS[output_format])


def ranked(exporter: Exporter) -> list[Row]:
    """Every project's advice, the largest saving first."""
    snapshot = exporter.store.current
    projects = ((s.project_id, s.name, s.data) for s in snapshot.projects.values())
    rows = advising.ranked(projects, snapshot.account)
    if rows is None:
        raise CommandError(f"no advice: OVH's price list ({advising.PRICE_LIST_ROUTE}) could not be read")
    return rows


def _total(rows: list[Row]) -> str:
    return money((row.saving, row.currency) for row in rows)


def format_table(exporter: Exporter) -> str:
    rows = ranked(exporter)
    header = ["resource", "project", "kind", "sku", "saving/month"]
    cells = [[r.resource_id, r.project, r.kind, r.sku, f"{r.saving:,.2f} {r.currency}"] for r in rows]
    footer = ["total", f"{len(rows)} piece(s) of advice", "", "", _total(rows)]
    widths = [max(len(line[i]) for line in (header, *cells, footer)) for i in range(len(header))]

    def line(values: list[str]) -> str:
        return "  ".join(
            f"{v:>{w}}" if i == len(values) - 1 else f"{v:<{w}}"
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ).rstrip()

    rule = line(["-" * w for w in widths])
    return "\n".join([line(header), rule, *(line(c) for c in cells), rule, line(footer)]) + "\n"


def format_json(exporter: Exporter) -> str:
    rows = ranked(exporter)
    total: dict[str, float] = {}
    for row in rows:
        total[row.currency] = total.get(row.currency, 0.0) + row.saving
    document: dict[str, Any] = {
        "advice": [
            {
                "resource_id": r.resource_id,
                "project_id": r.project_id,
                "project": r.project,
                "kind": r.kind,
                "sku": r.sku,
                "saving_per_month": r.saving,
                "currency": r.currency,
            }
            for r in rows
        ],
        "total_per_month": total,
    }
    return json.dumps(document, indent=1, sort_keys=True) + "\n"


FORMATS: dict[str, Callable[[Exporter], str]] = {"table": format_table, "json": format_json}
