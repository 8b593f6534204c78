"""The Prometheus alerting rules: promtool-valid, unit-tested both ways, documented, on catalog metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.artifacts import (
    ALERTS_DOC,
    BUDGET_EXAMPLE,
    REPO,
    RULE_TESTS,
    RULES,
    check_expressions_with_promtool,
    load_rule_groups,
    markdown_anchors,
    metric_catalog,
    rule_expressions,
    run_promtool,
    unknown_references,
)

REQUIRED_ALERTS = {
    "OvhCloudQuotaHigh",
    "OvhCloudQuotaCritical",
    "OvhCloudForecastOverBudget",
    "OvhCloudSpendOverBudget",
    "OvhCloudSpendRateUnusual",
    "OvhCloudSavingsPlanEndingSoon",
    "OvhCloudSavingsPlanOverQuota",
    "OvhCloudSavingsPlanUnused",
    "OvhCloudSavingsPlanUnderused",
    "OvhCloudIdleSpendHigh",
    "OvhCloudKubeEtcdUsageHigh",
    "OvhCloudKubeEtcdUsageCritical",
    "OvhAccountServiceExpiringSoon",
    "OvhAccountDebt",
    "OvhAccountCreditsExpiringSoon",
    "OvhAccountCostViewsDisagree",
    "OtelOvhCollectionFailing",
    "OtelOvhDataStale",
    "OtelOvhExporterDown",
    "OtelOvhMetricsAbsent",
}


def alerts() -> list[dict[str, Any]]:
    return [rule for group in load_rule_groups(RULES) for rule in group["rules"] if "alert" in rule]


def unit_test_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in sorted(RULE_TESTS.glob("*.yml")):
        for test in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            cases += test.get("alert_rule_test", [])
    return cases


def test_promtool_check_rules() -> None:
    result = run_promtool("check", "rules", RULES, BUDGET_EXAMPLE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rule_expressions([RULES]))} rules found" in result.stdout


def test_promtool_unit_tests_pass() -> None:
    files = sorted(RULE_TESTS.glob("*.yml"))
    assert files, "no promtool unit tests in alerts/tests/"
    result = run_promtool("test", "rules", *(f.relative_to(REPO) for f in files))  # as documented
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(files), result.stdout


def test_every_alert_is_unit_tested_firing_and_not_firing() -> None:
    names = {rule["alert"] for rule in alerts()}
    assert names >= REQUIRED_ALERTS
    fired = {case["alertname"] for case in unit_test_cases() if case.get("exp_alerts")}
    silent = {case["alertname"] for case in unit_test_cases() if not case.get("exp_alerts")}
    assert names - fired == set(), "alerts never tested firing"
    assert names - silent == set(), "alerts never tested staying silent"


@pytest.mark.parametrize("rule", alerts(), ids=lambda rule: str(rule["alert"]))
def test_alert_is_documented(rule: dict[str, Any]) -> None:
    assert rule["labels"]["severity"] in {"warning", "critical"}
    annotations = rule["annotations"]
    assert set(annotations) >= {"summary", "description", "runbook_url"}
    path, _, anchor = annotations["runbook_url"].partition("#")
    assert path == "docs/alerts.md"
    assert anchor == rule["alert"].lower()
    assert anchor in markdown_anchors(ALERTS_DOC), f"docs/alerts.md has no section {rule['alert']}"


def test_rules_use_catalog_metrics_and_labels() -> None:
    catalog = metric_catalog()
    problems = [
        f"{name}: {problem}"
        for name, expr in rule_expressions()
        for problem in unknown_references(expr, catalog)
    ]
    assert not problems, "\n".join(problems)


def test_budget_example_follows_the_convention() -> None:
    rules = [rule for group in load_rule_groups(BUDGET_EXAMPLE) for rule in group["rules"]]
    assert [rule["record"] for rule in rules] == ["ovh_cloud_budget"]
    assert set(rules[0]["labels"]) >= {"cloud_account_id"}
    assert "budgets" in markdown_anchors(ALERTS_DOC)


def test_rule_expressions_helper(tmp_path: Path) -> None:
    expressions = rule_expressions()
    assert {name for name, _ in expressions} >= REQUIRED_ALERTS
    check_expressions_with_promtool(expressions, tmp_path)
