"""The price list failing, through the real ``ovh`` client against the simulator: the burn rate and the
advice are gone, said in one warning line, and nothing else moves."""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Any

import pytest

from otel_ovh.simulator import SimulatedOvh, World
from tests.integration.conftest import ExporterFactory, series

CATALOG_PATH = "order/catalog/public/cloud"  # faults match a public route as project "" and its path
PRICED = ("ovh_cloud_list_price", "ovh_cloud_cost_rate_per_hour", "ovh_cloud_advice_savings")


def _add_fault(sim: SimulatedOvh, fault: dict[str, Any]) -> None:
    """Through the simulator's control endpoint, as a demo would."""
    request = urllib.request.Request(f"{sim.root_url}/_sim/faults", json.dumps(fault).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert json.load(answer)["added"] == 1


def _clear_faults(sim: SimulatedOvh) -> None:
    with urllib.request.urlopen(
        urllib.request.Request(f"{sim.root_url}/_sim/faults", method="DELETE"), timeout=5
    ):
        pass


def _ovh_series(exposition: bytes) -> tuple[set[str], set[str]]:
    """(the series priced from the catalog, every other ``ovh_cloud_`` series)."""
    lines = {line for line in series(exposition) if line.startswith("ovh_cloud_")}
    priced = {line for line in lines if line.startswith(PRICED)}
    return priced, lines - priced


def test_a_failing_catalog_costs_the_advice_and_burn_rate_only(
    sim: SimulatedOvh, world: World, make_exporter: ExporterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    healthy = make_exporter(collect={"retries": 1})
    healthy.refresher.refresh_once()
    priced, others = _ovh_series(healthy.telemetry.render())
    assert {line.split("{")[0] for line in priced} == set(PRICED)  # the baseline has all three

    exporter = make_exporter(collect={"retries": 1})
    caplog.set_level(logging.DEBUG)
    _add_fault(sim, {"project": "", "path": CATALOG_PATH, "kind": "status", "status": 500})
    exporter.refresher.refresh_once()
    assert sim.call_count(route="/order/catalog/public/cloud", status=500) >= 1
    _clear_faults(sim)
    no_addons = {"catalogId": 1, "locale": {"currencyCode": "EUR"}, "plans": []}
    _add_fault(sim, {"project": "", "path": CATALOG_PATH, "kind": "body", "body": no_addons})
    exporter.refresher.refresh_once()
    _clear_faults(sim)

    exposition = exporter.telemetry.render()
    priced_now, others_now = _ovh_series(exposition)
    assert priced_now == set()
    assert others_now == others  # every other series, labels and value, as without the fault
    success = [line for line in series(exposition) if line.startswith("otel_ovh_collection_success")]
    assert len(success) == len(world.project_ids) and all(line.endswith(" 1.0") for line in success)
    assert 'otel_ovh_account_collection_success{otel_ovh_family="catalog"} 0.0' in series(exposition)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and warnings[0].startswith("catalog: "), warnings
    repeats = [r.getMessage() for r in caplog.records if r.getMessage().startswith("catalog: ")]
    assert len(repeats) == 2 and "addons" in repeats[1]  # the second outage cause, at DEBUG only
