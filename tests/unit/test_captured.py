"""Every family's parser on the bodies captured from OVH's API and its public clients
(``tests/data/captured/``, sources in its README). The figures are worked out by hand from each body,
in the comment beside them, never copied from what the parser printed."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from otel_ovh.families import budget, credits, kube, network, project, quota, savings_plans, storage, volumes
from otel_ovh.families.usage import parse_usage
from otel_ovh.ovh.fields import Problems

CAPTURED = Path(__file__).resolve().parents[1] / "data" / "captured"
GIB = 2**30
MIB = 2**20


def body(name: str) -> Any:
    return json.loads((CAPTURED / f"{name}.json").read_text(encoding="utf-8"))


def test_the_readme_names_the_source_of_every_captured_body() -> None:
    readme = (CAPTURED / "README.md").read_text(encoding="utf-8")
    files = sorted(path.name for path in CAPTURED.glob("*.json"))
    assert files and all(f"`{name}`" in readme for name in files)


def test_kube_etcd_usage_is_bytes() -> None:
    usage, limit = kube.parse_etcd(body("kube-metrics-etcdUsage-ovhdocs-etcd-quota-error"), Problems(), "k")
    assert (usage, limit) == (2_604_349, 85 * MIB)  # 89128960 is exactly 85 MiB


def test_kube_cluster_list_detail_and_pools() -> None:
    problems = Problems()
    assert len(kube.parse_cluster_ids(body("kube-list-ovhdocs-managing-nodes-with-API"), problems)) == 5
    cluster = kube.parse_cluster(body("kube-id-ovhdocs-managing-nodes-with-API"), problems, "k")
    assert (cluster.region, cluster.name, cluster.version) == ("GRA5", "my_kube_cluster", "1.25.4-1")
    assert (cluster.status, cluster.plan) == ("ready", "")  # READY, lower-case; no plan in 2023
    assert not problems, problems.messages
    assert kube.parse_cluster(body("kube-id-ovhcloud-cli-test"), problems, "k").plan == "free"
    # Two pools (their ids are redacted alike in the capture); counters are integers.
    pools = kube.parse_nodepools(body("kube-nodepool-list-ovhdocs-managing-nodes-with-API"), problems, "k")
    assert [(p.flavor, p.nodes) for p in pools] == [
        ("b2-7", {"current": 1, "desired": 1, "available": 1, "up_to_date": 0, "min": 0, "max": 100}),
        ("b2-7", {"current": 0, "desired": 0, "available": 0, "up_to_date": 0, "min": 0, "max": 100}),
    ]
    assert not problems, problems.messages


def test_kube_nodes() -> None:
    problems = Problems()
    nodes = kube.parse_nodes(body("kube-nodepool-nodes-ovhmanager-nodes-spec"), problems, "n", since=0.0)
    assert [(n.name, n.instance_id, n.status, n.deleted) for n in nodes] == [
        ("Node 1", "instance1", "ready", None)
    ]
    assert not problems, problems.messages


def test_volumes() -> None:
    problems = Problems()
    found = volumes.parse_volumes(body("volume-list-ovhmanager-VolumeList-spec"), problems)
    assert [(v.id, v.status, v.type, v.size_bytes, v.attachments) for v in found] == [
        ("volume-1", "in-use", "high-speed-gen2", 10 * GIB, 1),  # size 10: GiB ("Gio")
        ("volume-2", "error", "high-speed", 10 * GIB, 1),
        ("volume-3", "error", "high-speed", 10 * GIB, 1),
    ]
    assert not problems, problems.messages


def test_quota() -> None:
    problems = Problems()
    found = {
        q.quota: (q.limit, q.usage)
        for q in quota.parse_quotas(body("quota-ovhmanager-pci-quota-spec"), problems)
    }
    assert found["instances"] == (5, 1) and found["cores"] == (10, 2)
    assert found["ram_bytes"] == (2048 * MIB, 512 * MIB)  # maxRam, usedRAM in MB
    assert found["volume_bytes"] == (500 * GIB, 200 * GIB)
    assert found["floating_ips"] == (5, 1) and found["gateways"] == (2, 1)
    assert found["load_balancers"] == (2, 1)
    assert not problems, problems.messages


def test_network_statuses_come_lower_case_whatever_case_ovh_sends() -> None:
    problems = Problems()
    cli = network.parse_gateways(body("region-gateway-list-ovhcloud-cli-network-test"), problems, "BHS5")
    manager = network.parse_gateways(
        body("region-gateway-list-ovhmanager-pci-load-balancer-gateways-spec"), problems, "r"
    )
    assert [(g.name, g.model, g.region, g.status) for g in cli] == [("TestFromTheCLI", "s", "BHS5", "active")]
    assert [(g.id, g.status) for g in manager] == [("gateway-1", "active")]  # sent as ACTIVE
    # The manager's aggregated list wraps the items of region/{r}/loadbalancing/loadbalancer in resources.
    aggregated = body("aggregated-loadbalancer-ovhmanager-pci-load-balancer-mocks")["resources"]
    [lb] = network.parse_load_balancers(aggregated, problems, "r")
    assert (lb.name, lb.status, lb.operating_status) == ("mockLoadBalancer1", "active", "online")
    assert not problems, problems.messages


def test_a_floating_ip_whose_entity_is_text_is_reported_not_guessed() -> None:
    """The schema has ``associatedEntity`` as an object; this hand-written mock has a string."""
    problems = Problems()
    ips = network.parse_floating_ips(
        body("region-floatingip-list-ovhmanager-pci-load-balancer-floating-ips-spec"), problems, "r"
    )
    assert [(ip.id, ip.status) for ip in ips] == [("id1", "active"), ("id2", "inactive")]
    assert len(problems.messages) == 2


def test_object_storage() -> None:
    problems = Problems()
    [swift] = storage.parse_swift_containers(body("storage-swift-list-ovh-mks-exporter-test"), problems)
    assert (swift.name, swift.region, swift.size_bytes, swift.objects) == ("container1", "GRA", 1024, 10)
    bucket = body("region-storage-s3-container-id-ovhcloud-cli-storage-s3-test")
    [s3] = storage.parse_s3_buckets([bucket], problems, "BHS")  # the list holds such items
    assert (s3.name, s3.kind, s3.size_bytes, s3.objects) == ("fakeContainer", "s3", 4_147_089, 15)
    assert storage._offers_storage(body("region-id-with-s3-services-ovhcloud-cli-storage-s3-test"))
    assert not problems, problems.messages


def test_project() -> None:
    cli = project.parse_project(body("cloud-project-id-ovhcloud-cli-project-test"), Problems(), "p")
    # The name a project is given in the control panel is its description; the id is snake_case here.
    assert (cli.project_id, cli.name, cli.status, cli.plan_code) == (
        "project-123",
        "Production cloud project",
        "ok",
        "",
    )
    mock = body("cloud-project-id-ovhmanager-pci-savings-plan-_mock_-pciProject")
    assert project.parse_project(mock, Problems(), "1234").plan_code == "project.2018"


def test_credit_with_snake_case_amounts_and_empty_values() -> None:
    problems = Problems()
    credit = credits.parse_credit(body("credit-id-SHAPE-ovhmanager-pci-vouchers-spec"), problems, "0")
    assert (credit.available, credit.granted, credit.currency) == (0, 0, None)  # currencyCode ""
    assert credit.expires is None and len(problems.messages) == 1  # validity.to "" is no date


def test_spend_alert() -> None:
    alert = budget.parse_alert(body("alerting-id-ovhmanager-pci-billing-Alerts-spec"), Problems(), "id")
    assert (alert.threshold, alert.currency) == (41, "eur")  # the number, not the formatted 6000


def test_savings_plans_as_ovh_reports_them() -> None:
    problems = Problems()
    plans = savings_plans.parse_plans(
        body("usage-plans-ovhmanager-pci-savings-plan-__mocks__-savingsPlanConsumption"), problems
    )
    assert not problems, problems.messages
    sizes: dict[str, float] = {}
    for s in plans.subscriptions:
        sizes[s.flavor] = sizes.get(s.flavor, 0) + (s.size or 0)
    assert sizes == {"b3-16": 1 + 8 + 1 + 1 + 1, "b3-32": 2}  # 12: the cumulPlanSize of b3-16's periods
    fees = {f.flavor: f for f in plans.fees}
    b3_16, b3_32 = fees["b3-16"], fees["b3-32"]
    assert b3_16.cost == pytest.approx(552.499133) and b3_16.saved == pytest.approx(-549.151133)
    assert b3_16.over_quota == 0  # overQuota.totalPrice has no value when zero: not read, no problem
    # The latest of b3-16's three periods begins 2025-04-02T11:33:03.906Z: 0% used, 100% covered.
    assert (b3_16.utilization, b3_16.coverage) == (0.0, 1.0)
    # b3-32: a plan nothing used saves minus its whole fee; no overQuota key at all.
    assert b3_32.cost == pytest.approx(175.540266) and b3_32.saved == pytest.approx(-175.540266)
    assert b3_32.over_quota is None and (b3_32.utilization, b3_32.coverage) == (0.0, 1.0)
    assert {f.currency for f in plans.fees} == {"EUR"}


def _usage_body() -> Any:
    """The skeleton of usage/current with the captured rows of its hourly sections in place."""
    whole = copy.deepcopy(
        body("usage-current-skeleton-with-localdisk-ovhmanager-useConsumption-localDisk-spec")
    )
    hourly = whole["hourlyUsage"]
    hourly["snapshot"] = body("usage-current-hourlyUsage.snapshot-ovhmanager-SnapshotList-spec")
    hourly["storage"] = body("usage-current-hourlyUsage.storage-ovhmanager-ObjectStorageList-spec")
    hourly["instanceBandwidth"] = body(
        "usage-current-hourlyUsage.instanceBandwidth-ovhmanager-OutgoingTrafficList-spec"
    )
    return whole


def test_usage_current_from_the_captured_rows() -> None:
    problems = Problems()
    usage = parse_usage(_usage_body(), problems)
    by_service: dict[str, float] = {}
    for charge in usage.charges:
        by_service[charge.service] = by_service.get(charge.service, 0.0) + charge.price
    # instance rows 3.2 (b3-16) + 6.4 (its local disk, in GiBh); the snapshot row 0.03, rounded to the
    # cent above its part (0.0297): the row is what OVH bills, so its sum is 0.03, not 0.0297.
    assert by_service["instance"] == pytest.approx(3.2 + 6.4)
    assert by_service["snapshot"] == pytest.approx(0.03)
    assert by_service.get("storage", 0) == 0 and by_service.get("instance_bandwidth", 0) == 0
    assert (usage.total, usage.currency) == (0, "EUR")  # the skeleton's own (hand-written) total
    assert usage.period_start is None  # period.from is "" in the skeleton
    stored = [c.value for c in usage.consumption if c.unit == "byte_seconds" and c.service == "storage"]
    assert sum(stored) == pytest.approx(0.0131933335214853 * GIB * 3600)  # GiBh of "banner-changing-page"
    transmit = {t.region: t.bytes for t in usage.transfers if t.service == "instance_bandwidth"}
    assert transmit == pytest.approx({"SGP1": 7.33 * GIB, "AP-SOUTH-MUM-1": 1 * GIB, "SYD1": 4.09 * GIB})
    internal_in = [t.bytes for t in usage.transfers if (t.direction, t.scope) == ("receive", "internal")]
    assert sum(internal_in) == pytest.approx(0.0014659259468317 * GIB)
    assert [m for m in problems.messages if "retrievalFees" in m] == []  # totalPrice as {value} is money


def test_usage_history_with_an_unreadable_period_is_dropped() -> None:
    """The manager's mock writes the period in HTTP-date form, which is not OVH's ISO-8601: dropped."""
    listed = body("usage-history-list-item-ovhmanager-useConsumption-spec")
    fields = [item for item in listed if isinstance(item, dict)]
    assert [item["id"] for item in fields] == ["periodId"]
    problems = Problems()
    from otel_ovh.ovh.fields import Fields

    period = Fields(fields[0], "usage/history", problems).obj("period")
    assert period is not None and period.timestamp("from") is None and len(problems.messages) == 1
