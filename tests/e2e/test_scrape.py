"""Scrape mode, end to end: simulated OVH API → ``otel-ovh serve`` → a real Prometheus → PromQL.

Expected figures come from the simulator's own answers, never from our parsers.
"""

from __future__ import annotations

import pytest

from otel_ovh.simulator import World
from tests.e2e import expected
from tests.e2e.conftest import ServeProcess
from tests.support.prometheus import PrometheusServer, promtool_check_metrics


def _by(result: list[dict[str, object]], label: str) -> dict[str, float]:
    return {r["metric"][label]: float(r["value"][1]) for r in result}  # type: ignore[index]


def test_cost_per_project_equals_ovh_total_to_the_cent(
    prometheus: PrometheusServer, frozen_world: World
) -> None:
    result = prometheus.wait_for(
        "sum by (cloud_account_id) (ovh_cloud_cost_total)", lambda r: len(r) == len(frozen_world.project_ids)
    )
    costs = _by(result, "cloud_account_id")
    checked = 0
    for pid in frozen_world.project_ids:
        total = expected.total_price(frozen_world, pid)
        if total is None:  # an older-shaped answer without OVH's own total
            continue
        assert round(costs[pid], 2) == pytest.approx(total, abs=0.005), pid
        checked += 1
    assert checked >= 3


def test_quota_usage_and_limit_per_region(prometheus: PrometheusServer, frozen_world: World) -> None:
    pid = frozen_world.project_ids[0]
    cores = expected.used_cores(frozen_world, pid)
    usage = _by(
        prometheus.wait_for(f'ovh_cloud_quota_usage{{cloud_account_id="{pid}", ovh_quota="cores"}}'),
        "cloud_region",
    )
    limit = _by(
        prometheus.query(f'ovh_cloud_quota_limit{{cloud_account_id="{pid}", ovh_quota="cores"}}'),
        "cloud_region",
    )
    busy = {region: pair for region, pair in cores.items() if region in usage}
    assert busy, (cores, usage)
    for region, (used, maximum) in busy.items():
        assert usage[region] == used and limit[region] == maximum, region
    saturation = prometheus.query(
        f'ovh_cloud_quota_usage{{cloud_account_id="{pid}"}}'
        f' / ovh_cloud_quota_limit{{cloud_account_id="{pid}"}}'
    )
    assert saturation and all(0 <= float(r["value"][1]) <= 1.5 for r in saturation)


def test_volume_sizes_in_bytes(prometheus: PrometheusServer, frozen_world: World) -> None:
    for pid in frozen_world.project_ids[:2]:
        sizes = expected.volume_sizes(frozen_world, pid)
        count = len(sizes)
        result = prometheus.wait_for(
            f'ovh_cloud_volume_size_bytes{{cloud_account_id="{pid}"}}', lambda r, n=count: len(r) == n
        )
        assert _by(result, "cloud_resource_id") == sizes


def test_storage_bytes_for_swift_and_s3(prometheus: PrometheusServer, frozen_world: World) -> None:
    pid = frozen_world.project_ids[0]
    stored = expected.storage_bytes(frozen_world, pid)
    result = prometheus.wait_for(
        f'ovh_cloud_storage_size_bytes{{cloud_account_id="{pid}"}}', lambda r: len(r) == len(stored)
    )
    assert _by(result, "cloud_resource_id") == stored
    kinds = {r["metric"]["ovh_storage_kind"] for r in result}
    assert kinds == {"swift", "s3"}


def test_instance_vcpus(prometheus: PrometheusServer, frozen_world: World) -> None:
    pid = frozen_world.project_ids[1]
    vcpus = expected.instance_vcpus(frozen_world, pid)
    result = prometheus.wait_for(
        f'ovh_cloud_instance_vcpus{{cloud_account_id="{pid}"}}', lambda r: len(r) == len(vcpus)
    )
    assert _by(result, "cloud_resource_id") == vcpus
    total = prometheus.query_value(f'sum(ovh_cloud_instance_vcpus{{cloud_account_id="{pid}"}})')
    assert total == sum(vcpus.values())


def test_idle_regions_add_no_quota_series(prometheus: PrometheusServer, frozen_world: World) -> None:
    pid = frozen_world.project_ids[0]
    idle = expected.idle_regions(frozen_world, pid)
    assert idle, "the simulated world should have a region where the project uses nothing"
    regions = _by(
        prometheus.wait_for(f'count by (cloud_region) (ovh_cloud_quota_limit{{cloud_account_id="{pid}"}})'),
        "cloud_region",
    )
    assert not idle & set(regions), idle & set(regions)
    assert regions  # the busy regions are there


