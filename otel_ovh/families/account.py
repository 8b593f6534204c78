"""Family ``account`` (account-wide): the whole OVH account beside Public Cloud, from ``/me`` and
``/services`` (me.json, services.json; docs/ovh-api.md §4.4). What every service costs this period and is
forecast to cost, when each service expires and is billed next, the bills of the last
``account.bill_months`` months, the debt and the credit balances.

The parts change at different speeds, so each is read at its own pace, from the family's last record:

- consumption (``usage/current`` and ``usage/forecast``) and the list of services: every refresh, three
  calls;
- debt, credit balances, the list of bills: once an hour; each bill once, when its id first appears
  (a bill does not change once issued);
- each service's details (``/services/{serviceId}``): once a day, and a new service as soon as it is
  listed (an ended one is gone at once).

A part that fails keeps its last good data (its failure is reported with the unreadable values); the
consumption failing fails the family. A key without the rights for these routes (403) fails it too, and
the refresher then makes no more account call until a reload (``otel_ovh.collect.account``). The counters
(``ovh_account_cost_total``) never decrease within a period: a lower answer keeps the higher value.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import TypeVar

from otel_ovh.families import account_points as points
from otel_ovh.families.account_parts import (
    Balance,
    Bill,
    Cost,
    Ledger,
    Service,
    ids,
    parse_balance,
    parse_bill,
    parse_costs,
    parse_debt,
    parse_service,
)
from otel_ovh.families.account_table import section
from otel_ovh.families.attributes import (
    BILL_CATEGORY,
    BILL_ID,
    CREDIT_BALANCE,
    CREDIT_TYPE,
    CURRENCY,
    PLAN_FAMILY,
    PRODUCT,
    RENEW_MODE,
    SERVICE_ID,
    SERVICE_NAME,
    Attribute,
)
from otel_ovh.families.base import (
    DAILY,
    HOURLY,
    Family,
    Kind,
    Metric,
    Period,
    Point,
    Scope,
)
from otel_ovh.ovh.client import ApiError, OvhApi
from otel_ovh.ovh.fields import Fields, Problems

CURRENT = "/me/consumption/usage/current"
FORECAST = "/me/consumption/usage/forecast"
HISTORY = "/me/consumption/usage/history"
SERVICES = "/services"
SERVICE = "/services/{serviceId}"
BILLS = "/me/bill"
BILL = "/me/bill/{billId}"
DEBT = "/me/debtAccount"
BALANCES = "/me/credit/balance"
BALANCE = "/me/credit/balance/{balanceName}"
clock: Callable[[], float] = time.time  # when each part was read; tests set it
P = TypeVar("P")


def _due(at: float | None, every: float, now: float) -> bool:
    return at is None or now - at >= every


def _part(problems: Problems, route: str, read: Callable[[], P], kept: P) -> P:
    """One slower part: its new value, or the last one when its call fails (403 aside: no right for it
    is no right for any, and fails the family)."""
    try:
        return read()
    except ApiError as error:
        if error.status == 403:
            raise
        problems.add(route, f"{error}; the last answer is kept")
        return kept


def _services(api: OvhApi, problems: Problems, wanted: Iterable[str]) -> dict[str, Service]:
    """The details of each service that answers: one that fails (ended since it was listed: a 404) is left
    out and asked again at the next refresh, as a new one, and costs the others nothing (403 aside)."""
    found: dict[str, Service] = {}
    for sid in wanted:
        try:
            body = api.get(SERVICE, {"serviceId": sid})
        except ApiError as error:
            if error.status == 403:
                raise
            problems.add(f"services/{sid}", f"{error}; asked again at the next refresh")
            continue
        service = parse_service(body, sid, problems)
        if service is not None:
            found[sid] = service
    return found


def _read_services(api: OvhApi, scope: Scope, last: Ledger, now: float) -> Ledger:
    """The list of services every refresh (a service ended is gone at once, a new one is read at once);
    every service's details once a day, those of a new one as soon as it is listed."""
    listed = ids(api.get(SERVICES), "services", scope.problems)
    if _due(last.services_read, DAILY, now):
        return replace(last, services=_services(api, scope.problems, listed), services_read=now)
    kept = {sid: last.services[sid] for sid in listed if sid in last.services}
    new = [sid for sid in listed if sid not in last.services]
    return replace(last, services={**kept, **_services(api, scope.problems, new)})


def bills_since(now: float, months: int) -> str:
    """The first instant of the month ``months - 1`` months before this one (UTC), as OVH takes dates."""
    moment = datetime.fromtimestamp(now, UTC)
    index = moment.year * 12 + moment.month - 1 - (months - 1)
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC).isoformat()


