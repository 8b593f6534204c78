"""``backfill`` through the real ``ovh`` client against the simulator: what it asks, and what it writes."""

from __future__ import annotations

from collections import defaultdict

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from otel_ovh.commands.backfill import backfill, target_labels
from otel_ovh.settings.config import SettingsError, parse_settings
from otel_ovh.simulator import Fault, SimulatedOvh, World
from tests.integration.conftest import settings_for

HISTORY = "/cloud/project/{serviceName}/usage/history"
DETAIL = "/cloud/project/{serviceName}/usage/history/{usageId}"


def _samples(text: bytes) -> dict[str, dict[tuple[tuple[str, str], ...], list[tuple[float, float]]]]:
    """metric -> series -> [(timestamp, value)], in the order written."""
    found: dict[str, dict[tuple[tuple[str, str], ...], list[tuple[float, float]]]] = defaultdict(dict)
    for family in text_string_to_metric_families(text.decode()):
        for sample in family.samples:
            key = tuple(sorted(sample.labels.items()))
            found[sample.name].setdefault(key, []).append((float(sample.timestamp), sample.value))
    return found


def test_two_points_per_closed_period_with_the_live_labels(sim: SimulatedOvh, world: World) -> None:
    settings = parse_settings(
        settings_for(sim, projects=[{"id": world.project_ids[0], "labels": {"team": "data"}}])
    )
    text = backfill(settings, 2, {"job": "otel-ovh"})
    assert text.endswith(b"# EOF\n")
    samples = _samples(text)
    assert {"ovh_cloud_cost_total", "ovh_cloud_usage_seconds_total", "ovh_cloud_transfer_bytes_total"} <= set(
        samples
    )
    for series in samples["ovh_cloud_cost_total"]:
        labels = dict(series)
        assert labels["job"] == "otel-ovh" and labels["team"] == "data" and labels["ovh_currency"] == "EUR"
        assert all(value != "" for value in labels.values())  # an empty value is no label to Prometheus
    for points in samples["ovh_cloud_cost_total"].values():
        times = [t for t, _ in points]
        assert times == sorted(times) and len(set(times)) == len(times)
        assert len(points) % 2 == 0 and all(points[i][1] == 0.0 for i in range(0, len(points), 2))
    calls = sim.call_count(route=DETAIL)
    assert calls == 2 and sim.call_count(route=HISTORY) == 1  # one listing, then only the periods written


def test_each_period_sums_to_its_total(sim: SimulatedOvh, world: World) -> None:
    settings = parse_settings(settings_for(sim))
    samples = _samples(backfill(settings, 3, {}))["ovh_cloud_cost_total"]
    for pid in world.project_ids:
        ends: dict[float, float] = defaultdict(float)
        for series, points in samples.items():
            if dict(series)["cloud_account_id"] == pid:
                for (_, _), (end, value) in zip(points[::2], points[1::2], strict=True):
                    ends[end] += value
        listed = world.body(f"/cloud/project/{pid}/usage/history")[-3:]
        totals = [
            world.body(f"/cloud/project/{pid}/usage/history/{p['id']}").get("totalPrice") for p in listed
        ]
        if all(totals):
            assert [round(v, 2) for _, v in sorted(ends.items())] == [t["value"] for t in totals]


def test_a_family_left_out_makes_no_history_call_and_a_failing_project_costs_only_itself(
    sim: SimulatedOvh, world: World
) -> None:
    off = parse_settings(settings_for(sim, collect={"families": ["quota"]}))
    assert _samples(backfill(off, 12, {})) == {}
    assert sim.call_count(route=HISTORY) == 0
    broken, healthy = world.project_ids[0], world.project_ids[1]
    sim.faults.add(Fault(project=broken, path="usage/history", status=500, times=100))
    samples = _samples(backfill(parse_settings(settings_for(sim, collect={"retries": 0})), 1, {}))
    accounts = {dict(series)["cloud_account_id"] for series in samples["ovh_cloud_cost_total"]}
    assert healthy in accounts and broken not in accounts


def test_disabled_metrics_are_not_written(sim: SimulatedOvh) -> None:
    settings = parse_settings(
        settings_for(sim, telemetry={"disabled_metrics": ["ovh_cloud_transfer_bytes_total"]})
    )
    written = _samples(backfill(settings, 1, {}))
    assert "ovh_cloud_transfer_bytes_total" not in written and "ovh_cloud_cost_total" in written


def test_target_labels_must_be_name_value_pairs() -> None:
    assert target_labels(["job=otel-ovh", "instance=a:1"]) == {"job": "otel-ovh", "instance": "a:1"}
    for bad in ("job", "1x=2", "=v"):
        with pytest.raises(SettingsError, match="--label"):
            target_labels([bad])


def test_the_account_months_and_bills_with_the_live_names(sim: SimulatedOvh, world: World) -> None:
    """The account's closed months (``/me/consumption/usage/history``) as the live counter, 0 then each
    month's figure; each month's bills once, at its end; no project label, no bill secret."""
    from datetime import datetime

    settings = parse_settings(settings_for(sim, collect={"families": ["account"]}))
    text = backfill(settings, 3, {"job": "otel-ovh"})
    samples = _samples(text)
    assert sim.call_count(route="/me/consumption/usage/history") == 1
    assert sim.call_count(route="/me/consumption/usage/current") == 0  # history only
    names = {str(s): world.body(f"/services/{s}")["resource"]["name"] for s in world.body("/services")}
    ends: dict[tuple[str, float], float] = defaultdict(float)
    for series, points in samples["ovh_account_cost_total"].items():
        labels = dict(series)
        assert "cloud_account_id" not in labels and labels["job"] == "otel-ovh"
        assert labels["ovh_service_name"] == names[labels["ovh_service_id"]]
        assert [value for _, value in points[::2]] == [0.0] * (len(points) // 2)
        for _, (end, value) in zip(points[::2], points[1::2], strict=True):
            ends[(labels["ovh_service_id"], end)] += value
    every = {"beginDate": "2000-01-01T00:00:00+00:00", "endDate": "2100-01-01T00:00:00+00:00"}
    history = world.body("/me/consumption/usage/history", every)
    months = sorted({t["beginDate"] for t in history})[-3:]
    expected = {
        (str(t["serviceId"]), datetime.fromisoformat(t["endDate"]).timestamp() - 0.001): t["price"]["value"]
        for t in history
        if t["beginDate"] in months
    }
    assert {key: round(value, 2) for key, value in ends.items()} == expected
    first = datetime.fromisoformat(months[0]).isoformat()
    bills = {b: world.body(f"/me/bill/{b}") for b in world.body("/me/bill", {"date.from": first})}
    written = {dict(s)["ovh_bill_id"]: points for s, points in samples["ovh_account_bill_amount"].items()}
    last_end = max(end for _, end in expected)
    in_months = {
        b: body for b, body in bills.items() if datetime.fromisoformat(body["date"]).timestamp() < last_end
    }
    assert {b: [v for _, v in points] for b, points in written.items()} == {
        b: [body["priceWithoutTax"]["value"]] for b, body in in_months.items()
    }
    assert b"passwd" not in text and all(body["password"].encode() not in text for body in bills.values())