def test_every_contract_metric_and_self_metrics_are_scraped(prometheus: PrometheusServer) -> None:
    from otel_ovh.export.catalog import CATALOG

    names = {m.prometheus_name for m in CATALOG if not m.only_on_failure}
    result = prometheus.wait_for(
        'count by (__name__) ({job="otel-ovh"})', lambda r: names <= {x["metric"]["__name__"] for x in r}
    )
    scraped = {r["metric"]["__name__"] for r in result}
    assert names <= scraped, names - scraped
    assert not {m.prometheus_name for m in CATALOG if m.only_on_failure} & scraped, "a healthy run failed"
    assert {
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_start_time_seconds",
        "process_open_fds",
        "python_gc_collections_total",
    } <= scraped
    assert "otel_metric_overflow" not in str(result)
    assert prometheus.query_value("min(otel_ovh_collection_success)") == 1
    ok_calls = prometheus.query_value('sum(otel_ovh_api_requests_total{http_response_status_code="200"})')
    assert ok_calls > 0


def test_exposition_passes_promtool(serve: ServeProcess) -> None:
    ok, output = promtool_check_metrics(serve.get("/metrics").decode())
    assert ok, output


def test_probe_returns_one_project_only(serve: ServeProcess, frozen_world: World) -> None:
    pid = frozen_world.project_ids[2]
    body = serve.get(f"/probe?target={pid}").decode()
    series = [line for line in body.splitlines() if line and not line.startswith("#")]
    assert series and all(f'cloud_account_id="{pid}"' in line for line in series)
    ok, output = promtool_check_metrics(body)
    assert ok, output


def test_credits_left_granted_and_expiry(prometheus: PrometheusServer, frozen_world: World) -> None:
    from datetime import datetime

    checked = 0
    for pid in frozen_world.project_ids:
        bodies = expected.credits(frozen_world, pid)
        selector = f'{{cloud_account_id="{pid}"}}'
        available = _by(prometheus.query(f"ovh_cloud_credit_available{selector}"), "ovh_credit_id")
        granted = _by(prometheus.query(f"ovh_cloud_credit_granted{selector}"), "ovh_credit_id")
        expiry = _by(
            prometheus.query(f"ovh_cloud_credit_expiry_timestamp_seconds{selector}"), "ovh_credit_id"
        )
        assert set(available) == set(granted) == set(bodies), pid  # a project without credits: no series
        for credit_id, body in bodies.items():
            assert available[credit_id] == body["available_credit"]["value"]
            assert granted[credit_id] == body["total_credit"]["value"]
            end = (body["validity"] or {}).get("to")
            if end is None:
                assert credit_id not in expiry  # no end date: no series, rather than a made-up one
            else:
                assert expiry[credit_id] == datetime.fromisoformat(end).timestamp()
            checked += 1
    assert checked >= 4


def _labels(result: list[dict[str, object]], *names: str) -> dict[str, tuple[str, ...]]:
    return {
        r["metric"]["cloud_resource_id"]: tuple(r["metric"][n] for n in names)  # type: ignore[index]
        for r in result
    }


def test_floating_ips_gateways_and_load_balancers(prometheus: PrometheusServer, frozen_world: World) -> None:
    prometheus.wait_for("ovh_cloud_floating_ip_info")
    counts = {"floatingip": 0, "gateway": 0, "loadbalancing/loadbalancer": 0}
    for pid in frozen_world.project_ids:
        served = expected.network(frozen_world, pid)
        selector = f'{{cloud_account_id="{pid}"}}'
        ips = _labels(
            prometheus.query(f"ovh_cloud_floating_ip_info{selector}"), "cloud_region", "ovh_attached"
        )
        assert ips == {
            i["id"]: (i["region"], "false" if i["associatedEntity"] is None else "true")
            for i in served["floatingip"]
        }, pid
        gateways = _labels(
            prometheus.query(f"ovh_cloud_gateway_info{selector}"),
            "ovh_resource_name",
            "ovh_sku",
            "ovh_status",
        )
        assert gateways == {
            g["id"]: (g["name"], g["model"], g["status"].lower()) for g in served["gateway"]
        }, pid
        balancers = _labels(
            prometheus.query(f"ovh_cloud_loadbalancer_info{selector}"), "ovh_status", "ovh_operating_status"
        )
        lbs = served["loadbalancing/loadbalancer"]
        assert balancers == {
            b["id"]: (b["provisioningStatus"].lower(), b["operatingStatus"].lower()) for b in lbs
        }, pid
        for kind, items in served.items():
            counts[kind] += len(items)
    assert all(counts.values()), counts


