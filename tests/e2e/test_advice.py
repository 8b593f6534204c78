"""The price list, the burn rate and the advice, end to end: simulated OVH → ``otel-ovh serve`` → a real
Prometheus → PromQL. Expected figures come from the simulator's answers (its price list and inventory),
never from our parsers."""

from __future__ import annotations

import calendar
from datetime import datetime
from typing import Any

import pytest

from otel_ovh.simulator import World
from otel_ovh.simulator.families.catalog import price_list
from tests.e2e import expected
from tests.e2e.expected import project_path
from tests.support.prometheus import PrometheusServer

NOT_BILLED = {"shelved", "shelved_offloaded", "deleted", "deleting"}
# How a plan code says its billing, as OVH names them (docs/ovh-api.md §4.3).
SUFFIXES = ((".monthly.postpaid", "monthly"), (".hour.consumption", "hourly"), (".consumption", "hourly"))


def catalog_prices() -> dict[tuple[str, str], float]:
    """(sku, billing) -> the simulator's list price, straight from its answer's micro-cents."""
    prices: dict[tuple[str, str], float] = {}
    for addon in price_list({"ovhSubsidiary": "FR"})["addons"]:
        code: str = addon["planCode"]
        for suffix, billing in SUFFIXES:
            if code.endswith(suffix):
                prices[(code.removesuffix(suffix), billing)] = addon["pricings"][0]["price"] / 1e8
                break
    return prices


def month_hours(world: World, pid: str) -> float:
    start = datetime.fromisoformat(world.body(project_path(pid, "/usage/current"))["period"]["from"])
    return 24.0 * calendar.monthrange(start.year, start.month)[1]


def burn_rate(world: World, pid: str, prices: dict[tuple[str, str], float]) -> float:
    """The running inventory at list price per hour, summed by hand from the simulator's answers."""
    usage = world.body(project_path(pid, "/usage/current"))
    monthly_ids = {
        d["instanceId"] for line in usage["monthlyUsage"]["instance"] or [] for d in line["details"]
    }
    flavors = {f["id"]: f["name"] for f in world.body(project_path(pid, "/flavor"))}
    hours = month_hours(world, pid)
    rate = 0.0
    for instance in world.body(project_path(pid, "/instance")):
        flavor = flavors[instance["flavorId"]]
        if instance["status"].lower() in NOT_BILLED:
            continue
        if instance["id"] in monthly_ids:
            rate += prices[(flavor, "monthly")] / hours
        else:
            rate += prices[(flavor, "hourly")]
    for volume in world.body(project_path(pid, "/volume")):
        rate += volume["size"] * prices[(f"volume.{volume['type']}", "hourly")]
    network: dict[str, list[dict[str, Any]]] = expected.network(world, pid)
    rate += len(network["floatingip"]) * prices[("floatingip.floatingip", "hourly")]
    rate += sum(prices[(f"gateway.{g['model']}", "hourly")] for g in network["gateway"])
    return rate


def test_list_prices_are_the_catalogs_to_1e_8(prometheus: PrometheusServer) -> None:
    prices = catalog_prices()
    result = prometheus.wait_for("ovh_cloud_list_price", lambda r: len(r) == len(prices))
    seen = {(r["metric"]["ovh_sku"], r["metric"]["ovh_billing"]): float(r["value"][1]) for r in result}
    assert seen.keys() == prices.keys()
    for key, price in prices.items():
        assert seen[key] == pytest.approx(price, abs=1e-8), key
    assert all("cloud_account_id" not in r["metric"] for r in result)  # account-wide
    assert {r["metric"]["ovh_currency"] for r in result} == {"EUR"}


def test_monthly_billing_advice_is_the_months_difference_to_the_cent(
    prometheus: PrometheusServer, frozen_world: World
) -> None:
    prices = catalog_prices()
    result = prometheus.wait_for(
        'ovh_cloud_advice_savings{ovh_advice="monthly_billing"}', lambda r: len(r) > 0
    )
    for series in result:
        labels = series["metric"]
        sku, hours = labels["ovh_sku"], month_hours(frozen_world, labels["cloud_account_id"])
        by_hand = prices[(sku, "hourly")] * hours - prices[(sku, "monthly")]  # b3-16: 0.1362 x 744 - 74.80
        assert round(float(series["value"][1]), 2) == round(by_hand, 2), labels


def test_the_burn_rate_is_the_running_inventory_at_list_price(
    prometheus: PrometheusServer, frozen_world: World
) -> None:
    prices = catalog_prices()
    pids = frozen_world.project_ids
    result = prometheus.wait_for("ovh_cloud_cost_rate_per_hour", lambda r: len(r) == len(pids))
    rates = {r["metric"]["cloud_account_id"]: float(r["value"][1]) for r in result}
    for pid in pids:
        assert rates[pid] == pytest.approx(burn_rate(frozen_world, pid, prices), rel=1e-9), pid
