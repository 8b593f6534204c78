"""Alerts that reach a person: the simulator → ``otel-ovh serve`` → a real Prometheus with the shipped
rules → a real Alertmanager → a webhook receiver of the test, which must get a quota alert and a budget
alert with their labels (project, region), summary and runbook link.

The rules are the shipped file with one change, made here: every ``for:`` is 0s, so that an alert
fires at its first evaluation instead of after the minutes it waits in production.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from tests.e2e import expected
from tests.e2e.conftest import ROOT, ServeProcess, start_serve, stop_serve
from tests.support.alertmanager import AlertmanagerServer, Webhook
from tests.support.prometheus import PrometheusServer, ScrapeJob


def _crowd_cores(world: World, pid: str) -> str:
    """Create instances in one region until its cores quota is over 80% used; returns the region."""
    cores = expected.used_cores(world, pid)
    region = max(cores, key=lambda r: cores[r][0] / cores[r][1] if cores[r][1] else 0)
    for _ in range(200):
        used, limit = expected.used_cores(world, pid)[region]
        if limit and used / limit > 0.85:
            return region
        world.create_instance(pid, region)
    raise AssertionError(f"could not fill the cores quota of {pid} in {region}")


def _immediate_rules(tmp: Path) -> Path:
    groups = yaml.safe_load((ROOT / "alerts" / "otel-ovh.rules.yml").read_text(encoding="utf-8"))
    for group in groups["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                rule["for"] = "0s"
    path = tmp / "otel-ovh.rules.yml"
    path.write_text(yaml.safe_dump(groups, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def delivery(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Webhook, str, str]]:
    now = time.time()
    world = World(seed=77, shape=WorldShape(projects=2), clock=lambda: now)
    pid = world.project_ids[0]
    region = _crowd_cores(world, pid)
    work = tmp_path_factory.mktemp("alerting")
    budgets = work / "budgets.yml"
    budgets.write_text(yaml.safe_dump({"groups": [{"name": "budgets", "rules": [
        {"record": "ovh_cloud_budget", "expr": "vector(1)", "labels": {"cloud_account_id": pid}},
    ]}]}))  # fmt: skip
    webhook = Webhook()
    alertmanager = AlertmanagerServer(webhook)
    sim = SimulatedOvh(world, host="127.0.0.1", port=0).start()
    serve: ServeProcess | None = None
    prometheus: PrometheusServer | None = None
    try:
        alertmanager.start()
        serve = start_serve(sim, work / "serve")
        prometheus = PrometheusServer(
            [ScrapeJob([f"127.0.0.1:{serve.port}"])],
            rule_files=[_immediate_rules(work), budgets],
            alertmanagers=[alertmanager.address],
        )
        prometheus.start()
        yield webhook, pid, region
    finally:
        for part in (prometheus, alertmanager):
            if part is not None:
                print(f"\n--- {part.name} log ---\n{part.log()}")
                part.stop()
        if serve is not None:
            stop_serve(serve)
        sim.stop()
        webhook.stop()


def _check_reaches_a_person(alert: dict[str, Any], pid: str) -> None:
    labels, annotations = alert["labels"], alert["annotations"]
    assert labels["cloud_account_id"] == pid and labels["ovh_project_name"]
    assert labels["severity"] in ("warning", "critical")
    assert annotations["summary"] and annotations["description"]
    name = labels["alertname"].lower()
    assert annotations["runbook_url"] == f"docs/alerts.md#{name}"
    assert f"#{name}" in (ROOT / "docs" / "alerts.md").read_text(encoding="utf-8").lower()


def test_a_quota_alert_arrives_with_project_region_summary_and_runbook(
    delivery: tuple[Webhook, str, str],
) -> None:
    webhook, pid, region = delivery
    alert = webhook.wait_for("OvhCloudQuotaHigh")
    _check_reaches_a_person(alert, pid)
    assert alert["labels"]["cloud_region"] == region and alert["labels"]["ovh_quota"] == "cores"
    assert region in alert["annotations"]["summary"]


def test_a_budget_alert_arrives_with_project_summary_and_runbook(
    delivery: tuple[Webhook, str, str],
) -> None:
    webhook, pid, _ = delivery
    alert = webhook.wait_for("OvhCloudForecastOverBudget")
    _check_reaches_a_person(alert, pid)
    assert alert["labels"]["ovh_project_name"] in alert["annotations"]["summary"]
