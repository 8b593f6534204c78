"""The account outside its projects (``simulator/families/account.py``): every answer as me.json and
services.json model it, each project a service whose consumption is its own ``usage/current`` total,
a dedicated server, an IP block and a domain beside them, and the access rules of those routes."""

from __future__ import annotations

from typing import Any

import pytest
from ovh import exceptions as ovh_errors

from otel_ovh.simulator import SimulatedOvh, World
from otel_ovh.simulator.auth import CLOUD_RULES
from otel_ovh.simulator.families import ACCOUNT_ROUTES
from otel_ovh.simulator.families.account import gap
from otel_ovh.simulator.timeutil import iso, month_start
from tests.simulator.schema import Schema
from tests.simulator.support import cents, ovh_client, usage_lines

SCHEMA = Schema()
SINCE = {"beginDate": "2020-01-01T00:00:00+00:00", "endDate": "2030-01-01T00:00:00+00:00"}


def account_requests(world: World) -> list[tuple[str, str, dict[str, str] | None]]:
    """(template, path, query) of every account GET the simulator serves, every id included."""
    found: list[tuple[str, str, dict[str, str] | None]] = [
        ("/me/consumption/usage/current", "/me/consumption/usage/current", None),
        ("/me/consumption/usage/forecast", "/me/consumption/usage/forecast", None),
        ("/me/consumption/usage/history", "/me/consumption/usage/history", SINCE),
        ("/services", "/services", None),
        ("/me/bill", "/me/bill", None),
        ("/me/debtAccount", "/me/debtAccount", None),
        ("/me/credit/balance", "/me/credit/balance", None),
    ]
    found += [("/services/{serviceId}", f"/services/{sid}", None) for sid in world.body("/services")]
    found += [("/me/bill/{billId}", f"/me/bill/{bill}", None) for bill in world.body("/me/bill")]
    found += [
        ("/me/credit/balance/{balanceName}", f"/me/credit/balance/{name}", None)
        for name in world.body("/me/credit/balance")
    ]
    return found


def services(world: World) -> dict[int, Any]:
    return {sid: world.body(f"/services/{sid}") for sid in world.body("/services")}


def test_every_account_route_is_checked_and_matches_the_schema(world: World) -> None:
    requests = account_requests(world)
    assert {template for template, _, _ in requests} == set(ACCOUNT_ROUTES)
    problems = [
        problem
        for template, path, query in requests
        for problem in SCHEMA.errors(
            world.body(path, query), SCHEMA.response_type("GET", template), where=path
        )
    ]
    assert problems == []


def test_each_project_is_a_public_cloud_service_named_by_its_id(world: World) -> None:
    by_name = {s["resource"]["name"]: s for s in services(world).values()}
    for pid in world.project_ids:
        service = by_name[pid]
        assert service["resource"]["product"]["name"] == "publiccloud"
        assert service["route"]["url"] == f"/cloud/project/{pid}"
        assert service["billing"]["expirationDate"] is None  # consumption only: nothing expires
    products = sorted(s["resource"]["product"]["name"] for s in by_name.values())
    assert products == sorted(["publiccloud"] * len(world.project_ids) + ["dedicated-server", "ip", "domain"])
    others = [s for s in by_name.values() if s["resource"]["product"]["name"] != "publiccloud"]
    assert all(s["billing"]["expirationDate"] and s["billing"]["nextBillingDate"] for s in others)


def _consumption(world: World, path: str) -> dict[str, int]:
    """resource.name -> cents of this month's transaction."""
    names = {sid: s["resource"]["name"] for sid, s in services(world).items()}
    found: dict[str, int] = {}
    for transaction in world.body(path):
        total = sum(cents(e["price"]) for e in transaction["elements"])
        assert total == cents(transaction["price"])
        assert all(
            e["price"]["valueInUcents"] == cents(e["price"]) * 1_000_000 for e in transaction["elements"]
        )
        found[names[transaction["serviceId"]]] = total
    return found


def test_a_projects_consumption_is_its_usage_total_to_the_cent(world: World) -> None:
    current = _consumption(world, "/me/consumption/usage/current")
    forecast = _consumption(world, "/me/consumption/usage/forecast")
    for pid in world.project_ids:
        legacy = world.project(pid).legacy
        usage = world.body(f"/cloud/project/{pid}/usage/current")
        total = (
            sum(cents(line["totalPrice"]) for line in _lines(usage)) if legacy else cents(usage["totalPrice"])
        )
        assert current[pid] == total
        if not legacy:
            assert forecast[pid] == cents(world.body(f"/cloud/project/{pid}/usage/forecast")["totalPrice"])
    assert len(current) == len(world.project_ids) + 3
    assert all(forecast[name] >= current[name] for name in current)


