"""The budget family's parsing, against ``cloud.alerting.Alerting``, its 2024 shape and what OVH may send."""

from __future__ import annotations

from typing import Any

from otel_ovh.families.budget import FAMILY, parse_alert, parse_alert_ids, project_threshold
from otel_ovh.ovh.fields import Problems
from tests.unit.reference_bodies import price

ALERT_ID = "5ca5f72d-5c1d-40ea-bcf6-31557119135d"


def _alert(threshold: int = 1500, **changes: Any) -> dict[str, Any]:
    """A ``cloud.alerting.Alerting`` as the 2026 schema has it."""
    body: dict[str, Any] = {
        "id": ALERT_ID,
        "name": "monthly budget",
        "creationDate": "2026-04-16T08:19:29+02:00",
        "delay": 86400,
        "email": "finops@example.com",
        "emails": ["finops@example.com"],
        "monthlyThreshold": threshold,
        "formattedMonthlyThreshold": price(threshold),
        "service": "all",
        "status": "ok",
    }
    return {**body, **changes}


# The 2024 schema (cloud.Alerting): no name, emails, service or status.
LEGACY = {
    "id": ALERT_ID,
    "creationDate": "2025-11-27T08:19:29+01:00",
    "delay": 3600,
    "email": "finops@example.com",
    "monthlyThreshold": 800,
    "formattedMonthlyThreshold": price(800),
}


def _series(*bodies: object) -> list[tuple[dict[str, str | int], float]]:
    problems = Problems()
    alerts = tuple(parse_alert(body, problems, f"a{n}") for n, body in enumerate(bodies))
    return [point for metric in FAMILY.metrics for point in metric.points(alerts)]


def test_the_reference_shape_gives_its_threshold_and_currency() -> None:
    problems = Problems()
    alert = parse_alert(_alert(), problems, ALERT_ID)
    assert not problems, problems.messages
    assert (alert.threshold, alert.currency, alert.service, alert.status) == (1500.0, "EUR", "all", "ok")
    assert _series(_alert()) == [({"ovh.currency": "EUR"}, 1500.0)]


def test_the_2024_shape_watches_the_whole_project() -> None:
    problems = Problems()
    alert = parse_alert(LEGACY, problems, ALERT_ID)
    assert not problems, problems.messages
    assert alert.sets_budget and (alert.service, alert.status) == (None, None)
    assert _series(LEGACY) == [({"ovh.currency": "EUR"}, 800.0)]


def test_the_project_threshold_is_the_lowest_alert_on_the_whole_spend_that_is_in_force() -> None:
    bodies = [
        _alert(2000),
        _alert(1200),
        _alert(300, service="instances"),  # part of the spend only: not the project's budget
        _alert(500, status="disabled"),
        _alert(400, status="deleted"),
    ]
    assert _series(*bodies) == [({"ovh.currency": "EUR"}, 1200.0)]
    assert _series(_alert(300, service="instances"), _alert(500, status="disabled")) == []  # none in force


def test_no_alert_is_no_series_and_no_problem() -> None:
    problems = Problems()
    assert parse_alert_ids([], problems) == [] and not problems
    assert _series() == []
    assert project_threshold(()) is None
    assert FAMILY.columns[0].cell(()) == "-" and FAMILY.columns[0].cell(None) == "-"


def test_a_missing_or_null_threshold_drops_that_alert_alone() -> None:
    without = {k: v for k, v in _alert(900).items() if k != "monthlyThreshold"}
    assert _series(without) == [({"ovh.currency": "EUR"}, 900.0)]  # the price says the same amount
    nothing = _alert(100, monthlyThreshold=None, formattedMonthlyThreshold=None)
    assert _series(nothing, _alert(1500)) == [({"ovh.currency": "EUR"}, 1500.0)]
    no_currency = _alert(700, formattedMonthlyThreshold=None)
    assert _series(no_currency) == [({"ovh.currency": "unknown"}, 700.0)]  # until the account's is known
    assert FAMILY.with_currency is not None
    filled = FAMILY.with_currency((parse_alert(no_currency, Problems(), "x"),), "EUR")
    assert filled[0].currency == "EUR"
    only_micro = _alert(
        1500, monthlyThreshold=None, formattedMonthlyThreshold={"priceInUcents": 25_000_000_000}
    )
    assert _series(only_micro) == [({"ovh.currency": "unknown"}, 250.0)]
    assert parse_alert(_alert(service=None, status=None), Problems(), "x").sets_budget


def test_wrong_types_are_reported_and_dropped_alone() -> None:
    problems = Problems()
    alert = parse_alert(_alert(monthlyThreshold="1500", service=3, status=["ok"]), problems, ALERT_ID)
    assert alert.threshold == 1500.0  # from formattedMonthlyThreshold
    assert alert.service == "3" and alert.status is None
    assert len(problems.messages) == 2
    problems = Problems()
    assert (
        parse_alert(
            _alert(monthlyThreshold=True, formattedMonthlyThreshold="1500 €"), problems, "x"
        ).threshold
        is None
    )
    assert len(problems.messages) == 2
    problems = Problems()
    assert (
        parse_alert(_alert(monthlyThreshold=-5, formattedMonthlyThreshold=None), problems, "x").threshold
        is None
    )
    assert problems
    assert parse_alert([1, 2], Problems(), "x").threshold is None  # not an object: nothing, no exception
    assert parse_alert(None, Problems(), "x").sets_budget is False


def test_ids_are_plain_identifiers_and_anything_else_is_dropped() -> None:
    problems = Problems()
    listed = [ALERT_ID, ALERT_ID, 12, None, "../../me", "a b", "", "x?y=1", "other-id"]
    assert parse_alert_ids(listed, problems) == [ALERT_ID, "other-id"]
    assert problems
    assert parse_alert_ids({"ids": [ALERT_ID]}, Problems()) == []
    assert parse_alert_ids(None, Problems()) == []
