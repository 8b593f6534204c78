"""What the project costs: this billing period so far (``usage/current``, ``cloud.usage.UsageCurrent``)
and the closed periods: ``usage/history`` (``cloud.usage.UsageHistory[]``) and ``usage/history/{usageId}``
(``cloud.usage.UsageHistoryDetail``). The bodies come from billing.py, shared with the forecast and the
savings plans.

Each closed month is billed from the same meters as ``usage/current``, over the whole month, so a
resource appears in every month it ran and the totals add up to the cent as they do live. A project
has history from the month after it was created up to the month before now.
"""

from __future__ import annotations

from datetime import datetime

from otel_ovh.simulator import legacy
from otel_ovh.simulator.billing import Window, usage_body
from otel_ovh.simulator.errors import not_found, service_error
from otel_ovh.simulator.family import Family, Json, View
from otel_ovh.simulator.ids import stable_uuid
from otel_ovh.simulator.meters import project_meters
from otel_ovh.simulator.model import Project
from otel_ovh.simulator.quirks import unrounded_snapshot_parts
from otel_ovh.simulator.routes import P
from otel_ovh.simulator.timeutil import iso, month_end, month_start


def this_month(view: View, *, forecast: bool = False) -> Json:
    """``usage/current``; with ``forecast``, the same extrapolated to the period's end."""
    start, end = month_start(view.now), month_end(view.now)
    window = Window(start, end, view.now, end if forecast else view.now, unrounded_snapshot_parts(view.p))
    return usage_body(project_meters(view.p), window, forecast=forecast)


def as_answered(project: Project, body: Json) -> Json:
    """A usage body as the project answers it: 2024-era projects drop the newer keys (legacy.py)."""
    return legacy.usage(body) if project.legacy else body


def closed_periods(project: Project, now: int) -> list[tuple[int, int]]:
    """(start, end) of each closed month, oldest first; end is the next month's first instant."""
    periods = []
    start = month_end(project.created)
    current = month_start(now)
    while start < current:
        end = month_end(start)
        periods.append((start, end))
        start = end
    return periods


def _period_id(project: Project, start: int) -> str:
    return stable_uuid("usage-history", project.id, start)


def _when(name: str, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        raise service_error(400, f"Invalid value for parameter {name}: {value!r} is not a datetime") from None


def history(project: Project, now: int, query: dict[str, str]) -> list[Json]:
    """The list; ``from``/``to`` keep the periods that start at or after, and end at or before, them."""
    since, until = _when("from", query.get("from")), _when("to", query.get("to"))
    return [
        {
            "id": _period_id(project, start),
            "lastUpdate": iso(end),
            "period": {"from": iso(start), "to": iso(end)},
        }
        for start, end in closed_periods(project, now)
        if (since is None or start >= since) and (until is None or end <= until)
    ]


def history_detail(project: Project, now: int, usage_id: str) -> Json:
    for start, end in closed_periods(project, now):
        if _period_id(project, start) == usage_id:
            body = usage_body(project_meters(project), Window(start, end, end, end))
            body["period"] = {"from": iso(start), "to": iso(end)}
            body = {"id": usage_id, **body}
            return as_answered(project, body)
    raise not_found()


FAMILY = Family(
    routes={
        f"{P}/usage/current": lambda v, a, q: as_answered(v.p, this_month(v)),
        f"{P}/usage/history": lambda v, a, q: history(v.p, v.now, q),
        f"{P}/usage/history/{{usageId}}": lambda v, a, q: history_detail(v.p, v.now, a["usageId"]),
    }
)
