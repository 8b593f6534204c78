"""The ``account`` family through the real ``ovh`` client against the simulator: every service's cost and
forecast, the services' names and dates, the bills, the debt and the credit balances as OVH answers
them; each part read at its own pace; never a bill's password or link in a label."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from otel_ovh.families import account
from otel_ovh.simulator import SimulatedOvh, World
from tests.integration.conftest import ExporterFactory, series

LINE = re.compile(r"^(?P<name>[a-z_]+)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$")


def parsed(exposition: bytes, prefix: str = "ovh_account_") -> list[tuple[str, dict[str, str], float]]:
    found = []
    for line in series(exposition):
        match = LINE.match(line)
        if match and match["name"].startswith(prefix):
            labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match["labels"] or ""))
            found.append((match["name"], labels, float(match["value"])))
    return found


def cents(value: float) -> int:
    return round(value * 100)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [time.time()]  # the family's pace and its window of bills; the world's clock stands near it
    monkeypatch.setattr(account, "clock", lambda: now[0])
    return now


def _expected_costs(world: World, path: str) -> dict[tuple[str, str, str, str], int]:
    names = {}
    for sid in world.body("/services"):
        body = world.body(f"/services/{sid}")
        names[str(sid)] = (body["resource"]["name"], body["resource"]["product"]["name"])
    found: dict[tuple[str, str, str, str], int] = {}
    for transaction in world.body(path):
        sid = str(transaction["serviceId"])
        for element in transaction["elements"]:
            key = (sid, *names[sid], element["planFamily"])
            found[key] = found.get(key, 0) + cents(element["price"]["value"])
    return found


def _costs(points: list[tuple[str, dict[str, str], float]], name: str) -> dict[tuple[str, ...], int]:
    return {
        (lab["ovh_service_id"], lab["ovh_service_name"], lab["ovh_product"], lab["ovh_plan_family"]): cents(v)
        for n, lab, v in points
        if n == name
    }


def test_every_figure_equals_the_simulators(
    sim: SimulatedOvh, world: World, make_exporter: ExporterFactory, clock: list[float]
) -> None:
    exporter = make_exporter()
    exporter.refresher.refresh_once()
    points = parsed(exporter.telemetry.render())
    for name, route in (("cost_total", "current"), ("cost_forecast", "forecast")):
        assert _costs(points, f"ovh_account_{name}") == _expected_costs(
            world, f"/me/consumption/usage/{route}"
        )
    by_name = {(n, lab.get("ovh_service_name")): v for n, lab, v in points}
    for sid in world.body("/services"):
        service = world.body(f"/services/{sid}")
        name, expires = service["resource"]["name"], service["billing"]["expirationDate"]
        if expires is None:
            assert ("ovh_account_service_expiry_timestamp_seconds", name) not in by_name
        else:
            assert by_name[("ovh_account_service_expiry_timestamp_seconds", name)] == _ts(expires)
        next_billing = service["billing"]["nextBillingDate"]
        assert by_name[("ovh_account_service_next_billing_timestamp_seconds", name)] == _ts(next_billing)
    for pid in world.project_ids:  # a project's service is named by its id: it joins cloud_account_id
        assert any(
            lab["ovh_service_name"] == pid and lab["ovh_product"] == "publiccloud" for _, lab, _ in points
        )
    _check_bills_debt_credits(world, points)


def _ts(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text).timestamp()


def _check_bills_debt_credits(world: World, points: list[tuple[str, dict[str, str], float]]) -> None:
    bills = {
        lab["ovh_bill_id"]: (lab["ovh_bill_category"], v)
        for n, lab, v in points
        if n == "ovh_account_bill_amount"
    }
    since = account.bills_since(world.now(), 13)
    expected = {b: world.body(f"/me/bill/{b}") for b in world.body("/me/bill", {"date.from": since})}
    assert bills == {b: (body["category"], body["priceWithoutTax"]["value"]) for b, body in expected.items()}
    dates = {lab["ovh_bill_id"]: v for n, lab, v in points if n == "ovh_account_bill_timestamp_seconds"}
    assert dates == {b: _ts(body["date"]) for b, body in expected.items()}
    debt = world.body("/me/debtAccount")
    assert ("ovh_account_debt", {"ovh_currency": "EUR"}, debt["dueAmount"]["value"]) in points
    assert ("ovh_account_debt_pending", {"ovh_currency": "EUR"}, debt["pendingAmount"]["value"]) in points
    for name in world.body("/me/credit/balance"):
        balance = world.body(f"/me/credit/balance/{name}")
        labels = {"ovh_credit_balance": name, "ovh_credit_type": balance["type"], "ovh_currency": "EUR"}
        assert ("ovh_account_credit_balance", labels, balance["amount"]["value"]) in points
        first = min(balance["expiring"], key=lambda part: _ts(part["expirationDate"]), default=None)
        expiring = [(lab, v) for n, lab, v in points if n == "ovh_account_credit_expiring" and lab == labels]
        dates = [
            v
            for n, lab, v in points
            if n == "ovh_account_credit_expiry_timestamp_seconds" and lab["ovh_credit_balance"] == name
        ]
        if first is None:
            assert expiring == [] and dates == []
        else:
            assert expiring == [(labels, first["amount"]["value"])]
            assert dates == [_ts(first["expirationDate"])]


def test_no_secret_of_a_bill_reaches_a_label(
    sim: SimulatedOvh, world: World, make_exporter: ExporterFactory, clock: list[float]
) -> None:
    exporter = make_exporter()
    exporter.refresher.refresh_once()
    exposition = exporter.telemetry.render().decode()
    for bill_id in world.body("/me/bill"):
        bill: dict[str, Any] = world.body(f"/me/bill/{bill_id}")
        assert bill["password"] not in exposition
        assert "simulated.invalid" not in exposition and "passwd" not in exposition


def test_each_part_is_read_at_its_own_pace(
    sim: SimulatedOvh, world: World, make_exporter: ExporterFactory, clock: list[float]
) -> None:
    exporter = make_exporter()
    exporter.refresher.refresh_once()
    first = _account_calls(sim)
    services = len(world.body("/services"))
    bills = len(world.body("/me/bill", {"date.from": account.bills_since(world.now(), 13)}))
    balances = len(world.body("/me/credit/balance"))
    assert first == {
        "/me/consumption/usage/current": 1,
        "/me/consumption/usage/forecast": 1,
        "/services": 1,
        "/services/{serviceId}": services,
        "/me/bill": 1,
        "/me/bill/{billId}": bills,
        "/me/debtAccount": 1,
        "/me/credit/balance": 1,
        "/me/credit/balance/{balanceName}": balances,
    }
    sim.reset_calls()
    clock[0] += 300
    exporter.refresher.refresh_once()
    every_refresh = {"/me/consumption/usage/current": 1, "/me/consumption/usage/forecast": 1, "/services": 1}
    assert _account_calls(sim) == every_refresh
    sim.reset_calls()
    clock[0] += 3600
    exporter.refresher.refresh_once()
    hourly = _account_calls(sim)
    assert "/me/bill/{billId}" not in hourly and "/services/{serviceId}" not in hourly  # bills: once
    assert hourly["/me/bill"] == hourly["/me/debtAccount"] == hourly["/me/credit/balance"] == 1
    sim.reset_calls()
    world.add_project()  # a new service is listed: read now, not tomorrow
    clock[0] += 300
    exporter.refresher.refresh_once()
    assert _account_calls(sim).get("/services/{serviceId}") == 1
    sim.reset_calls()
    clock[0] += 86_400
    exporter.refresher.refresh_once()
    assert _account_calls(sim)["/services/{serviceId}"] == len(world.body("/services"))


def _account_calls(sim: SimulatedOvh) -> dict[str, int]:
    counts: dict[str, int] = {}
    for call in sim.calls:
        if call.route.startswith(("/me", "/services")):
            counts[call.route] = counts.get(call.route, 0) + 1
    return counts


def test_the_table_has_an_account_section(
    sim: SimulatedOvh, world: World, make_exporter: ExporterFactory, clock: list[float]
) -> None:
    from otel_ovh.commands.report import format_table

    exporter = make_exporter()
    exporter.refresher.refresh_once()
    text = format_table(exporter)
    section = text[text.index("account: ") :].splitlines()
    services = world.body("/services")
    assert section[0] == f"account: {len(services)} service(s)"
    assert section[1].split()[:4] == ["service", "product", "id", "cost"]
    costs = {str(t["serviceId"]): t["price"]["value"] for t in world.body("/me/consumption/usage/current")}
    rows = {line.split()[2]: line.split() for line in section[3 : 3 + len(services)]}
    for sid in services:
        body = world.body(f"/services/{sid}")
        row = rows[str(sid)]
        assert row[:2] == [body["resource"]["name"], body["resource"]["product"]["name"]]
        assert row[3:5] == [f"{costs[str(sid)]:,.2f}", "EUR"]
    debt = world.body("/me/debtAccount")["dueAmount"]["value"]
    assert f"debt: {debt:,.2f} EUR due" in text


def test_a_service_that_fails_costs_only_its_own_details(
    sim: SimulatedOvh, world: World, make_exporter: ExporterFactory, clock: list[float]
) -> None:
    from otel_ovh.simulator.faults import Fault

    broken, *others = [str(sid) for sid in world.body("/services")]
    sim.faults.add(Fault(project="", path=f"services/{broken}", kind="status", status=500))
    exporter = make_exporter()
    exporter.refresher.refresh_once()
    named = {
        lab["ovh_service_id"]
        for n, lab, _ in parsed(exporter.telemetry.render())
        if "ovh_service_name" in lab
    }
    assert broken not in named and set(others) <= named
    sim.faults.clear()
    clock[0] += 60
    exporter.refresher.refresh_once()  # not due for the daily read: asked again as a new service
    named = {
        lab["ovh_service_id"]
        for n, lab, _ in parsed(exporter.telemetry.render())
        if "ovh_service_name" in lab
    }
    assert {broken, *others} <= named
