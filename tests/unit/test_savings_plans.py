"""The savings_plans family's parsing, against ``cloud.usage.PlanResponse`` and what OVH may send instead."""

from __future__ import annotations

import copy
import dataclasses
import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from otel_ovh.families import cost, period, savings_plans
from otel_ovh.families.base import Kind, Scope
from otel_ovh.families.period import billing_month
from otel_ovh.families.savings_plans import FAMILY, Plans, parse_plans
from otel_ovh.ovh.fields import Problems
from tests.unit.reference_bodies import price

PLAN_A = "5a0c7f7e-0000-4000-8000-000000000001"
PLAN_B = "5a0c7f7e-0000-4000-8000-000000000002"
PLAN_C = "5a0c7f7e-0000-4000-8000-000000000003"


def _detail(plan_id: str, size: float, total: float) -> dict[str, object]:
    return {
        "id": plan_id,
        "planName": "b3-8 commitment",
        "period": {"from": "2026-11-01T00:00:00+00:00", "to": "2026-12-01T00:00:00+00:00"},
        "size": size,
        "unitPrice": price(0.0545),
        "totalPrice": price(total),
    }


def _size(subscription: dict[str, object]) -> float:
    return float(str(subscription["size"]))


def _flavor(name: str, subscriptions: list[dict[str, object]], cost: float, saved: float, over: float) -> Any:
    total = sum(_size(s) for s in subscriptions)
    return {
        "flavor": name,
        "fees": {
            "flatFee": {
                "details": [_detail(str(s["id"]), _size(s), cost * _size(s) / total) for s in subscriptions],
                "totalPrice": price(cost),
            },
            "overQuota": {
                "ids": [s["id"] for s in subscriptions],
                "quantity": over,
                "unitPrice": price(0.0681),
                "totalPrice": price(round(over * 0.0681, 2)),
            },
            "savedAmount": price(saved),
            "totalPrice": price(cost),
        },
        "periods": [
            {
                "begin": "2026-11-01T00:00:00+00:00",
                "end": "2026-11-14T12:00:00+00:00",
                "consumptionSize": 2,
                "cumulPlanSize": 1,
                "coverage": "50.00%",
                "utilization": "100.00%",
                "plansIds": [s["id"] for s in subscriptions],
                "resourceIds": ["i-1", "i-2"],
            }
        ],
        "subscriptions": subscriptions,
    }


def _subscription(plan_id: str, size: int, end: str) -> dict[str, object]:
    return {"id": plan_id, "begin": "2025-06-01T00:00:00+02:00", "end": end, "size": size}


BODY: dict[str, Any] = {
    "projectId": "0123456789abcdef0123456789abcdef",
    "period": {"from": "2026-11-01T00:00:00+00:00", "to": "2026-12-01T00:00:00+00:00"},
    "flavors": [
        _flavor(
            "b3-8",
            [
                _subscription(PLAN_A, 2, "2027-06-01T00:00:00+02:00"),
                _subscription(PLAN_B, 1, "2026-12-20T00:00:00Z"),
            ],
            cost=39.24,
            saved=4.90,
            over=162.5,
        ),
        _flavor(
            "c3-8", [_subscription(PLAN_C, 3, "2028-01-01T00:00:00+01:00")], cost=80.1, saved=0.0, over=0
        ),
    ],
    "totalSavings": price(4.90),
}


def _points(body: object) -> dict[str, list[tuple[dict[str, str | int], float]]]:
    plans = parse_plans(body, Problems())
    return {metric.name: list(metric.points(plans)) for metric in FAMILY.metrics}


def _ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_the_reference_shape_gives_every_plan_and_every_flavor() -> None:
    problems = Problems()
    plans = parse_plans(BODY, problems)
    assert not problems, problems.messages
    points = _points(BODY)
    assert points["ovh.cloud.savings_plan.size"] == [
        ({"ovh.sku": "b3-8", "ovh.savings_plan.id": PLAN_A}, 2.0),
        ({"ovh.sku": "b3-8", "ovh.savings_plan.id": PLAN_B}, 1.0),
        ({"ovh.sku": "c3-8", "ovh.savings_plan.id": PLAN_C}, 3.0),
    ]
    ends = {p[0]["ovh.savings_plan.id"]: p[1] for p in points["ovh.cloud.savings_plan.end_timestamp"]}
    assert ends == {
        PLAN_A: datetime(2027, 5, 31, 22, tzinfo=UTC).timestamp(),
        PLAN_B: _ts("2026-12-20T00:00:00+00:00"),
        PLAN_C: _ts("2027-12-31T23:00:00+00:00"),
    }
    assert points["ovh.cloud.savings_plan.cost"] == [
        ({"ovh.sku": "b3-8", "ovh.currency": "EUR"}, 39.24),
        ({"ovh.sku": "c3-8", "ovh.currency": "EUR"}, 80.1),
    ]
    assert points["ovh.cloud.savings_plan.saved"][0] == ({"ovh.sku": "b3-8", "ovh.currency": "EUR"}, 4.9)
    assert points["ovh.cloud.savings_plan.over_quota"] == [
        ({"ovh.sku": "b3-8"}, 162.5),
        ({"ovh.sku": "c3-8"}, 0.0),
    ]
    assert points["ovh.cloud.savings_plan.utilization_ratio"][0] == ({"ovh.sku": "b3-8"}, 1.0)  # "100.00%"
    assert points["ovh.cloud.savings_plan.coverage_ratio"][0] == ({"ovh.sku": "b3-8"}, 0.5)  # "50.00%"
    assert FAMILY.currency is not None and FAMILY.currency(plans) == "EUR"


