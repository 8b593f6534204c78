"""The account family's parsing (me.json, services.json models) and what OVH may send instead."""

from __future__ import annotations

from otel_ovh.families.account import Ledger, _never_less, bills_since
from otel_ovh.families.account_parts import (
    Cost,
    ids,
    parse_balance,
    parse_bill,
    parse_costs,
    parse_debt,
    parse_service,
)
from otel_ovh.ovh.fields import Problems
from tests.unit.reference_bodies import price


def ucents(value: float) -> dict[str, object]:
    return {"currencyCode": "EUR", "text": f"{value} €", "value": value, "valueInUcents": round(value * 1e8)}


def element(family: str, value: float) -> dict[str, object]:
    return {"planCode": "x", "planFamily": family, "price": ucents(value), "quantity": 1, "details": []}


def test_costs_add_up_per_service_and_offer_family() -> None:
    body = [
        {
            "serviceId": 12,
            "beginDate": "2026-12-01T00:00:00+01:00",
            "elements": [element("a", 1.1), element("a", 2.2)],
        },
        {"serviceId": 13, "beginDate": "2026-12-01T00:00:00+01:00", "elements": [element("b", 0.3)]},
    ]
    problems = Problems()
    costs, start = parse_costs(body, "current", problems)
    assert not problems
    assert sorted(costs, key=lambda c: c.service_id) == [
        Cost("12", "a", "EUR", 3.3),
        Cost("13", "b", "EUR", 0.3),
    ]
    assert start == 1796079600.0


def test_unreadable_values_are_dropped_alone_and_reported() -> None:
    body = [
        {"serviceId": 12, "elements": [element("a", 1.0), {"planFamily": "a", "price": "one euro"}]},
        {"serviceId": None, "elements": [element("a", 5.0)]},
        {
            "serviceId": 14,
            "elements": [{**element("a", 1.0), "price": {"value": -2.0, "currencyCode": "EUR"}}],
        },
        "not an object",
    ]
    problems = Problems()
    costs, start = parse_costs(body, "current", problems)
    assert costs == (Cost("12", "a", "EUR", 1.0),) and start is None
    assert len(problems.messages) == 4
    assert parse_costs({"oops": 1}, "current", Problems()) == ((), None)


def test_a_counter_never_goes_down_within_its_period() -> None:
    last = Ledger(period_start=100.0, costs=(Cost("12", "a", "EUR", 5.0),))
    lower = (Cost("12", "a", "EUR", 4.0), Cost("13", "a", "EUR", 1.0))
    assert _never_less(lower, 100.0, last) == (Cost("12", "a", "EUR", 5.0), Cost("13", "a", "EUR", 1.0))
    assert _never_less(lower, 200.0, last) == lower  # a new period starts from OVH's figures


def test_a_service_without_a_name_is_dropped_and_dates_may_be_null() -> None:
    body = {"resource": {"name": "ns1.example", "product": None}, "billing": {"expirationDate": None}}
    service = parse_service(body, "7", Problems())
    assert service is not None and (service.product, service.expires, service.next_billing) == (
        "",
        None,
        None,
    )
    problems = Problems()
    assert parse_service({"resource": {"name": None}}, "8", problems) is None and problems


def test_a_bill_keeps_no_secret() -> None:
    body = {
        "billId": "FR1",
        "date": "2026-11-01T02:00:00+00:00",
        "category": "autorenew",
        "priceWithoutTax": price(10.0),
        "password": "hunter2",
        "url": "https://x/?passwd=hunter2",
    }
    bill = parse_bill(body, "FR1", Problems())
    assert "hunter2" not in repr(bill)
    assert (bill.amount, bill.currency, bill.category) == (10.0, "EUR", "autorenew")


def test_debt_and_balances() -> None:
    debt = parse_debt({"dueAmount": price(4.5), "pendingAmount": price(1.0), "active": True}, Problems())
    assert (debt.due, debt.pending, debt.currency) == (4.5, 1.0, "EUR")
    balance = {
        "type": "VOUCHER",
        "amount": price(20.0),
        "expiring": [
            {"amount": price(15.0), "expirationDate": "2027-03-01T00:00:00+00:00"},
            {"amount": price(5.0), "expirationDate": "2027-01-01T00:00:00+00:00"},
            {"amount": price(1.0), "expirationDate": "never"},
        ],
    }
    problems = Problems()
    parsed = parse_balance(balance, "V", problems)
    assert (parsed.kind, parsed.amount, parsed.next_expiring) == ("VOUCHER", 20.0, 5.0)
    assert parsed.next_expiry == 1798761600.0 and problems  # the unreadable date is reported
    assert (
        parse_balance({"type": "DEPOSIT", "amount": price(1.0), "expiring": []}, "D", Problems()).next_expiry
        is None
    )


def test_ids_and_the_bill_window() -> None:
    problems = Problems()
    assert ids([1, "FR2", True, "../me", 1.5, 1], "bill", problems) == ["1", "FR2"] and problems
    assert bills_since(1796083200.0, 13) == "2025-12-01T00:00:00+00:00"  # 2026-12-01: 13 months with it
    assert bills_since(1796083200.0, 1) == "2026-12-01T00:00:00+00:00"
