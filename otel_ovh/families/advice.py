"""Family ``advice``: what the project's running inventory costs per hour at list price now, and what
following each piece of advice would save over the billing month, in money.

It makes no call: it prices the records of the same refresh (the bill, the inventory) with the account's
price list (the ``catalog`` family). Without a price list there is neither burn rate nor advice: the
catalog's failure is reported once, by the refresher. Formulas and assumptions: docs/advice.md.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from otel_ovh.families import catalog, cost, instances, network, period, savings_plans, volumes
from otel_ovh.families.attributes import ADVICE, CURRENCY, RESOURCE_ID, SKU
from otel_ovh.families.base import Attributes, Column, Family, Kind, Metric, Point, Scope, money
from otel_ovh.families.catalog import PriceList
from otel_ovh.families.instances import Instance
from otel_ovh.families.usage import Usage
from otel_ovh.ovh.client import OvhApi
from otel_ovh.ovh.fields import GIB

HOUR = 3600.0
# Instance states OVH does not bill as running: shelved instances cost their snapshot only.
_NOT_BILLED = frozenset({"shelved", "shelved_offloaded", "deleted", "deleting"})
MONTHLY_BILLING, STOPPED, IDLE_VOLUME, IDLE_IP, UNDERUSED_PLAN = ADVICE.values[:5]


@dataclass(frozen=True, slots=True)
class Advice:
    kind: str  # one of ADVICE.values
    resource_id: str
    sku: str
    saving: float  # over the whole billing month, in the price list's currency


@dataclass(frozen=True)
class Advised:
    currency: str
    rate_per_hour: float  # the running inventory at list price
    advice: tuple[Advice, ...]


@dataclass(frozen=True)
class _Month:
    """The billing period as the advice needs it: its length and what is left of it, in hours."""

    hours: float
    elapsed: float
    left: float

    @classmethod
    def of(cls, start: float, now: float) -> _Month:
        moment = datetime.fromtimestamp(start + 86_400, UTC)  # OVH's 1st, less than a day from UTC
        days = calendar.monthrange(moment.year, moment.month)[1]
        hours = 24.0 * days
        elapsed = min(hours, max(0.0, (now - start) / HOUR))
        return cls(hours, elapsed, hours - elapsed)


def _instance_hours(usage: Usage | None) -> tuple[dict[str, float], set[str]]:
    """Hours billed per hourly instance this period, and the instances billed by the month."""
    hours: dict[str, float] = defaultdict(float)
    if usage is None:
        return hours, set()
    for line in usage.consumption:
        if line.service == "instance" and line.billing == "hourly" and line.unit == "seconds":
            hours[line.resource_id] += line.value / HOUR
    monthly = {c.resource_id for c in usage.charges if c.service == "instance" and c.billing == "monthly"}
    return hours, monthly


def _instances(
    found: Iterable[Instance], prices: PriceList, usage: Usage | None, month: _Month
) -> tuple[float, list[Advice]]:
    hours, monthly_ids = _instance_hours(usage)
    rate, advice = 0.0, []
    for instance in found:
        flavor = instance.flavor.name if instance.flavor else None
        if flavor is None or instance.status in _NOT_BILLED:
            continue
        hourly, monthly = prices.amount(flavor, "hourly"), prices.amount(flavor, "monthly")
        if instance.id in monthly_ids:
            rate += monthly / month.hours if monthly is not None else 0.0
            continue
        if hourly is None:
            continue
        rate += hourly
        if instance.status == "shutoff":
            advice.append(Advice(STOPPED, instance.id, flavor, hourly * month.left))
        elif monthly is not None and hours.get(instance.id, 0.0) >= month.elapsed - 1:
            saving = hourly * month.hours - monthly
            if saving > 0:
                advice.append(Advice(MONTHLY_BILLING, instance.id, flavor, saving))
    return rate, advice


def _volumes(found: Iterable[volumes.Volume], prices: PriceList, month: _Month) -> tuple[float, list[Advice]]:
    rate, advice = 0.0, []
    for volume in found:
        sku = f"volume.{volume.type}"
        per_gib_hour = prices.amount(sku, "hourly")
        if per_gib_hour is None or volume.size_bytes is None:
            continue
        hourly = volume.size_bytes / GIB * per_gib_hour
        rate += hourly
        if volume.attachments == 0:
            advice.append(Advice(IDLE_VOLUME, volume.id, sku, hourly * month.left))
    return rate, advice


def _network(found: network.Network, prices: PriceList, month: _Month) -> tuple[float, list[Advice]]:
    rate, advice = 0.0, []
    ip_price = prices.amount("floatingip.floatingip", "hourly") or 0.0
    for ip in found.floating_ips if ip_price else ():
        rate += ip_price
        if not ip.attached:
            advice.append(Advice(IDLE_IP, ip.id, "floatingip.floatingip", ip_price * month.left))
    for gateway in found.gateways:
        rate += prices.amount(f"gateway.{gateway.model}", "hourly") or 0.0
    return rate, advice


def _plans(found: savings_plans.Plans | None, currency: str, month: _Month) -> list[Advice]:
    """Per flavor, the unused share of the plans' fee for the whole month: (1 - utilization) x the fee
    so far this month (``fees.totalPrice``) carried over the month's hours, as a plan bills every hour of
    its term alike. The plans of the flavor are named by their ids."""
    if found is None or month.elapsed <= 0:
        return []
    advice = []
    for fees in found.fees:
        if fees.utilization is None or fees.cost is None or (fees.currency or currency) != currency:
            continue
        saving = (1.0 - fees.utilization) * fees.cost * month.hours / month.elapsed
        ids = ",".join(sorted(s.id for s in found.subscriptions if s.flavor == fees.flavor))
        if saving > 0:
            advice.append(Advice(UNDERUSED_PLAN, ids or fees.flavor, fees.flavor, saving))
    return advice


def _as_of(usage: Usage | None) -> float:
    """The moment the advice is worked out for: when OVH last computed the bill it reads
    (``lastUpdate``), so that the hours billed so far and the hours of the month elapsed are counted
    to the same moment, and the same records give the same advice whenever they are priced. Only
    without that date does the clock stand in."""
    if usage is not None and usage.last_update is not None:
        return usage.last_update
    return period.clock()


def _fetch(_: OvhApi, scope: Scope) -> Advised | None:
    prices = scope.records.get(catalog.FAMILY)
    if prices is None:
        return None  # no price list: no rate, no advice (the catalog's failure is logged once)
    usage = scope.records.get(cost.FAMILY)
    servers, disks = scope.records.get(instances.FAMILY), scope.records.get(volumes.FAMILY)
    net = scope.records.get(network.FAMILY)
    if servers is None and disks is None and net is None:
        return None  # no inventory read (off, failed, or too old to serve): the rate is unknown, not 0
    month = _Month.of(period.period_start(scope), _as_of(usage))
    rate, advice = _instances(servers or (), prices, usage, month)
    more_rate, more = _volumes(disks or (), prices, month)
    net_rate, net_advice = _network(net or network.Network(), prices, month)
    plans = _plans(scope.records.get(savings_plans.FAMILY), prices.currency, month)
    return Advised(prices.currency, rate + more_rate + net_rate, tuple(advice + more + net_advice + plans))


def _rate(advised: Advised | None) -> Iterable[Point]:
    if advised is not None:
        yield {CURRENCY.key: advised.currency}, advised.rate_per_hour


def _savings(advised: Advised | None) -> Iterable[Point]:
    for item in advised.advice if advised else ():
        attributes: Attributes = {
            ADVICE.key: item.kind,
            RESOURCE_ID.key: item.resource_id,
            SKU.key: item.sku,
            CURRENCY.key: advised.currency if advised else "",
        }
        yield attributes, item.saving


def _total(advised: Advised | None) -> str:
    return money((a.saving, advised.currency) for a in advised.advice) if advised else "-"


FAMILY: Family[Advised | None] = Family(
    name="advice",
    routes=(),
    fetch=_fetch,
    metrics=(
        Metric(
            name="ovh.cloud.cost.rate",
            kind=Kind.GAUGE,
            unit="{currency}/h",
            description=(
                "What the project's running inventory costs per hour at list price now: hourly "
                "resources at their hourly price, monthly ones at their monthly price over the hours "
                "of the month. Absent without a price list."
            ),
            attributes=(CURRENCY,),
            source="the `catalog` family's prices × `instance`, `volume`, floating IPs, gateways",
            points=_rate,
        ),
        Metric(
            name="ovh.cloud.advice.savings",
            kind=Kind.GAUGE,
            unit="{currency}",
            description=(
                "What following the advice saves over the whole billing month, per resource "
                "(formulas: docs/advice.md). Absent without a price list."
            ),
            attributes=(ADVICE, RESOURCE_ID, SKU, CURRENCY),
            source="the `catalog` family's prices × `usage/current`, `usage/plans` and the inventory",
            points=_savings,
        ),
    ),
    columns=(Column("savings/month", _total),),
    uses=(
        cost.FAMILY.name,
        instances.FAMILY.name,
        volumes.FAMILY.name,
        network.FAMILY.name,
        savings_plans.FAMILY.name,
    ),
)