def test_forecast_usable_credits(prometheus: PrometheusServer, frozen_world: World) -> None:
    usable = _by(prometheus.wait_for("ovh_cloud_cost_forecast_usable_credits"), "cloud_account_id")
    offered = {
        pid: body["usableCredits"]["totalCredit"]
        for pid in frozen_world.project_ids
        if (body := frozen_world.body(expected.project_path(pid, "/usage/forecast"))).get("usableCredits")
    }
    assert offered and usable == offered  # projects without usable credit have no series


def test_spend_threshold_is_ovh_own_alert_threshold(
    prometheus: PrometheusServer, frozen_world: World
) -> None:
    result = prometheus.wait_for("ovh_cloud_spend_threshold")
    served = {r["metric"]["cloud_account_id"]: r for r in result}  # type: ignore[index]
    wanted = {pid: expected.spend_threshold(frozen_world, pid) for pid in frozen_world.project_ids}
    assert set(served) == {pid for pid, threshold in wanted.items() if threshold is not None}
    assert len(served) >= 2 and len(served) < len(wanted)  # some projects have no alerting: no series
    for pid, series in served.items():
        amount, currency = wanted[pid] or (None, None)
        assert float(series["value"][1]) == amount, pid  # type: ignore[index]
        assert series["metric"]["ovh_currency"] == currency, pid  # type: ignore[index]


def test_savings_plans_size_end_cost_saved_and_over_quota(
    prometheus: PrometheusServer, frozen_world: World
) -> None:
    from datetime import datetime

    planned = 0
    prometheus.wait_for("ovh_cloud_savings_plan_size")
    for pid in frozen_world.project_ids:
        flavors = expected.savings_plans(frozen_world, pid)
        selector = f'{{cloud_account_id="{pid}"}}'

        def per(metric: str, label: str, selector: str = selector) -> dict[str, float]:
            return _by(prometheus.query(f"ovh_cloud_savings_plan_{metric}{selector}"), label)

        subscriptions = {s["id"]: s for f in flavors for s in f["subscriptions"]}
        size, end = per("size", "ovh_savings_plan_id"), per("end_timestamp_seconds", "ovh_savings_plan_id")
        assert set(size) == set(end) == set(subscriptions), pid  # a project without plans: no series
        for plan_id, sub in subscriptions.items():
            assert size[plan_id] == sub["size"]
            assert end[plan_id] == datetime.fromisoformat(sub["end"]).timestamp()
        cost, saved = per("cost_total", "ovh_sku"), per("saved", "ovh_sku")
        over = per("over_quota", "ovh_sku")
        used, covered = per("utilization_ratio", "ovh_sku"), per("coverage_ratio", "ovh_sku")
        assert set(cost) == set(saved) == set(over) == {f["flavor"] for f in flavors}
        for flavor in flavors:
            fees = flavor["fees"]
            assert cost[flavor["flavor"]] == fees["totalPrice"]["value"]
            assert saved[flavor["flavor"]] == fees["savedAmount"]["value"]  # signed, as OVH sends it
            assert over[flavor["flavor"]] == fees["overQuota"]["quantity"]
            if flavor["periods"]:
                latest = max(flavor["periods"], key=lambda p: datetime.fromisoformat(p["begin"]))
                percent = {key: float(latest[key].rstrip("%")) / 100 for key in ("utilization", "coverage")}
                assert (used[flavor["flavor"]], covered[flavor["flavor"]]) == pytest.approx(
                    (percent["utilization"], percent["coverage"])
                )
        planned += bool(flavors)
    assert planned >= 2


def test_volume_attachments_and_idle_volumes(prometheus: PrometheusServer, frozen_world: World) -> None:
    prometheus.wait_for("ovh_cloud_volume_attachments")
    idle = 0
    for pid in frozen_world.project_ids:
        served = {
            v["id"]: len(v["attachedTo"]) for v in frozen_world.body(expected.project_path(pid, "/volume"))
        }
        result = prometheus.query(f'ovh_cloud_volume_attachments{{cloud_account_id="{pid}"}}')
        assert _by(result, "cloud_resource_id") == served, pid
        idle += sum(1 for count in served.values() if count == 0)
    assert idle


def test_idle_spend_is_the_idle_volumes_and_floating_ips_lines(
    prometheus: PrometheusServer, frozen_world: World
) -> None:
    wanted = {pid: expected.idle_spend(frozen_world, pid) for pid in frozen_world.project_ids}
    spending = {pid for pid, amount in wanted.items() if amount}
    result = prometheus.wait_for("ovh_cloud_idle_spend", lambda r: len(r) >= len(spending), timeout=30)
    recorded = _by(result, "cloud_account_id")
    assert len(spending) >= 2 and set(recorded) <= set(wanted)
    for pid, amount in wanted.items():
        assert recorded.get(pid, 0.0) == pytest.approx(amount, abs=0.005), pid