@pytest.mark.parametrize(
    "body",
    [
        {**BODY, "flavors": []},
        {"projectId": "p", "period": BODY["period"], "flavors": [], "totalSavings": price(0.0)},
        {"flavors": None},
        {},
    ],
)
def test_a_project_without_plans_has_no_series(body: object) -> None:
    problems = Problems()
    assert parse_plans(body, problems) == Plans()
    assert not problems
    assert all(points == [] for points in _points(body).values())


def test_nulls_and_missing_fields_drop_only_their_value() -> None:
    body = copy.deepcopy(BODY)
    b3 = body["flavors"][0]
    b3["subscriptions"][0]["end"] = None
    del b3["subscriptions"][1]["size"]
    b3["fees"]["savedAmount"] = None
    b3["fees"]["overQuota"] = None
    del body["flavors"][1]["fees"]
    points = _points(body)
    assert [p[0]["ovh.savings_plan.id"] for p in points["ovh.cloud.savings_plan.size"]] == [PLAN_A, PLAN_C]
    assert [p[0]["ovh.savings_plan.id"] for p in points["ovh.cloud.savings_plan.end_timestamp"]] == [
        PLAN_B,
        PLAN_C,
    ]
    assert points["ovh.cloud.savings_plan.cost"] == [({"ovh.sku": "b3-8", "ovh.currency": "EUR"}, 39.24)]
    assert points["ovh.cloud.savings_plan.saved"] == []
    assert points["ovh.cloud.savings_plan.over_quota"] == []


def test_the_other_price_encoding_and_an_unknown_currency() -> None:
    body = copy.deepcopy(BODY)
    fees = body["flavors"][0]["fees"]
    fees["totalPrice"] = {"currencyCode": "N/A", "priceInUcents": 3_924_000_000, "text": "39.24"}
    fees["savedAmount"] = 4.9  # a bare number, as classic usage lines send money
    plans = parse_plans(body, Problems())
    assert plans.fees[0].cost == 39.24 and plans.fees[0].saved == 4.9 and plans.fees[0].currency is None
    assert FAMILY.with_currency is not None
    filled = FAMILY.with_currency(plans, "CAD")
    assert _points_of(filled)["ovh.cloud.savings_plan.cost"][0][0]["ovh.currency"] == "CAD"


def _points_of(plans: Plans) -> dict[str, list[tuple[dict[str, str | int], float]]]:
    return {metric.name: list(metric.points(plans)) for metric in FAMILY.metrics}


def test_wrong_types_are_reported_and_dropped_alone() -> None:
    body = copy.deepcopy(BODY)
    b3 = body["flavors"][0]
    b3["subscriptions"][0]["size"] = "2"
    b3["subscriptions"][1]["end"] = "next year"
    b3["subscriptions"].append("not an object")
    b3["subscriptions"].append({"size": 4, "end": "2027-01-01T00:00:00Z"})  # no id: nothing to name it by
    b3["fees"]["totalPrice"] = [39.24]
    b3["fees"]["overQuota"]["quantity"] = -3
    body["flavors"].append({"fees": {}})  # no flavor name
    body["flavors"].append(42)
    problems = Problems()
    plans = parse_plans(body, problems)
    assert [s.id for s in plans.subscriptions] == [PLAN_A, PLAN_B, PLAN_C]
    assert plans.subscriptions[0].size is None and plans.subscriptions[1].end is None
    b3_fees = plans.fees[0]
    assert b3_fees.cost is None and b3_fees.saved == 4.9 and b3_fees.over_quota is None
    assert len(problems.messages) == 8, problems.messages
    for body in ([1, 2], "plans", None, {"flavors": {"b3-8": {}}}):
        assert parse_plans(body, Problems()) == Plans()  # not the model: nothing, no exception