def _read_bills(api: OvhApi, scope: Scope, kept: Mapping[str, Bill], now: float) -> dict[str, Bill]:
    """The bills of the last ``account.bill_months`` months: each read once, then kept."""
    since = bills_since(now, scope.bill_months)
    listed = ids(api.get(BILLS, query={"date.from": since}), "bill", scope.problems)
    return {
        bill_id: kept.get(bill_id) or parse_bill(api.get(BILL, {"billId": bill_id}), bill_id, scope.problems)
        for bill_id in listed
    }


def _read_balances(api: OvhApi, problems: Problems) -> tuple[Balance, ...]:
    names = ids(api.get(BALANCES), "credit/balance", problems)
    return tuple(parse_balance(api.get(BALANCE, {"balanceName": n}), n, problems) for n in names)


def _never_less(costs: tuple[Cost, ...], start: float | None, last: Ledger) -> tuple[Cost, ...]:
    """Within one period a counter does not go down: a lower answer keeps the higher value."""
    if start is None or start != last.period_start:
        return costs
    before = {(c.service_id, c.plan_family, c.currency): c.amount for c in last.costs}
    return tuple(
        replace(c, amount=max(c.amount, before.get((c.service_id, c.plan_family, c.currency), 0.0)))
        for c in costs
    )


def _fetch(api: OvhApi, scope: Scope) -> Ledger:
    last = scope.records.get(FAMILY) or Ledger()
    now = clock()
    problems = scope.problems
    costs, start = parse_costs(api.get(CURRENT), "consumption/current", problems)
    costs = _never_less(costs, start, last)
    forecast = _part(
        problems, FORECAST, lambda: parse_costs(api.get(FORECAST), "forecast", problems)[0], last.forecast
    )
    ledger = replace(last, period_start=start, costs=costs, forecast=forecast)
    ledger = _part(problems, SERVICES, lambda: _read_services(api, scope, ledger, now), ledger)
    if _due(last.hourly_read, HOURLY, now):
        bills: Mapping[str, Bill] = _part(
            problems, BILLS, lambda: _read_bills(api, scope, last.bills, now), last.bills
        )
        debt = _part(problems, DEBT, lambda: parse_debt(api.get(DEBT), problems), last.debt)
        balances = _part(problems, BALANCES, lambda: _read_balances(api, problems), last.balances)
        ledger = replace(ledger, bills=bills, debt=debt, balances=balances, hourly_read=now)
    return ledger


# -- history (``backfill``) ------------------------------------------------------------------------


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def _history(api: OvhApi, scope: Scope, months: int) -> list[Period[Ledger]]:
    """The last ``months`` closed periods of ``/me/consumption/usage/history`` (one call for all of them,
    its ``beginDate`` and ``endDate`` required), named as live by the services listed now; each period's
    bills are read when it is loaded."""
    now = clock()
    body = api.get(HISTORY, query={"beginDate": bills_since(now, months + 1), "endDate": bills_since(now, 1)})
    closed: dict[tuple[float, float], list[object]] = {}
    for index, item in enumerate(body if isinstance(body, list) else ()):
        fields = Fields(item, f"consumption/history[{index}]", scope.problems)
        start, end = fields.timestamp("beginDate"), fields.timestamp("endDate")
        if start is not None and end is not None and end > start:
            closed.setdefault((start, end), []).append(item)
    if not isinstance(body, list):
        scope.problems.add("consumption/history", "expected a list of transactions")
    services = _services(api, scope.problems, ids(api.get(SERVICES), "services", scope.problems))

    def period(bounds: tuple[float, float], items: list[object]) -> Period[Ledger]:
        return Period(*bounds, load=lambda: _closed(api, scope, services, bounds, items))

    return [period(bounds, items) for bounds, items in sorted(closed.items())[-months:]]


def _closed(
    api: OvhApi,
    scope: Scope,
    services: Mapping[str, Service],
    period: tuple[float, float],
    items: list[object],
) -> Ledger:
    start, end = period
    costs, _ = parse_costs(items, "consumption/history", scope.problems)
    query = {"date.from": _iso(start), "date.to": _iso(end - 1)}
    listed = ids(api.get(BILLS, query=query), "bill", scope.problems)
    bills = {b: parse_bill(api.get(BILL, {"billId": b}), b, scope.problems) for b in listed}
    return Ledger(period_start=start, costs=costs, services=services, bills=bills)


# -- metrics ---------------------------------------------------------------------------------------