def _lines(usage: dict[str, Any]) -> list[dict[str, Any]]:
    """Every priced line of a usage body: the terms of its total (which 2024-era answers leave out)."""
    return [line for _, line in usage_lines(usage)]


def test_an_injected_gap_shows_in_the_account_view_only(world: World) -> None:
    pid = world.project_ids[0]
    before = _consumption(world, "/me/consumption/usage/current")[pid]
    usage = world.body(f"/cloud/project/{pid}/usage/current")
    world.change(pid, gap(150))
    assert _consumption(world, "/me/consumption/usage/current")[pid] == before + 150
    assert world.body(f"/cloud/project/{pid}/usage/current") == usage


def test_closed_months_equal_the_projects_history(world: World) -> None:
    names = {sid: s["resource"]["name"] for sid, s in services(world).items()}
    history = world.body("/me/consumption/usage/history", SINCE)
    assert all(t["endDate"] and t["id"] for t in history)
    pid = next(p for p in world.project_ids if not world.project(p).legacy)
    for period in world.body(f"/cloud/project/{pid}/usage/history"):
        detail = world.body(f"/cloud/project/{pid}/usage/history/{period['id']}")
        mine = [
            t for t in history if names[t["serviceId"]] == pid and t["beginDate"] == period["period"]["from"]
        ]
        assert [cents(t["price"]) for t in mine] == [cents(detail["totalPrice"])]
    this_month = iso(month_start(world.now()))
    assert all(t["beginDate"] < this_month for t in history)


def test_history_needs_both_dates(world: World) -> None:
    with pytest.raises(Exception, match="beginDate"):
        world.body("/me/consumption/usage/history")


def test_bills_filter_by_date_and_carry_their_link(world: World) -> None:
    every = world.body("/me/bill")
    dates = {bill: world.body(f"/me/bill/{bill}")["date"] for bill in every}
    middle = sorted(dates.values())[len(dates) // 2]
    later = world.body("/me/bill", {"date.from": middle})
    assert later and set(later) == {b for b, d in dates.items() if d >= middle}
    bill = world.body(f"/me/bill/{every[0]}")
    assert bill["password"] in bill["url"]  # what the family must never show
    assert cents(bill["priceWithTax"]) == cents(bill["priceWithoutTax"]) + cents(bill["tax"])


def test_a_voucher_has_parts_that_expire(world: World) -> None:
    balances = [world.body(f"/me/credit/balance/{name}") for name in world.body("/me/credit/balance")]
    assert {b["type"] for b in balances} == {"PREPAID_ACCOUNT", "VOUCHER"}
    voucher = next(b for b in balances if b["type"] == "VOUCHER")
    assert sum(cents(part["amount"]) for part in voucher["expiring"]) == cents(voucher["amount"])
    assert world.body("/me/credit/balance", {"type": "VOUCHER"}) == [voucher["balanceName"]]


def test_account_routes_need_their_own_rules(sim: SimulatedOvh, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo key may read the account; a key with the cloud rules only is refused it, as OVH does."""
    assert ovh_client(sim, monkeypatch).get("/me/debtAccount")["active"] is True
    cloud_only = sim.auth.new_credential([dict(rule) for rule in CLOUD_RULES])
    sim.auth.validate(cloud_only.token)
    client = ovh_client(sim, monkeypatch, consumer_key=cloud_only.consumer_key)
    assert client.get("/cloud/project")
    for path in ("/me/consumption/usage/current", "/services", "/me/bill"):
        with pytest.raises(ovh_errors.NotGrantedCall, match="not been granted"):
            client.get(path)


def test_faults_apply_to_account_routes(sim: SimulatedOvh, monkeypatch: pytest.MonkeyPatch) -> None:
    from otel_ovh.simulator.faults import Fault

    sim.faults.add(Fault(project="", path="me/debtAccount", kind="status", status=500))
    with pytest.raises(ovh_errors.APIError):
        ovh_client(sim, monkeypatch).get("/me/debtAccount")