COST_PER_NODEPOOL = (
    "sum by (k8s_cluster_name, ovh_kube_nodepool_name) (ovh_cloud_cost_total{{{sel}}}"
    " * on (cloud_account_id, cloud_resource_id) group_left (k8s_cluster_name, ovh_kube_nodepool_name)"
    " ovh_cloud_kube_node_info{{{sel}}})"
)


def test_kube_clusters_nodepools_and_etcd(prometheus: PrometheusServer, frozen_world: World) -> None:
    prometheus.wait_for("ovh_cloud_kube_cluster_info")
    seen = 0
    for pid in frozen_world.project_ids:
        clusters = expected.kube_clusters(frozen_world, pid)
        selector = f'{{cloud_account_id="{pid}"}}'
        info = {
            r["metric"]["k8s_cluster_uid"]: r["metric"]
            for r in prometheus.query(f"ovh_cloud_kube_cluster_info{selector}")
        }
        assert set(info) == set(clusters), pid  # a project without clusters: no series
        usage = _by(prometheus.query(f"ovh_cloud_kube_etcd_usage_bytes{selector}"), "k8s_cluster_uid")
        quota = _by(prometheus.query(f"ovh_cloud_kube_etcd_quota_bytes{selector}"), "k8s_cluster_uid")
        nodes = {
            (
                r["metric"]["k8s_cluster_uid"],
                r["metric"]["ovh_kube_nodepool_name"],
                r["metric"]["ovh_kube_nodes_state"],
            ): float(r["value"][1])
            for r in prometheus.query(f"ovh_cloud_kube_nodepool_nodes{selector}")
        }
        for kube_id, body in clusters.items():
            labels = info[kube_id]
            assert (labels["k8s_cluster_name"], labels["cloud_region"], labels["ovh_status"]) == (
                body["name"],
                body["region"],
                body["status"].lower(),
            )
            assert (labels["ovh_plan"], labels["ovh_version"]) == (body["plan"], body["version"])
            assert (usage[kube_id], quota[kube_id]) == (body["etcd"]["usage"], body["etcd"]["quota"])
            for pool in body["pools"]:
                for state, field in (
                    ("current", "currentNodes"),
                    ("desired", "desiredNodes"),
                    ("available", "availableNodes"),
                    ("up_to_date", "upToDateNodes"),
                    ("min", "minNodes"),
                    ("max", "maxNodes"),
                ):
                    assert nodes[(kube_id, pool["name"], state)] == pool[field]
            seen += 1
    assert seen >= 2


def test_cost_per_cluster_and_nodepool_includes_deleted_nodes(
    prometheus: PrometheusServer, frozen_world: World
) -> None:
    from datetime import datetime

    from otel_ovh.simulator.timeutil import month_start

    start = month_start(frozen_world.now())
    deleted = 0
    prometheus.wait_for("ovh_cloud_kube_node_info")
    for pid in frozen_world.project_ids:
        want = expected.kube_cost_cents(frozen_world, pid)
        sel = f'cloud_account_id="{pid}"'
        got = {
            (r["metric"]["k8s_cluster_name"], r["metric"]["ovh_kube_nodepool_name"]): round(
                float(r["value"][1]) * 100
            )
            for r in prometheus.query(COST_PER_NODEPOOL.format(sel=sel))
        }
        assert got == {key: cents for key, cents in want.items() if cents}, pid
        per_cluster = _by(
            prometheus.query(f"sum by (k8s_cluster_name) ({COST_PER_NODEPOOL.format(sel=sel)})"),
            "k8s_cluster_name",
        )
        for name in {name for name, _ in want}:
            assert round(per_cluster.get(name, 0.0) * 100) == sum(
                c for (n, _), c in want.items() if n == name
            )
        node_info = {
            r["metric"]["cloud_resource_id"]: r["metric"]
            for r in prometheus.query(f"ovh_cloud_kube_node_info{{{sel}}}")
        }
        for cluster in expected.kube_clusters(frozen_world, pid).values():
            for pool in cluster["pools"]:
                for node in pool["nodes"]:
                    gone = node["deletedAt"]
                    if gone is None:
                        assert node["instanceId"] in node_info
                    elif datetime.fromisoformat(gone).timestamp() >= start:
                        assert node_info[node["instanceId"]]["ovh_status"] == "deleted"
                        deleted += 1
                    else:
                        assert node["instanceId"] not in node_info  # deleted before the period: no cost left
    assert deleted >= 1
