"""Savings plans of a project: ``usage/plans`` (``cloud.usage.PlanResponse``) for a billing month, and the
terms and scenarios the generator gives the plans.

A plan is the ``monthly.savingsPlan`` meter the generator creates (its id, flavor, size as the rate, the
plan's hourly price) and the instances whose meters name it in ``covered_by``. Consistent with
``usage/current`` for the same month, to the cent:

* ``fees.flatFee`` is the ``monthlyUsage.savingsPlan`` line of the flavor, rendered by the same code, and
  ``fees.totalPrice`` is its total: what the plans cost;
* ``fees.overQuota`` is the flavor's hourly instance hours that no plan covers: their quantity, their
  hourly unit price and their price, as those instances' ``hourlyUsage.instance`` details bill them;
* ``fees.savedAmount`` is, for the hours a plan covers, the hourly price less the plan's price, times
  those hours (covered hours are billed 0 on their instance line); ``totalSavings`` adds the flavors up;
* ``periods[]`` cut the month wherever a plan or an instance of the flavor starts or stops.

Plans renew at the end of each term, so ``subscriptions[].end`` is the end of the term under way.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import UTC, datetime

from otel_ovh.simulator.billing import SECTIONS, Figure, Window, figure, plan_line
from otel_ovh.simulator.catalog import FLAVORS
from otel_ovh.simulator.errors import service_error
from otel_ovh.simulator.family import Family, Json, View
from otel_ovh.simulator.generate import Generator
from otel_ovh.simulator.ids import random_uuid
from otel_ovh.simulator.meters import project_meters
from otel_ovh.simulator.model import Meter, Project
from otel_ovh.simulator.money import as_price, cents_of, round_quantity, unit_price
from otel_ovh.simulator.quirks import plan_date
from otel_ovh.simulator.routes import P
from otel_ovh.simulator.timeutil import iso, month_end, month_start

DAY = 86_400
PLAN = "monthly.savingsPlan"
TERMS = (6, 12, 24, 36)  # months a plan commits for


def add_months(ts: int, months: int) -> int:
    """The same day and time ``months`` later (the last day of a shorter month)."""
    d = datetime.fromtimestamp(ts, UTC)
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    start = int(datetime(year, month + 1, 1, tzinfo=UTC).timestamp())
    days = (month_end(start) - start) // DAY
    return int(d.replace(year=year, month=month + 1, day=min(d.day, days)).timestamp())


def term_end(begin: int, months: int, now: int) -> int:
    """The end of the term under way at ``now``: plans renew, one term after another."""
    terms = 1
    while add_months(begin, terms * months) <= now:
        terms += 1
    return add_months(begin, terms * months)


def month_window(query: dict[str, str], now: int) -> Window:
    """The billing month the query asks (``year``, ``month``; the current one by default)."""
    current = datetime.fromtimestamp(now, UTC)
    try:
        year = int(query.get("year", current.year))
        month = int(query.get("month", current.month))
    except ValueError:
        raise service_error(400, "Invalid parameters: year and month must be integers") from None
    if not 1 <= month <= 12 or not 1970 <= year <= 9999:
        raise service_error(400, f"Invalid period {year}-{month}")
    start = int(datetime(year, month, 1, tzinfo=UTC).timestamp())
    end = month_end(start)
    return Window(start, end, now, max(start, min(now, end)))


def _figures(meters: list[Meter], kind: str, window: Window) -> list[Figure]:
    """As the month's usage bills them; what started after a past month is not of it."""
    section = SECTIONS[kind]
    return [f for m in meters if m.start < window.end and (f := figure(m, section, window)) is not None]


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.2f}%" if whole else "0.00%"


def _periods(project: Project, plans: list[Meter], instances: list[Meter], window: Window) -> list[Json]:
    edges = {window.start, window.until}
    for meter in (*plans, *instances):
        edges.update(t for t in (meter.start, meter.end) if t is not None and window.start < t < window.until)
    cuts = sorted(edges)
    periods = []
    for begin, end in itertools.pairwise(cuts):
        active = [p for p in plans if p.start <= begin and (p.end is None or p.end >= end)]
        running = [i for i in instances if i.start <= begin and (i.end is None or i.end >= end)]
        if not active:
            continue
        size = sum(int(p.rate) for p in active)
        covered = sum(1 for i in running if i.covered_by)
        periods.append(
            {
                "begin": plan_date(project, begin),
                "end": plan_date(project, end),
                "consumptionSize": len(running),
                "cumulPlanSize": size,
                "coverage": _percent(covered, len(running)),
                "utilization": _percent(covered, size),
                "plansIds": [p.resource_id for p in active],
                "resourceIds": [i.resource_id for i in running],
            }
        )
    return periods


