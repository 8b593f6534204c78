"""The dashboard's and alert rules' PromQL against a real Prometheus scraping otel-ovh and the simulator."""

from __future__ import annotations

import re

import pytest

from tests.artifacts import dashboard_expressions, rule_expressions
from tests.support.prometheus import PrometheusServer

# Panels that are empty in a healthy run by design, with the reason.
MAY_BE_EMPTY = {
    "OVH API errors per hour, by route and status": "no OVH call fails against the healthy simulator",
}


@pytest.mark.parametrize(("title", "expr"), dashboard_expressions(), ids=lambda value: str(value)[:60])
def test_dashboard_queries_return_data(prometheus: PrometheusServer, title: str, expr: str) -> None:
    if title in MAY_BE_EMPTY:
        prometheus.query(expr)  # still valid PromQL that Prometheus evaluates
        return
    # Rates and increases need two scrapes of the same series; the wait covers the first minutes.
    result = prometheus.wait_for(expr, timeout=30)
    assert result, f"{title}: {expr}"


def _without_threshold(expr: str) -> str:
    return re.sub(r"\s*(>=|<=|>|==|<)\s*[\d.]+\s*$", "", expr.strip())


# Rule expressions whose body (threshold removed) is empty by design here, with the reason.
RULES_EMPTY_BY_DESIGN = {
    "OtelOvhMetricsAbsent": "absent() is empty while the exporter reports",
    "OvhCloudSpendRateUnusual": "needs eight days of history before it compares anything",
    "OvhAccountServiceExpiringSoon": "every simulated service renews: its next billing is at its expiry",
}


@pytest.mark.parametrize(("name", "expr"), rule_expressions(), ids=lambda value: str(value)[:40])
def test_rule_expressions_evaluate_with_data(prometheus: PrometheusServer, name: str, expr: str) -> None:
    body = _without_threshold(expr)
    if name in RULES_EMPTY_BY_DESIGN:
        assert prometheus.query(expr) == []
        return
    assert prometheus.wait_for(body, timeout=30), f"{name}: {body}"


def test_rules_load_and_the_budget_alert_fires(prometheus: PrometheusServer) -> None:
    groups = prometheus.rules()
    rules = [rule for group in groups for rule in group["rules"]]
    assert len(rules) >= 9
    prometheus.wait_for_alert("OvhCloudForecastOverBudget", state="pending", timeout=30)
    rules = [rule for group in prometheus.rules() for rule in group["rules"]]
    unhealthy = [(r["name"], r.get("lastError")) for r in rules if r.get("health") not in ("ok", "unknown")]
    assert not unhealthy
