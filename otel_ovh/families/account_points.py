"""The points of the ``account`` family's metrics, read from its record (``account_parts.Ledger``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from otel_ovh.families.account_parts import Ledger
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
)
from otel_ovh.families.base import Attributes, Point


def service_labels(ledger: Ledger, service_id: str) -> Attributes:
    service = ledger.services.get(service_id)
    return {
        SERVICE_ID.key: service_id,
        SERVICE_NAME.key: service.name if service else "",
        PRODUCT.key: service.product if service else "",
    }


def costs(which: str) -> Callable[[Ledger], Iterable[Point]]:
    def points(ledger: Ledger) -> Iterable[Point]:
        for cost in ledger.costs if which == "current" else ledger.forecast:
            labels = service_labels(ledger, cost.service_id)
            yield {**labels, PLAN_FAMILY.key: cost.plan_family, CURRENCY.key: cost.currency}, cost.amount

    return points


def service_dates(which: str) -> Callable[[Ledger], Iterable[Point]]:
    def points(ledger: Ledger) -> Iterable[Point]:
        for sid, service in ledger.services.items():
            when = service.expires if which == "expiry" else service.next_billing
            if when is not None:
                yield {**service_labels(ledger, sid), RENEW_MODE.key: service.renew_mode}, when

    return points


def bill_amounts(ledger: Ledger) -> Iterable[Point]:
    for bill in ledger.bills.values():
        if bill.amount is not None:
            labels: Attributes = {
                BILL_ID.key: bill.bill_id,
                BILL_CATEGORY.key: bill.category,
                CURRENCY.key: bill.currency,
            }
            yield labels, bill.amount


def bill_dates(ledger: Ledger) -> Iterable[Point]:
    for bill in ledger.bills.values():
        if bill.date is not None:
            yield {BILL_ID.key: bill.bill_id}, bill.date


def debt(which: str) -> Callable[[Ledger], Iterable[Point]]:
    def points(ledger: Ledger) -> Iterable[Point]:
        debt = ledger.debt
        value = None if debt is None else debt.due if which == "due" else debt.pending
        if debt is not None and value is not None:
            yield {CURRENCY.key: debt.currency}, value

    return points


def balances(which: str) -> Callable[[Ledger], Iterable[Point]]:
    def points(ledger: Ledger) -> Iterable[Point]:
        for b in ledger.balances:
            value = b.amount if which == "amount" else b.next_expiring
            if value is not None:
                yield {CREDIT_BALANCE.key: b.name, CREDIT_TYPE.key: b.kind, CURRENCY.key: b.currency}, value

    return points


def credit_expiry(ledger: Ledger) -> Iterable[Point]:
    for b in ledger.balances:
        if b.next_expiry is not None:
            yield {CREDIT_BALANCE.key: b.name, CREDIT_TYPE.key: b.kind}, b.next_expiry
