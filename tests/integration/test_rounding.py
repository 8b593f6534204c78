"""Counters hold their promise when OVH rounds: a line's ``totalPrice`` a cent off the sum of its details.

OVH rounds a line's total and each detail on its own, so the difference moves by a cent either way from
one refresh to the next. Through the real ``ovh`` client, the hostile stand-in and the served
``/metrics``, every ``_total`` series of the project must stay non-negative and never go down within
the billing period, while the project's cost still adds up to OVH's own total to the cent.
"""

from __future__ import annotations

import copy
from typing import Any

import requests
from prometheus_client.parser import text_string_to_metric_families

from otel_ovh.simulator import SimulatedOvh
from tests.integration.conftest import ExporterFactory
from tests.support.hostile_ovh import HostileOvh, Rule

# Per refresh: how far OVH's rounded line total is from the sum of its rounded details.
DRIFTS = (-0.01, 0.01, 0.0, -0.01, 0.01, -0.01, 0.01)


def _price(value: float) -> dict[str, Any]:
    return {
        "currencyCode": "EUR",
        "priceInUcents": round(value * 1e8),
        "text": f"{value:.2f} €",
        "value": value,
    }


class Rounding:
    """Rewrites ``usage/current``: its first instance line grows each refresh and drifts by a cent."""

    def __init__(self) -> None:
        self.step = -1
        self.totals: list[float] = []

    def __call__(self, body: dict[str, Any]) -> dict[str, Any]:
        self.step += 1
        body = copy.deepcopy(body)
        line = body["hourlyUsage"]["instance"][0]
        # One detail that keeps running (the largest), one that grows slowly, one stopped (constant).
        amounts = (20.0 + 0.5 * self.step, 5.0 + 0.03 * self.step, 0.4)
        details = []
        for index, amount in enumerate(amounts):
            detail = copy.deepcopy(line["details"][0])
            detail["instanceId"] = detail["resourceId"] = f"00000000-0000-4000-8000-00000000000{index}"
            detail["totalPrice"] = round(amount, 2)
            details.append(detail)
        drift = DRIFTS[self.step % len(DRIFTS)]
        old_line = line["totalPrice"]
        line["details"] = details
        line["totalPrice"] = round(sum(d["totalPrice"] for d in details) + drift, 2)
        total = round(body["totalPrice"]["value"] - old_line + line["totalPrice"], 2)
        body["totalPrice"] = _price(total)
        self.totals.append(total)
        return body


def _totals(url: str, pid: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = requests.get(f"{url}/metrics", timeout=30).text
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.endswith("_total") and sample.labels.get("cloud_account_id") == pid:
                found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_a_line_a_cent_off_its_details_never_makes_a_counter_drop(
    sim: SimulatedOvh, hostile: HostileOvh, served: ExporterFactory
) -> None:
    pid = sim.world.project_ids[0]
    rounding = hostile.add(Rule(f"/cloud/project/{pid}/usage/current", rewrite=Rounding())).rewrite
    assert isinstance(rounding, Rounding)
    exporter = served()
    assert exporter.server is not None
    seen: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for _ in DRIFTS:
        exporter.refresher.refresh_once()
        now = _totals(exporter.server.url, pid)
        cost = sum(value for (name, _), value in now.items() if name == "ovh_cloud_cost_total")
        assert abs(cost - rounding.totals[-1]) < 0.005, (cost, rounding.totals[-1])
        for series, value in now.items():
            assert value >= 0, series
            assert value >= seen.get(series, 0.0) - 1e-9, (series, seen.get(series), value)
        assert set(seen) <= set(now), set(seen) - set(now)  # no series vanishes within the period
        seen = now
    assert rounding.step == len(DRIFTS) - 1
