"""Billing alerts tell one story: each listed id has its detail, the threshold is the same amount in both
encodings and in the account's currency, and the world gives the family real choices to make."""

from __future__ import annotations

from typing import Any

import pytest

from otel_ovh.simulator import ApiError, World, WorldShape
from tests.simulator.support import Clock


def _get(world: World, project: str, path: str) -> Any:
    return world.body(f"/cloud/project/{project}{path}")


def _alerts(world: World, project: str) -> list[dict[str, Any]]:
    return [_get(world, project, f"/alerting/{a}") for a in _get(world, project, "/alerting")]


def test_each_alert_states_its_threshold_once_in_the_account_currency(world: World) -> None:
    currencies = {
        _get(world, p, "/usage/current")["totalPrice"]["currencyCode"]
        for p in world.project_ids
        if not world.project(p).legacy
    }
    for project in world.project_ids:
        ids = _get(world, project, "/alerting")
        assert len(ids) == len(set(ids))
        for alert in _alerts(world, project):
            price = alert["formattedMonthlyThreshold"]
            assert price["value"] == alert["monthlyThreshold"]
            assert price["priceInUcents"] == alert["monthlyThreshold"] * 100_000_000
            assert {price["currencyCode"]} == currencies
            if not world.project(project).legacy:
                assert alert["email"] == alert["emails"][0]


def test_the_world_holds_every_case_the_threshold_depends_on() -> None:
    world = World(seed=42, shape=WorldShape(projects=6), clock=Clock())
    by_project = {p: _alerts(world, p) for p in world.project_ids}
    assert any(not alerts for alerts in by_project.values())  # a project without alerting
    modern = [a for p, alerts in by_project.items() if not world.project(p).legacy for a in alerts]
    legacy = [a for p, alerts in by_project.items() if world.project(p).legacy for a in alerts]
    assert legacy and all("service" not in a and "status" not in a for a in legacy)
    assert {a["status"] for a in modern} == {"ok", "disabled"}
    assert {a["service"] for a in modern} == {"all", "instances"}
    for project, alerts in by_project.items():
        whole = [a["monthlyThreshold"] for a in alerts if a.get("service", "all") == "all"]
        if len(whole) > 1:
            assert len(set(whole)) == len(whole)  # the lowest is one alert, never a tie
        others = [a["monthlyThreshold"] for a in alerts if a.get("service", "all") != "all"]
        assert all(o < min(whole) for o in others), project  # a lower service alert must be left aside


def test_alerts_come_from_their_own_random_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    with_alerts = World(seed=7, clock=clock)
    monkeypatch.setattr("otel_ovh.simulator.families.budget.generate_alerts", lambda *args: [])
    without = World(seed=7, clock=clock)
    assert with_alerts.project_ids == without.project_ids
    for project in without.project_ids:
        assert _get(without, project, "/alerting") == []
        for tail in ("", "/instance", "/volume", "/credit", "/usage/current", "/usage/forecast"):
            assert _get(with_alerts, project, tail) == _get(without, project, tail), tail


def test_an_unknown_alert_is_a_404(world: World) -> None:
    with pytest.raises(ApiError) as raised:
        _get(world, world.project_ids[0], "/alerting/00000000-0000-4000-8000-000000000000")
    assert raised.value.status == 404
