"""The whole account, end to end: simulated OVH API → ``otel-ovh serve`` → a real Prometheus → PromQL.

Two accounts are served: one whose two views of each project agree, and one where the account's
consumption shows a project 1.37 more than its own ``usage/current`` (``simulator.families.account.gap``).
Expected figures come from the simulator's own answers, never from our parsers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from otel_ovh.families.account import bills_since
from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from otel_ovh.simulator.families.account import gap
from tests.e2e.conftest import ServeProcess, start_serve, stop_serve
from tests.support.prometheus import PrometheusServer, ScrapeJob

GAP_CENTS = 137


def _world(seed: int) -> World:
    now = time.time()
    return World(seed=seed, shape=WorldShape(projects=3), clock=lambda: now)


@pytest.fixture(scope="module")
def worlds() -> dict[str, World]:
    consistent, gapped = _world(2026), _world(7)
    gapped.change(gapped.project_ids[0], gap(GAP_CENTS))
    return {"consistent": consistent, "gapped": gapped}


@pytest.fixture(scope="module")
def served(
    worlds: dict[str, World], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, ServeProcess]]:
    sims = {name: SimulatedOvh(world, host="127.0.0.1", port=0).start() for name, world in worlds.items()}
    processes = {name: start_serve(sim, tmp_path_factory.mktemp(name)) for name, sim in sims.items()}
    yield processes
    for name, process in processes.items():
        stop_serve(process)
        sims[name].stop()
        print(f"\n--- otel-ovh log ({name}) ---\n{process.log()}")


@pytest.fixture(scope="module")
def prometheus(served: dict[str, ServeProcess]) -> Iterator[PrometheusServer]:
    jobs = [ScrapeJob([f"127.0.0.1:{p.port}"], job_name=name) for name, p in served.items()]
    server = PrometheusServer(jobs, scrape_interval=1.0)
    server.start()
    try:
        server.wait_for_targets_up(timeout=20)
        yield server
    finally:
        print(f"\n--- prometheus log ---\n{server.log()}")
        server.stop()


def _ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def _names(world: World) -> dict[str, Any]:
    return {str(sid): world.body(f"/services/{sid}") for sid in world.body("/services")}


def _cents(result: list[dict[str, Any]], *labels: str) -> dict[tuple[str, ...], int]:
    return {tuple(r["metric"][label] for label in labels): round(float(r["value"][1]) * 100) for r in result}


@pytest.mark.parametrize(
    ("metric", "route"), [("ovh_account_cost_total", "current"), ("ovh_account_cost_forecast", "forecast")]
)
def test_per_service_cost_and_forecast_equal_the_simulators_to_the_cent(
    prometheus: PrometheusServer, worlds: dict[str, World], metric: str, route: str
) -> None:
    world = worlds["consistent"]
    services = _names(world)
    expected: dict[tuple[str, ...], int] = {}
    for transaction in world.body(f"/me/consumption/usage/{route}"):
        sid = str(transaction["serviceId"])
        resource = services[sid]["resource"]
        for element in transaction["elements"]:
            key = (sid, resource["name"], resource["product"]["name"], element["planFamily"], "EUR")
            expected[key] = expected.get(key, 0) + round(element["price"]["value"] * 100)
    labels = ("ovh_service_id", "ovh_service_name", "ovh_product", "ovh_plan_family", "ovh_currency")
    result = prometheus.wait_for(f'{metric}{{job="consistent"}}', lambda r: len(r) == len(expected))
    assert _cents(result, *labels) == expected


def test_service_dates_bills_debt_and_credits_equal_the_simulators(
    prometheus: PrometheusServer, worlds: dict[str, World]
) -> None:
    world = worlds["consistent"]
    services = _names(world)
    expiry = prometheus.wait_for('ovh_account_service_expiry_timestamp_seconds{job="consistent"}')
    dated = {sid: s for sid, s in services.items() if s["billing"]["expirationDate"]}
    assert {r["metric"]["ovh_service_name"]: float(r["value"][1]) for r in expiry} == {
        s["resource"]["name"]: _ts(s["billing"]["expirationDate"]) for s in dated.values()
    }
    nxt = prometheus.query('ovh_account_service_next_billing_timestamp_seconds{job="consistent"}')
    assert len(nxt) == len(services)
    bills = {
        b: world.body(f"/me/bill/{b}")
        for b in world.body("/me/bill", {"date.from": bills_since(world.now(), 13)})
    }
    amounts = prometheus.query('ovh_account_bill_amount{job="consistent"}')
    assert _cents(amounts, "ovh_bill_id", "ovh_bill_category") == {
        (b, body["category"]): round(body["priceWithoutTax"]["value"] * 100) for b, body in bills.items()
    }
    dates = prometheus.query('ovh_account_bill_timestamp_seconds{job="consistent"}')
    assert {r["metric"]["ovh_bill_id"]: float(r["value"][1]) for r in dates} == {
        b: _ts(body["date"]) for b, body in bills.items()
    }
    debt = world.body("/me/debtAccount")
    assert prometheus.query_value('ovh_account_debt{job="consistent"}') == debt["dueAmount"]["value"]
    assert (
        prometheus.query_value('ovh_account_debt_pending{job="consistent"}') == debt["pendingAmount"]["value"]
    )
    for name in world.body("/me/credit/balance"):
        balance = world.body(f"/me/credit/balance/{name}")
        selector = f'{{job="consistent", ovh_credit_balance="{name}", ovh_credit_type="{balance["type"]}"}}'
        assert prometheus.query_value(f"ovh_account_credit_balance{selector}") == balance["amount"]["value"]
        first = min(balance["expiring"], key=lambda part: _ts(part["expirationDate"]), default=None)
        expiring = prometheus.query(f"ovh_account_credit_expiring{selector}")
        if first is None:
            assert expiring == []
        else:
            assert float(expiring[0]["value"][1]) == first["amount"]["value"]
            when = prometheus.query_value(f"ovh_account_credit_expiry_timestamp_seconds{selector}")
            assert when == _ts(first["expirationDate"])


def test_the_project_gap_is_zero_when_ovh_agrees_and_the_difference_when_not(
    prometheus: PrometheusServer, worlds: dict[str, World]
) -> None:
    consistent = prometheus.wait_for(
        'ovh_account_cost_gap{job="consistent"}', lambda r: len(r) == len(worlds["consistent"].project_ids)
    )
    assert {
        r["metric"]["cloud_account_id"]: round(float(r["value"][1]), 2) for r in consistent
    } == dict.fromkeys(worlds["consistent"].project_ids, 0.0)
    gapped_world = worlds["gapped"]
    gapped = prometheus.wait_for(
        'ovh_account_cost_gap{job="gapped"}', lambda r: len(r) == len(gapped_world.project_ids)
    )
    expected = dict.fromkeys(gapped_world.project_ids, 0.0) | {gapped_world.project_ids[0]: GAP_CENTS / 100}
    assert {r["metric"]["cloud_account_id"]: round(float(r["value"][1]), 2) for r in gapped} == expected
    # the join the gap is for: a project's account series by its id
    joined = prometheus.query(
        'sum by (ovh_service_name) (ovh_account_cost_total{job="gapped", ovh_product="publiccloud"})'
        " - on (ovh_service_name) label_replace("
        'sum by (cloud_account_id) (ovh_cloud_cost_total{job="gapped"}),'
        ' "ovh_service_name", "$1", "cloud_account_id", "(.*)")'
    )
    assert {r["metric"]["ovh_service_name"]: round(float(r["value"][1]), 2) for r in joined} == expected