_SERVICE = (SERVICE_ID, SERVICE_NAME, PRODUCT)
_COST = (*_SERVICE, PLAN_FAMILY, CURRENCY)
_DATES = (*_SERVICE, RENEW_MODE)
_BALANCE = (CREDIT_BALANCE, CREDIT_TYPE, CURRENCY)


def _gauge(
    name: str,
    unit: str,
    description: str,
    attributes: tuple[Attribute, ...],
    source: str,
    points: Callable[[Ledger], Iterable[Point]],
) -> Metric[Ledger]:
    return Metric(
        name=name,
        kind=Kind.GAUGE,
        unit=unit,
        description=description,
        attributes=attributes,
        source=source,
        points=points,
    )


FAMILY: Family[Ledger] = Family(
    name="account",
    routes=(CURRENT, FORECAST, SERVICES, SERVICE, BILLS, BILL, DEBT, BALANCES, BALANCE),
    fetch=_fetch,
    metrics=(
        Metric(
            name="ovh.account.cost",
            kind=Kind.COUNTER,
            unit="{currency}",
            description=(
                "Month-to-date cost of every service of the account (dedicated servers, IP blocks, "
                "domains, Public Cloud projects...), per offer family. Resets when the period starts. "
                "Account-wide: no project labels; a project's `ovh_service_name` is its id."
            ),
            attributes=_COST,
            source=f"`{CURRENT}` `elements[].price`, names from `{SERVICE}`",
            points=points.costs("current"),
        ),
        _gauge(
            "ovh.account.cost.forecast",
            "{currency}",
            "What every service of the account is forecast to cost over the whole period.",
            _COST,
            f"`{FORECAST}` `elements[].price`",
            points.costs("forecast"),
        ),
        _gauge(
            "ovh.account.service.expiry_timestamp",
            "s",
            "When the service expires unless renewed (absent when OVH gives no date).",
            _DATES,
            f"`{SERVICE}` `billing.expirationDate`",
            points.service_dates("expiry"),
        ),
        _gauge(
            "ovh.account.service.next_billing_timestamp",
            "s",
            "When the service is billed next (absent when OVH gives no date).",
            _DATES,
            f"`{SERVICE}` `billing.nextBillingDate`",
            points.service_dates("next"),
        ),
        _gauge(
            "ovh.account.bill.amount",
            "{currency}",
            "Each bill of the last `account.bill_months` months, without tax.",
            (BILL_ID, BILL_CATEGORY, CURRENCY),
            f"`{BILL}` `priceWithoutTax`",
            points.bill_amounts,
        ),
        _gauge(
            "ovh.account.bill.timestamp",
            "s",
            "When each bill was issued.",
            (BILL_ID,),
            f"`{BILL}` `date`",
            points.bill_dates,
        ),
        _gauge(
            "ovh.account.debt",
            "{currency}",
            "What the account owes OVH (due now).",
            (CURRENCY,),
            f"`{DEBT}` `dueAmount`",
            points.debt("due"),
        ),
        _gauge(
            "ovh.account.debt.pending",
            "{currency}",
            "What is being paid (payment under way).",
            (CURRENCY,),
            f"`{DEBT}` `pendingAmount`",
            points.debt("pending"),
        ),
        _gauge(
            "ovh.account.credit.balance",
            "{currency}",
            "What is left on each credit balance (prepaid account, deposit, voucher, bonus).",
            _BALANCE,
            f"`{BALANCE}` `amount`",
            points.balances("amount"),
        ),
        _gauge(
            "ovh.account.credit.expiring",
            "{currency}",
            "The part of the balance that expires next (absent when none expires).",
            _BALANCE,
            f"`{BALANCE}` `expiring[].amount` (the earliest)",
            points.balances("expiring"),
        ),
        _gauge(
            "ovh.account.credit.expiry_timestamp",
            "s",
            "When that part expires.",
            (CREDIT_BALANCE, CREDIT_TYPE),
            f"`{BALANCE}` `expiring[].expirationDate` (the earliest)",
            points.credit_expiry,
        ),
    ),
    account=True,
    section=section,
    history=_history,
    history_routes=(HISTORY, SERVICES, SERVICE, BILLS, BILL),
    history_gauges=("ovh.account.bill.amount", "ovh.account.bill.timestamp"),
    notes=(
        "`ovh_account_*`: consumption and the list of services every refresh (3 calls); debt, credit "
        "balances and the bill list once an hour, each bill once; each service's details once a day, and "
        "a new service's at once. "
        "A bill's password and links are never read into a label.",
    ),
)