def test_a_flavor_or_a_plan_listed_twice_keeps_the_first() -> None:
    body = copy.deepcopy(BODY)
    body["flavors"].append(_flavor("b3-8", [_subscription(PLAN_C, 9, "2030-01-01T00:00:00Z")], 1, 1, 1))
    body["flavors"][1]["subscriptions"].append(_subscription(PLAN_C, 5, "2030-01-01T00:00:00Z"))
    problems = Problems()
    plans = parse_plans(body, problems)
    assert [(f.flavor, f.cost) for f in plans.fees] == [("b3-8", 39.24), ("c3-8", 80.1)]
    assert [(s.id, s.size) for s in plans.subscriptions] == [(PLAN_A, 2), (PLAN_B, 1), (PLAN_C, 3)]
    assert len(problems.messages) == 2


def test_a_saving_is_signed_and_the_ratios_come_from_the_latest_period() -> None:
    body = copy.deepcopy(BODY)
    b3 = body["flavors"][0]
    b3["fees"]["savedAmount"] = price(-43.89)  # an unused plan: minus its whole fee
    later = {**b3["periods"][0], "begin": "2026-11-14T12:00:00+00:00", "utilization": "10%", "coverage": "0%"}
    b3["periods"] = [later, b3["periods"][0]]  # the latest is not the last listed
    b3["periods"].append({**later, "begin": None, "utilization": "250%"})  # no date: not the latest
    points = _points(body)
    assert points["ovh.cloud.savings_plan.saved"][0] == ({"ovh.sku": "b3-8", "ovh.currency": "EUR"}, -43.89)
    assert points["ovh.cloud.savings_plan.utilization_ratio"][0] == ({"ovh.sku": "b3-8"}, 0.1)
    assert points["ovh.cloud.savings_plan.coverage_ratio"][0] == ({"ovh.sku": "b3-8"}, 0.0)
    saved = next(m for m in FAMILY.metrics if m.name == "ovh.cloud.savings_plan.saved")
    assert saved.kind is Kind.GAUGE  # it goes down and below zero within a month: never a counter
    b3["periods"] = [{**later, "utilization": "lots"}]
    problems = Problems()
    assert parse_plans(body, problems).fees[0].utilization is None and len(problems.messages) == 1


@pytest.mark.parametrize(
    ("start", "asked"),
    [
        ("2027-01-01T00:00:00+00:00", {"year": "2027", "month": "1"}),
        ("2025-10-01T00:00:00+02:00", {"year": "2025", "month": "10"}),  # OVH's offset: Sep 30 in UTC
        ("2026-03-01T00:00:00-05:00", {"year": "2026", "month": "3"}),
    ],
)
def test_the_month_asked_is_that_of_ovhs_period(
    start: str, asked: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    monkeypatch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14: the local date is a day ahead of UTC
    time.tzset()
    try:
        assert billing_month(_ts(start)) == asked
    finally:
        monkeypatch.undo()
        time.tzset()


class _Api:
    def __init__(self, body: object) -> None:
        self.body = body
        self.calls: list[tuple[str, dict[str, str] | None, dict[str, str] | None]] = []

    def get(
        self, route: str, params: dict[str, str] | None = None, query: dict[str, str] | None = None
    ) -> Any:
        self.calls.append((route, params, query))
        return self.body


class _Records:
    """The cost family's record of the same refresh, with OVH's period."""

    def __init__(self, start: str) -> None:
        self.start = _ts(start)

    def get(self, family: object) -> Any:
        return replace_period(self.start) if family is cost.FAMILY else None


def replace_period(start: float) -> Any:
    from otel_ovh.families.usage import parse_usage

    return dataclasses.replace(parse_usage({}, Problems()), period_start=start)


def test_the_fetch_asks_ovhs_current_period_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(period, "clock", lambda: _ts("2026-11-30T23:59:59.500+00:00"))  # not asked
    api = _Api(BODY)
    records = _Records("2026-12-01T00:00:00+01:00")  # Nov 30, 23:00 UTC: OVH's December already
    plans = FAMILY.fetch(api, Scope("p1", Problems(), lambda region: True, records))  # type: ignore[arg-type]
    assert api.calls == [(savings_plans.ROUTE, {"serviceName": "p1"}, {"year": "2026", "month": "12"})]
    assert len(plans.subscriptions) == 3
    assert FAMILY.uses == (cost.FAMILY.name,)


def test_without_cost_the_utc_month_stands_in_and_says_so_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(period, "clock", lambda: _ts("2026-11-30T23:59:59.500+00:00"))
    monkeypatch.setattr(period, "_warned", __import__("threading").Event())
    caplog.set_level(logging.INFO, logger=period.__name__)
    api = _Api(BODY)
    for _ in range(2):
        FAMILY.fetch(api, Scope("p1", Problems(), lambda region: True))  # type: ignore[arg-type]
    assert [query for _, _, query in api.calls] == [{"year": "2026", "month": "11"}] * 2
    assert [r.getMessage() for r in caplog.records].count(
        next(r.getMessage() for r in caplog.records if "calendar month in UTC" in r.getMessage())
    ) == 1
