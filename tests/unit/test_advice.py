"""The price list as OVH's captured answer gives it, and the advice priced with it, from figures worked
out by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest

from otel_ovh.families import advice, period
from otel_ovh.families.base import Family, Scope
from otel_ovh.families.catalog import parse_catalog
from otel_ovh.families.instances import Flavor, Instance
from otel_ovh.families.savings_plans import FlavorFees, Plans, Subscription
from otel_ovh.families.usage import Charge, Consumption, Usage
from otel_ovh.ovh.client import ApiError
from otel_ovh.ovh.fields import Problems

T = TypeVar("T")
CAPTURED = (
    Path(__file__).parents[1] / "data" / "captured" / "order-catalog-public-cloud-opencost-testdata.json"
)
START = datetime(2026, 12, 1, tzinfo=UTC).timestamp()  # a 31-day month: 744 hours


def test_the_captured_catalog_prices_each_addon_in_micro_cents() -> None:
    problems = Problems()
    prices = parse_catalog(json.loads(CAPTURED.read_text()), problems, "FR")
    assert not problems
    assert prices.currency == "EUR"
    assert {key: p.microcents for key, p in prices.prices.items()} == {
        ("b2-7", "hourly"): 6810000,
        ("b2-7", "monthly"): 2420000000,
        ("t2-45", "hourly"): 180000000,
        ("t2-45", "monthly"): 63800000000,
        ("volume.high-speed-gen2", "hourly"): 11900,
        ("volume.high-speed-gen2", "monthly"): 8687000,
        ("volume.high-speed", "hourly"): 11900,
        ("volume.classic", "hourly"): 5900,
    }
    assert prices.amount("b2-7", "hourly") == 0.0681
    assert prices.amount("b2-7", "monthly") == 24.20


@pytest.mark.parametrize("missing", ["addons", "locale"])
def test_an_answer_without_addons_or_currency_is_a_failure_not_an_empty_list(missing: str) -> None:
    body = json.loads(CAPTURED.read_text())
    del body[missing]
    with pytest.raises(ApiError):
        parse_catalog(body, Problems(), "FR")


class _Records:
    def __init__(self, records: dict[str, Any]) -> None:
        self._records = records

    def get(self, family: Family[T]) -> T | None:
        found: T | None = self._records.get(family.name)
        return found


def _instance(instance_id: str, status: str = "active") -> Instance:
    return Instance(instance_id, instance_id, "GRA11", status, "f", Flavor("f", "b2-7", "GRA11", 2, None))


def _advised(
    hours_elapsed: float, ran: dict[str, float], found: list[Instance], plans: Plans | None = None
) -> advice.Advised:
    prices = parse_catalog(json.loads(CAPTURED.read_text()), Problems(), "FR")
    usage = Usage(
        START,
        "EUR",
        None,
        (Charge("GRA11", "instance", "b2-7", "m", "monthly", 24.2),),
        tuple(
            Consumption("GRA11", "instance", "b2-7", i, "hourly", "seconds", h * 3600) for i, h in ran.items()
        ),
        (),
    )
    records = {"catalog": prices, "cost": usage, "instances": tuple(found), "savings_plans": plans}
    scope = Scope("p", Problems(), lambda _: True, _Records(records))
    period.clock = lambda: START + hours_elapsed * 3600
    try:
        advised = advice.FAMILY.fetch(None, scope)  # type: ignore[arg-type]  # it makes no call
    finally:
        period.clock = __import__("time").time
    assert advised is not None
    return advised


def test_monthly_billing_is_advised_for_an_instance_that_ran_every_hour_so_far() -> None:
    # 300 hours into December: "always" ran 299.5 h (at least 300 - 1), "third" ran 100 h.
    advised = _advised(300, {"always": 299.5, "third": 100}, [_instance("always"), _instance("third")])
    # by hand: 0.0681 EUR/h x 24 x 31 = 50.6664; monthly 24.20; saving 26.4664
    assert [(a.kind, a.resource_id, round(a.saving, 4)) for a in advised.advice] == [
        ("monthly_billing", "always", 26.4664)
    ]


def test_a_stopped_instance_saves_its_hourly_price_for_the_rest_of_the_month() -> None:
    advised = _advised(300, {"off": 300}, [_instance("off", "shutoff")])
    # by hand: 744 - 300 = 444 hours left x 0.0681 = 30.2364
    assert [(a.kind, round(a.saving, 4)) for a in advised.advice] == [("stopped_instance", 30.2364)]


def test_the_burn_rate_prices_hourly_instances_by_the_hour_and_monthly_ones_by_the_month() -> None:
    advised = _advised(300, {"a": 300}, [_instance("a"), _instance("m"), _instance("gone", "shelved")])
    # by hand: 0.0681 + 24.20 / 744 = 0.0681 + 0.0325269 = 0.1006269 (the shelved one is not billed)
    assert round(advised.rate_per_hour, 7) == 0.1006269


def test_without_a_price_list_there_is_neither_rate_nor_advice() -> None:
    scope = Scope("p", Problems(), lambda _: True, _Records({"cost": None}))
    assert advice.FAMILY.fetch(None, scope) is None  # type: ignore[arg-type]


def test_an_underused_savings_plan_saves_its_unused_share_of_the_month_fee() -> None:
    plans = Plans(
        (Subscription("sp-2", "b2-7", 2, None), Subscription("sp-1", "b2-7", 2, None)),
        (
            FlavorFees("b2-7", 60.0, -5.0, "EUR", 0.0, utilization=0.25, coverage=1.0),
            FlavorFees("t2-45", 400.0, 30.0, "EUR", 0.0, utilization=1.0, coverage=0.5),  # fully used
        ),
    )
    advised = _advised(300, {}, [], plans)
    # by hand: 60.00 EUR in 300 h is 148.80 over 744 h; unused 1 - 0.25 = 0.75; 0.75 x 148.80 = 111.60
    assert [(a.kind, a.resource_id, a.sku, round(a.saving, 4)) for a in advised.advice] == [
        ("underused_savings_plan", "sp-1,sp-2", "b2-7", 111.6)
    ]


def test_the_advice_is_worked_out_to_the_bills_last_update_not_the_clock() -> None:
    """The same answers give the same advice whenever they are priced: the hours left are counted from
    ``lastUpdate``, the moment the bill's hours were counted to (the clock only stands in without it)."""
    prices = parse_catalog(json.loads(CAPTURED.read_text()), Problems(), "FR")
    usage = Usage(START, "EUR", None, (), (), (), last_update=START + 300 * 3600)
    records = {"catalog": prices, "cost": usage, "instances": (_instance("off", "shutoff"),)}
    scope = Scope("p", Problems(), lambda _: True, _Records(records))
    savings = []
    for hours_on_the_clock in (300, 301, 500):
        period.clock = lambda: START + hours_on_the_clock * 3600  # noqa: B023  # called inside the loop
        try:
            advised = advice.FAMILY.fetch(None, scope)  # type: ignore[arg-type]  # it makes no call
        finally:
            period.clock = __import__("time").time
        assert advised is not None
        savings.append([round(a.saving, 4) for a in advised.advice])
    assert savings == [[30.2364]] * 3  # by hand: (744 - 300) x 0.0681, whatever the clock says
