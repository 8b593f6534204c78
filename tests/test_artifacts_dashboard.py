"""The Grafana dashboard: current schema, templated data source, and queries that match the catalog."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.artifacts import (
    DASHBOARD,
    check_expressions_with_promtool,
    dashboard_expressions,
    iter_panels,
    load_dashboard,
    metric_catalog,
    parse_label_values,
    parse_promql,
    raw_dashboard_expressions,
    unknown_references,
)

PANEL_TYPES = {"timeseries", "stat", "bargauge", "table"}
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
# Dashboard variable → the label it filters. Series without a project (the exporter's own) use `job`.
FILTERS = {
    "account": "cloud_account_id",
    "project": "ovh_project_name",
    "region": "cloud_region",
    "service": "ovh_service",
}
MONEY = {
    "ovh_cloud_cost_total",
    "ovh_cloud_cost_forecast",
    "ovh_cloud_budget",
    "ovh_cloud_spend_threshold",
    "ovh_cloud_credit_available",
    "ovh_cloud_credit_granted",
    "ovh_cloud_cost_forecast_usable_credits",
    "ovh_cloud_savings_plan_cost_total",
    "ovh_cloud_savings_plan_saved",
    "ovh_account_cost_total",
    "ovh_account_cost_forecast",
    "ovh_account_cost_gap",
    "ovh_account_bill_amount",
    "ovh_account_debt",
    "ovh_account_debt_pending",
    "ovh_account_credit_balance",
    "ovh_account_credit_expiring",
}


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    return load_dashboard()


@pytest.fixture(scope="module")
def catalog() -> dict[str, frozenset[str]]:
    return metric_catalog()


def variables(dashboard: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in dashboard["templating"]["list"]}


def variable_query(variable: dict[str, Any]) -> str:
    query = variable["query"]
    return str(query["query"] if isinstance(query, dict) else query)


def test_dashboard_is_current_grafana_json(dashboard: dict[str, Any]) -> None:
    assert DASHBOARD.read_text(encoding="utf-8").endswith("}\n")
    assert dashboard["schemaVersion"] >= 39
    assert dashboard["uid"]
    assert dashboard["title"]
    panels = list(iter_panels(dashboard))
    assert {p["type"] for p in panels} <= PANEL_TYPES
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] >= 0, panel["title"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        assert panel.get("title"), f"panel {panel['id']} has no title"


def test_expected_rows(dashboard: dict[str, Any]) -> None:
    rows = [p["title"] for p in dashboard["panels"] if p["type"] == "row"]
    for wanted in (
        "Month-to-date cost",
        "Spend rate",
        "Forecast vs budget",
        "Top resources",
        "Quotas",
        "Storage and volumes",
        "Instances",
        "Exporter health",
        "History",
        "Credits",
        "Account",
    ):
        assert wanted in rows


def test_datasource_is_a_template_variable(dashboard: dict[str, Any]) -> None:
    variable = variables(dashboard)["datasource"]
    assert variable["type"] == "datasource"
    assert variable["query"] == "prometheus"
    for panel in iter_panels(dashboard):
        assert panel["datasource"] == DATASOURCE, panel["title"]
        for target in panel["targets"]:
            assert target.get("datasource", DATASOURCE) == DATASOURCE, panel["title"]
    for variable in variables(dashboard).values():
        if variable["type"] == "query":
            assert variable["datasource"] == DATASOURCE, variable["name"]


def test_filter_variables_are_multi_value_with_all(dashboard: dict[str, Any]) -> None:
    found = variables(dashboard)
    for name in ("job", *FILTERS):
        variable = found[name]
        assert variable["type"] == "query"
        assert variable["multi"] is True, name
        assert variable["includeAll"] is True, name
        # ".*" rather than Grafana's list of values: also matches series without the label (forecast has
        # no region) and values that appeared after the dashboard loaded.
        assert variable["allValue"] == ".*", name


def test_variable_queries_use_known_metrics_and_labels(
    dashboard: dict[str, Any], catalog: dict[str, frozenset[str]], tmp_path: Path
) -> None:
    selectors: list[tuple[str, str]] = []
    for name, variable in variables(dashboard).items():
        if variable["type"] != "query":
            continue
        selector, label = parse_label_values(variable_query(variable))
        assert selector is not None, f"{name}: label_values() without a metric lists every series"
        assert not unknown_references(selector, catalog, legend="{{" + label + "}}"), name
        expected = FILTERS.get(name, "job")
        assert label == expected, f"variable {name} should list {expected}"
        selectors.append((f"variable {name}", selector.replace("$", "")))
    check_expressions_with_promtool(selectors, tmp_path)


def test_every_panel_has_a_query(dashboard: dict[str, Any]) -> None:
    for panel in iter_panels(dashboard):
        exprs = [t.get("expr", "").strip() for t in panel.get("targets", []) if not t.get("hide")]
        assert exprs, f"panel {panel['title']!r} has no query"
        assert all(exprs), f"panel {panel['title']!r} has an empty query"
        assert len({t["refId"] for t in panel["targets"]}) == len(panel["targets"]), panel["title"]


def test_metrics_and_labels_exist_in_the_catalog(
    dashboard: dict[str, Any], catalog: dict[str, frozenset[str]]
) -> None:
    problems = [
        f"{panel['title']}: {problem}"
        for panel in iter_panels(dashboard)
        for target in panel["targets"]
        for problem in unknown_references(target["expr"], catalog, target.get("legendFormat", ""))
    ]
    assert not problems, "\n".join(problems)


def test_every_selector_filters_by_the_dashboard_variables(catalog: dict[str, frozenset[str]]) -> None:
    problems: list[str] = []
    for title, expr in raw_dashboard_expressions():
        for selector in parse_promql(expr).selectors:
            assert selector.metric is not None, f"{title}: name every metric"
            labels = catalog[selector.metric]
            wanted = {label: var for var, label in FILTERS.items() if label in labels}
            if "cloud_account_id" not in labels:
                wanted["job"] = "job"  # the exporter's own series: filter by exporter
            for label, var in wanted.items():
                matcher = selector.matcher(label)
                if matcher is None or (matcher.op, matcher.value) != ("=~", f"${var}"):
                    problems.append(f'{title}: {selector.metric} lacks {label}=~"${var}"')
    assert not problems, "\n".join(problems)


def expected_unit(expr: str) -> str | None:
    """The unit a panel plotting ``expr`` must have, when it follows from the query."""
    metrics = parse_promql(expr).metrics
    if " / " in re.sub(r"/\s*\(?[\d\s*.eE+]+\)?", "", expr):  # a series over a series, not over a constant
        return "percentunit"
    if expr.startswith("count(") or len(metrics) != 1:
        return None
    metric = metrics.pop()
    if metric in MONEY:
        return "currency"
    if metric.endswith("_timestamp_seconds"):
        return "s" if re.search(r"time\(\)\s*-", expr) else "dateTime"  # time() minus it: an age
    if metric.endswith(("_bytes", "_bytes_total")):
        return "bytes"
    if metric.endswith("_seconds"):
        return "s"
    return None


def test_units_follow_the_metrics(dashboard: dict[str, Any]) -> None:
    problems: list[str] = []
    for panel in iter_panels(dashboard):
        if panel["type"] == "table":
            continue  # per-column units in overrides
        unit = panel["fieldConfig"]["defaults"].get("unit", "")
        for target in panel["targets"]:
            wanted = expected_unit(target["expr"])
            if wanted is not None and not unit.startswith(wanted):
                problems.append(f"{panel['title']}: unit {unit!r}, expected {wanted}…")
    assert not problems, "\n".join(problems)


def test_a_savings_plan_loss_shows_red(dashboard: dict[str, Any]) -> None:
    """OVH's savedAmount is negative when the plans cost more than they covered: the panel must say so."""
    [panel] = [
        p
        for p in iter_panels(dashboard)
        if any("ovh_cloud_savings_plan_saved{" in target["expr"] for target in p["targets"])
    ]
    steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
    below_zero = [step["color"] for step in steps if step["value"] is None or step["value"] <= -0.01]
    from_zero = [step["color"] for step in steps if step["value"] is None or step["value"] <= 0]
    assert below_zero[-1] == "red" and from_zero[-1] == "green", steps


def test_every_expression_is_valid_promql(tmp_path: Path) -> None:
    expressions = dashboard_expressions()
    assert len(expressions) >= 30
    assert all("$" not in expr for _, expr in expressions)
    output = check_expressions_with_promtool(expressions, tmp_path)
    assert f"SUCCESS: {len(expressions)} rules found" in output
