"""Family ``savings_plans``: what each savings plan commits to, until when, what the plans cost, and what
they saved or lost.

A savings plan commits to a number of instances of one flavor (its size) for a term, billed whatever
runs; instances beyond it are billed by the hour (over-quota). FinOps needs the commitment, its end
(to renew or not in time), the month-to-date cost and savings, and the usage beyond the plans.

One call, ``usage/plans`` for the current billing month, answers ``cloud.usage.PlanResponse``: one entry
per flavor with its ``subscriptions[]`` (id, size, end), ``fees`` (``totalPrice``, ``savedAmount`` as
``order.Price``, ``overQuota.quantity`` in instance-hours) and ``periods[]`` (``utilization`` and
``coverage`` as percent strings, ``"10%"``). ``savedAmount`` is negative when the plans cost more than
the usage they covered (an unused plan saves minus its whole fee), and it goes down as well as up during
the month: a signed gauge, not a counter. A project without plans is normal: no flavor, no series. The
month asked is that of OVH's billing period (``families.period``), as the query's defaults are not
documented.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from otel_ovh.families import period
from otel_ovh.families.attributes import CURRENCY, SAVINGS_PLAN_ID, SKU
from otel_ovh.families.base import HOURLY, PROJECT, Column, Family, Kind, Metric, Point, Scope, money
from otel_ovh.ovh.client import ApiError, OvhApi
from otel_ovh.ovh.fields import Fields, Problems

ROUTE = PROJECT + "/usage/plans"
_WHERE = "usage/plans"


@dataclass(frozen=True, slots=True)
class Subscription:
    id: str
    flavor: str
    size: float | None
    end: float | None  # epoch seconds


@dataclass(frozen=True, slots=True)
class FlavorFees:
    flavor: str
    cost: float | None  # month to date
    saved: float | None
    currency: str | None
    over_quota: float | None  # instance-hours beyond the plans' size, month to date
    utilization: float | None = None  # 0-1, of the latest ``periods[]`` entry
    coverage: float | None = None


@dataclass(frozen=True, slots=True)
class Plans:
    subscriptions: tuple[Subscription, ...] = ()
    fees: tuple[FlavorFees, ...] = ()


def _non_negative(fields: Fields, key: str) -> float | None:
    return fields.number(key, minimum=0)


def _subscriptions(item: Fields, flavor: str, seen: set[str]) -> Iterable[Subscription]:
    for sub in item.items("subscriptions"):
        plan_id = sub.text("id", required=True)
        if not plan_id:
            continue
        if plan_id in seen:
            sub.problems.add(sub.where, f"plan {plan_id} listed twice; the first is kept")
            continue
        seen.add(plan_id)
        yield Subscription(plan_id, flavor, _non_negative(sub, "size"), sub.timestamp("end"))


def _ratio(fields: Fields, key: str) -> float | None:
    """``"10%"`` as 0.1; a figure outside 0-100 % is reported and dropped."""
    text = fields.text(key)
    if text is None:
        return None
    try:
        percent = float(text.strip().removesuffix("%"))
    except ValueError:
        percent = -1.0
    if not 0 <= percent <= 100:
        fields.problems.add(f"{fields.where}.{key}", f"not a percentage: {text[:20]!r}")
        return None
    return percent / 100


def _latest_ratios(item: Fields) -> tuple[float | None, float | None]:
    """Utilization and coverage of the latest ``periods[]`` entry (by ``begin``; the last listed on a tie)."""
    latest: Fields | None = None
    latest_key = (float("-inf"), -1)
    for index, entry in enumerate(item.items("periods")):
        key = (entry.timestamp("begin") or float("-inf"), index)
        if key >= latest_key:
            latest, latest_key = entry, key
    if latest is None:
        return None, None
    return _ratio(latest, "utilization"), _ratio(latest, "coverage")


def _fees(item: Fields, flavor: str) -> FlavorFees:
    utilization, coverage = _latest_ratios(item)
    fees = item.obj("fees")
    if fees is None:
        return FlavorFees(flavor, None, None, None, None, utilization, coverage)
    cost, cost_currency = fees.price("totalPrice")
    saved, saved_currency = fees.price("savedAmount")
    over = fees.obj("overQuota")
    return FlavorFees(
        flavor=flavor,
        cost=cost,
        saved=saved,
        currency=cost_currency or saved_currency,
        over_quota=_non_negative(over, "quantity") if over is not None else None,
        utilization=utilization,
        coverage=coverage,
    )


def parse_plans(body: object, problems: Problems) -> Plans:
    """Each flavor once (a repeat would give two values to one series: the first is kept)."""
    fields = Fields(body, _WHERE, problems)
    subscriptions: list[Subscription] = []
    fees: list[FlavorFees] = []
    flavors: set[str] = set()
    plan_ids: set[str] = set()
    for item in fields.items("flavors"):
        flavor = item.text("flavor", required=True)
        if not flavor:
            continue
        if flavor in flavors:
            problems.add(item.where, f"flavor {flavor} listed twice; the first is kept")
            continue
        flavors.add(flavor)
        subscriptions.extend(_subscriptions(item, flavor, plan_ids))
        fees.append(_fees(item, flavor))
    return Plans(tuple(subscriptions), tuple(fees))


def _fetch(api: OvhApi, scope: Scope) -> Plans:
    """A 404 is a project without plans: the schema does not say how OVH answers one, and having no
    plan is normal, never a failure of the project."""
    try:
        body = api.get(ROUTE, scope.params(), period.billing_month(period.period_start(scope)))
    except ApiError as error:
        if error.status == 404:
            return Plans()
        raise
    return parse_plans(body, scope.problems)


def _per_plan(which: str) -> Callable[[Plans], Iterable[Point]]:
    def points(plans: Plans) -> Iterable[Point]:
        for s in plans.subscriptions:
            value = s.size if which == "size" else s.end
            if value is not None:
                yield {SKU.key: s.flavor, SAVINGS_PLAN_ID.key: s.id}, value

    return points


def _money(which: str) -> Callable[[Plans], Iterable[Point]]:
    def points(plans: Plans) -> Iterable[Point]:
        for f in plans.fees:
            value = f.cost if which == "cost" else f.saved
            if value is not None:
                yield {SKU.key: f.flavor, CURRENCY.key: f.currency or "unknown"}, value

    return points


def _per_flavor(read: Callable[[FlavorFees], float | None]) -> Callable[[Plans], Iterable[Point]]:
    def points(plans: Plans) -> Iterable[Point]:
        for f in plans.fees:
            if (value := read(f)) is not None:
                yield {SKU.key: f.flavor}, value

    return points


def _saved(plans: Plans | None) -> str:
    return money((f.saved, f.currency) for f in plans.fees if f.saved is not None) if plans else "-"


def _with_currency(plans: Plans, currency: str) -> Plans:
    return replace(plans, fees=tuple(f if f.currency else replace(f, currency=currency) for f in plans.fees))


_SOURCE = "`usage/plans` (current month)"

FAMILY: Family[Plans] = Family(
    name="savings_plans",
    routes=(ROUTE,),
    cadence=HOURLY,
    fetch=_fetch,
    metrics=(
        Metric(
            name="ovh.cloud.savings_plan.size",
            kind=Kind.GAUGE,
            unit="{instance}",
            description=(
                "Instances of the flavor each savings plan commits to, billed whether they run or not."
            ),
            attributes=(SKU, SAVINGS_PLAN_ID),
            source=_SOURCE + " `subscriptions[].size`",
            points=_per_plan("size"),
        ),
        Metric(
            name="ovh.cloud.savings_plan.end_timestamp",
            kind=Kind.GAUGE,
            unit="s",
            description="When each savings plan's current term ends, as a Unix timestamp.",
            attributes=(SKU, SAVINGS_PLAN_ID),
            source=_SOURCE + " `subscriptions[].end`",
            points=_per_plan("end"),
        ),
        Metric(
            name="ovh.cloud.savings_plan.cost",
            kind=Kind.COUNTER,
            unit="{currency}",
            description=(
                "Month-to-date price of the savings plans of each flavor. Resets when the billing period "
                "starts."
            ),
            attributes=(SKU, CURRENCY),
            source=_SOURCE + " `fees.totalPrice`",
            points=_money("cost"),
        ),
        Metric(
            name="ovh.cloud.savings_plan.saved",
            kind=Kind.GAUGE,
            unit="{currency}",
            description=(
                "Month-to-date amount the savings plans of each flavor saved over hourly prices, as OVH "
                "counts it; negative when the plans cost more than the usage they covered (a loss)."
            ),
            attributes=(SKU, CURRENCY),
            source=_SOURCE + " `fees.savedAmount`",
            points=_money("saved"),
        ),
        Metric(
            name="ovh.cloud.savings_plan.over_quota",
            kind=Kind.GAUGE,
            unit="{instance_hour}",
            description=(
                "Month-to-date instance-hours of the flavor beyond the plans' size, billed at the hourly "
                "price (OVH's over-quota); it grows while more instances run than the plans cover."
            ),
            attributes=(SKU,),
            source=_SOURCE + " `fees.overQuota.quantity`",
            points=_per_flavor(lambda f: f.over_quota),
        ),
        Metric(
            name="ovh.cloud.savings_plan.utilization_ratio",
            kind=Kind.GAUGE,
            unit="{ratio}",
            description=(
                "Share (0-1) of the flavor's plans that instances used, in the latest period OVH reports; "
                "below 1 the plans are paid for but partly idle."
            ),
            attributes=(SKU,),
            source=_SOURCE + " `periods[].utilization` (the latest entry)",
            points=_per_flavor(lambda f: f.utilization),
        ),
        Metric(
            name="ovh.cloud.savings_plan.coverage_ratio",
            kind=Kind.GAUGE,
            unit="{ratio}",
            description=(
                "Share (0-1) of the flavor's running instances that the plans covered, in the latest period "
                "OVH reports; the rest is billed by the hour."
            ),
            attributes=(SKU,),
            source=_SOURCE + " `periods[].coverage` (the latest entry)",
            points=_per_flavor(lambda f: f.coverage),
        ),
    ),
    columns=(Column("plans saved", _saved),),
    currency=lambda plans: next((f.currency for f in plans.fees if f.currency), None),
    with_currency=_with_currency,
    uses=period.USES,
    notes=(
        'Savings plans: their cost is also in `ovh_cloud_cost_total` (`ovh_service="savings_plan"`, one '
        "series per plan), so do not add the two; `usage/plans` is asked for OVH's current billing "
        "period (that of `usage/current`), so `ovh_cloud_savings_plan_cost_total` restarts with it. "
        "`ovh_cloud_savings_plan_saved` is signed: below 0 the plans lost money that month.",
    ),
)