def _flavor(project: Project, flavor: str, meters: list[Meter], window: Window) -> tuple[Json, int] | None:
    """One flavor's entry and its savings in cents; None when no plan of it is billed in the window."""
    plan_meters = [m for m in meters if m.kind == PLAN and m.reference == flavor]
    plans = _figures(plan_meters, PLAN, window)
    if not plans:
        return None
    hours = [m for m in meters if m.kind == "hourly.instance" and m.reference == flavor and m.unit == "Hour"]
    used = _figures(hours, "hourly.instance", window)
    over = [f for f in used if not f.meter.covered_by]
    plan_price = {p.meter.resource_id: p.meter.unit_price for p in plans}
    saved = sum(  # one rounding per instance, so the month-to-date figure never steps back
        cents_of(
            f.quantity or 0.0, f.meter.unit_price - plan_price.get(f.meter.covered_by, f.meter.unit_price)
        )
        for f in used
        if f.meter.covered_by
    )
    flat = plan_line(SECTIONS[PLAN], plans, window)
    hourly = FLAVORS[flavor].hourly
    terms, now = project.plan_terms, window.now
    body = {
        "flavor": flavor,
        "fees": {
            "flatFee": {"details": flat["details"], "totalPrice": flat["totalPrice"]},
            "overQuota": {
                "ids": [p.meter.resource_id for p in plans],
                "quantity": round_quantity(sum((f.quantity or 0.0 for f in over), 0.0)),
                "unitPrice": unit_price(hourly),
                "totalPrice": as_price(sum(f.cents for f in over)),
            },
            "savedAmount": as_price(saved),
            "totalPrice": flat["totalPrice"],
        },
        "periods": _periods(project, [p.meter for p in plans], [f.meter for f in used], window),
        "subscriptions": [
            {
                "id": p.meter.resource_id,
                "begin": plan_date(project, p.meter.start),
                "end": plan_date(project, term_end(p.meter.start, terms.get(p.meter.resource_id, 12), now)),
                "size": int(p.meter.rate),
            }
            for p in plans
        ],
    }
    return body, saved


def plans_body(project: Project, meters: list[Meter], window: Window, flavor: str | None) -> Json:
    """``usage/plans`` for ``window``'s month, optionally for one flavor only."""
    names = sorted({m.reference for m in meters if m.kind == PLAN and flavor in (None, m.reference)})
    billed = window.start <= window.now  # a month to come has no plan consumption yet
    entries = [e for name in names if billed and (e := _flavor(project, name, meters, window))]
    return {
        "projectId": project.id,
        "period": {"from": iso(window.start), "to": iso(window.end)},
        "flavors": [body for body, _ in entries],
        "totalSavings": as_price(sum(saved for _, saved in entries)),
    }


def generate_plan_scenarios(seed: int, project: Project, now: int) -> None:
    """Terms for the generator's plans, and on each planned project one departure from a plan that fits:
    odd ones hold a second, idle plan of the flavor (unused size), even ones run one more instance of it
    since this month (over-quota). Drawn from their own random stream, so the rest of the world is
    unchanged."""
    plans = [m for m in project.extras if m.kind == PLAN]
    if not plans:
        return
    rng = random.Random(f"{seed}/savings-plans/{project.index}")
    for plan in plans:
        project.plan_terms[plan.resource_id] = rng.choice(TERMS)
    first = plans[0]
    if project.index % 2:
        extra = replace(
            first,
            resource_id=random_uuid(rng),
            start=max(first.start, now - rng.randint(1, 200) * DAY),
            group=f"{first.reference} extension",
        )
        project.extras.append(extra)
        project.plan_terms[extra.resource_id] = rng.choice(TERMS)
        return
    covered = next((i for i in project.instances.values() if i.savings_plan == first.resource_id), None)
    if covered is None:
        return
    start = month_start(now)
    burst = replace(
        covered,
        id=random_uuid(rng),
        name="burst-0",
        created=rng.randint(start, max(start, now - 60)),
        public_ip=f"51.{rng.randint(68, 91)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        private_ip=f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(2, 254)}",
        status="ACTIVE",
        savings_plan=None,
        deleted=None,
    )
    project.instances[burst.id] = burst


def populate(generator: Generator, project: Project, now: int, empty: bool) -> None:
    if not empty:
        generate_plan_scenarios(generator.seed, project, now)


def plans(view: View, query: dict[str, str]) -> Json:
    return plans_body(view.p, project_meters(view.p), month_window(query, view.now), query.get("flavor"))


FAMILY = Family(routes={f"{P}/usage/plans": lambda v, a, q: plans(v, q)}, populate=populate)
