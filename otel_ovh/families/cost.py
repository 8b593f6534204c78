"""Family ``cost``: what each resource has cost this month, and the quantities behind it.

One call, ``usage/current``, itemised by :mod:`otel_ovh.families.usage`. The month-to-date figures are
counters that restart with the billing period, so ``increase()`` gives spend over any window; the sum
per project equals OVH's own ``totalPrice``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from otel_ovh.families.attributes import (
    BILLING,
    CURRENCY,
    DIRECTION,
    NETWORK_SCOPE,
    REGION,
    RESOURCE_ID,
    SERVICE,
    SKU,
)
from otel_ovh.families.base import (
    HOURLY,
    PROJECT,
    Attributes,
    Column,
    Family,
    Kind,
    Metric,
    Period,
    Point,
    Regions,
    Scope,
    money,
)
from otel_ovh.families.usage import Charge, Consumption, Usage, parse_usage
from otel_ovh.ovh.client import OvhApi
from otel_ovh.ovh.fields import iter_keyed

ROUTE = PROJECT + "/usage/current"
HISTORY = PROJECT + "/usage/history"
HISTORY_DETAIL = PROJECT + "/usage/history/{usageId}"
_DAY = 86_400.0
_USAGE_ATTRS = (REGION, SERVICE, SKU, RESOURCE_ID, BILLING)
_SOURCE = "`usage/current`: hourlyUsage, monthlyUsage, resourcesUsage lines, per detail"


def _fetch(api: OvhApi, scope: Scope) -> Usage:
    return parse_usage(api.get(ROUTE, scope.params()), scope.problems)


def _history(api: OvhApi, scope: Scope, months: int) -> list[Period[Usage]]:
    """The last ``months`` closed periods, each read from its detail (the shape of ``usage/current``).

    The list is asked from a little over ``months`` months back, so that OVH sends no more than needed
    whatever its time zone; the periods are then sorted and the newest closed ones kept. An entry
    without a readable period is dropped and reported.
    """
    now = time.time()
    since = datetime.fromtimestamp(now - (months + 1) * 31 * _DAY, UTC).isoformat()
    listed = []
    for usage_id, item in iter_keyed(
        api.get(HISTORY, scope.params(), {"from": since}), "usage/history", scope.problems, "id"
    ):
        period = item.obj("period")
        start, end = (period.timestamp("from"), period.timestamp("to")) if period else (None, None)
        if start is None or end is None or end <= start:
            scope.problems.add(item.where, "no readable period; dropped")
        elif end <= now:
            listed.append((start, end, usage_id))
    newest = sorted(listed)[-months:] if months > 0 else []
    return [Period(start, end, _detail(api, scope, usage_id)) for start, end, usage_id in newest]


def _detail(api: OvhApi, scope: Scope, usage_id: str) -> Callable[[], Usage]:
    def load() -> Usage:
        body = api.get(HISTORY_DETAIL, scope.params(usageId=usage_id))
        return parse_usage(body, scope.problems, f"usage/history/{usage_id}")

    return load


def _attributes(item: Charge | Consumption) -> Attributes:
    return {
        REGION.key: item.region,
        SERVICE.key: item.service,
        SKU.key: item.sku,
        RESOURCE_ID.key: item.resource_id,
        BILLING.key: item.billing,
    }


def _cost(usage: Usage) -> Iterable[Point]:
    currency = usage.currency or "unknown"
    for c in usage.charges:
        yield {**_attributes(c), CURRENCY.key: currency}, c.price


def _consumption(unit: str) -> Callable[[Usage], Iterable[Point]]:
    def points(usage: Usage) -> Iterable[Point]:
        for c in usage.consumption:
            if c.unit == unit:
                yield _attributes(c), c.value

    return points


def _transfer(usage: Usage) -> Iterable[Point]:
    for t in usage.transfers:
        attributes: Attributes = {
            REGION.key: t.region,
            SERVICE.key: t.service,
            RESOURCE_ID.key: t.resource_id,
            DIRECTION.key: t.direction,
            NETWORK_SCOPE.key: t.scope,
        }
        yield attributes, t.bytes


def _period_start(usage: Usage) -> Iterable[Point]:
    if usage.period_start is not None:
        yield {}, usage.period_start


def _next_aggregation(usage: Usage) -> float | None:
    """OVH aggregates usage once an hour (``lastUpdate``): nothing new before the next hour begins."""
    if usage.last_update is None:
        return None
    return (usage.last_update // HOURLY + 1) * HOURLY


def _narrow(usage: Usage, regions: Regions) -> Usage:
    """Lines of excluded regions go; lines that name no region (project-wide services) stay."""

    def keep(region: str) -> bool:
        return not region or regions.wanted(region)

    return replace(
        usage,
        charges=tuple(c for c in usage.charges if keep(c.region)),
        consumption=tuple(c for c in usage.consumption if keep(c.region)),
        transfers=tuple(t for t in usage.transfers if keep(t.region)),
    )


def _month_to_date(usage: Usage | None) -> str:
    return _total_spent([usage])


def _total_spent(usages: Sequence[Usage | None]) -> str:
    return money((sum(c.price for c in u.charges), u.currency) for u in usages if u is not None)


FAMILY: Family[Usage] = Family(
    name="cost",
    routes=(ROUTE,),
    nothing_new_before=_next_aggregation,
    fetch=_fetch,
    metrics=(
        Metric(
            name="ovh.cloud.cost",
            kind=Kind.COUNTER,
            unit="{currency}",
            description="Month-to-date cost, at the finest level OVH itemises (instance, volume, bucket...). "
            "Resets when the billing period starts; the sum per project equals OVH's usage total.",
            attributes=(*_USAGE_ATTRS, CURRENCY),
            source=_SOURCE + " (`totalPrice`)",
            points=_cost,
        ),
        Metric(
            name="ovh.cloud.usage",
            kind=Kind.COUNTER,
            unit="s",
            description=(
                "Month-to-date time of use behind the cost (instances, options, services billed by the "
                "hour); divide by 3600 for OVH's hours."
            ),
            attributes=_USAGE_ATTRS,
            source=_SOURCE + " (`quantity` in Hour, Minute or Second)",
            points=_consumption("seconds"),
        ),
        Metric(
            name="ovh.cloud.usage.byte_seconds",
            kind=Kind.COUNTER,
            unit="{By.s}",
            description=(
                "Month-to-date storage over time behind the cost (volumes, snapshots, stored object "
                "storage); divide by 2^30*3600 for OVH's GiB-hours."
            ),
            attributes=_USAGE_ATTRS,
            source=_SOURCE + " (`quantity` in GiBh)",
            points=_consumption("byte_seconds"),
        ),
        Metric(
            name="ovh.cloud.transfer",
            kind=Kind.COUNTER,
            unit="By",
            description="Month-to-date network transfer billed or metered by OVH "
            "(instance and object-storage bandwidth).",
            attributes=(REGION, SERVICE, RESOURCE_ID, DIRECTION, NETWORK_SCOPE),
            source=(
                "`usage/current`: instanceBandwidth and storage bandwidth quantities (GiB, converted to "
                "bytes)"
            ),
            points=_transfer,
        ),
        Metric(
            name="ovh.cloud.billing_period.start_timestamp",
            kind=Kind.GAUGE,
            unit="s",
            description="Start of the current billing period, as a Unix timestamp.",
            attributes=(),
            source="`usage/current` `period.from`",
            points=_period_start,
        ),
    ),
    columns=(Column("month-to-date", _month_to_date, total=_total_spent),),
    narrow=_narrow,
    regions_in_use=lambda usage: (c.region for c in usage.charges if c.price),
    currency=lambda usage: usage.currency,
    with_currency=lambda usage, currency: replace(usage, currency=usage.currency or currency),
    history=_history,
    history_routes=(HISTORY, HISTORY_DETAIL),
)
