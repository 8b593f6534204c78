"""The catalog is the single definition of the metric contract; these hold it to the contract written out
here, so that a change to a name or label is a change to this table too (and to CHANGELOG.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from otel_ovh.export import metrics_doc
from otel_ovh.export.catalog import CATALOG, COMMON_PROMETHEUS_LABELS, Kind

ROOT = Path(__file__).resolve().parents[2]

# The public contract: Prometheus name -> (kind, labels beyond the common ones).
_ACCOUNT_SERVICE = {"ovh_service_id", "ovh_service_name", "ovh_product"}
_ACCOUNT_DATES = {*_ACCOUNT_SERVICE, "ovh_renew_mode"}
_ACCOUNT_COST = {*_ACCOUNT_SERVICE, "ovh_plan_family", "ovh_currency"}
_ACCOUNT_BALANCE = {"ovh_credit_balance", "ovh_credit_type", "ovh_currency"}
CONTRACT: dict[str, tuple[Kind, set[str]]] = {
    "ovh_cloud_cost_total": (
        Kind.COUNTER,
        {"cloud_region", "ovh_service", "ovh_sku", "cloud_resource_id", "ovh_billing", "ovh_currency"},
    ),
    "ovh_cloud_usage_seconds_total": (
        Kind.COUNTER,
        {"cloud_region", "ovh_service", "ovh_sku", "cloud_resource_id", "ovh_billing"},
    ),
    "ovh_cloud_usage_byte_seconds_total": (
        Kind.COUNTER,
        {"cloud_region", "ovh_service", "ovh_sku", "cloud_resource_id", "ovh_billing"},
    ),
    "ovh_cloud_transfer_bytes_total": (
        Kind.COUNTER,
        {"cloud_region", "ovh_service", "cloud_resource_id", "network_io_direction", "ovh_network_scope"},
    ),
    "ovh_cloud_cost_forecast": (Kind.GAUGE, {"ovh_currency"}),
    "ovh_cloud_cost_forecast_usable_credits": (Kind.GAUGE, {"ovh_currency"}),
    "ovh_cloud_billing_period_start_timestamp_seconds": (Kind.GAUGE, set()),
    "ovh_cloud_quota_limit": (Kind.GAUGE, {"cloud_region", "ovh_quota"}),
    "ovh_cloud_quota_usage": (Kind.GAUGE, {"cloud_region", "ovh_quota"}),
    "ovh_cloud_instance_vcpus": (
        Kind.GAUGE,
        {"cloud_region", "cloud_resource_id", "ovh_resource_name", "ovh_sku", "ovh_status"},
    ),
    "ovh_cloud_instance_memory_bytes": (
        Kind.GAUGE,
        {"cloud_region", "cloud_resource_id", "ovh_resource_name", "ovh_sku", "ovh_status"},
    ),
    "ovh_cloud_volume_size_bytes": (
        Kind.GAUGE,
        {"cloud_region", "cloud_resource_id", "ovh_resource_name", "ovh_volume_type", "ovh_status"},
    ),
    "ovh_cloud_storage_size_bytes": (Kind.GAUGE, {"cloud_region", "cloud_resource_id", "ovh_storage_kind"}),
    "ovh_cloud_storage_objects": (Kind.GAUGE, {"cloud_region", "cloud_resource_id", "ovh_storage_kind"}),
    "ovh_cloud_project_info": (Kind.GAUGE, {"ovh_status", "ovh_plan"}),
    "ovh_cloud_credit_available": (Kind.GAUGE, {"ovh_credit_id", "ovh_currency"}),
    "ovh_cloud_credit_granted": (Kind.GAUGE, {"ovh_credit_id", "ovh_currency"}),
    "ovh_cloud_credit_expiry_timestamp_seconds": (Kind.GAUGE, {"ovh_credit_id"}),
    "ovh_cloud_spend_threshold": (Kind.GAUGE, {"ovh_currency"}),
    "ovh_cloud_savings_plan_size": (Kind.GAUGE, {"ovh_sku", "ovh_savings_plan_id"}),
    "ovh_cloud_savings_plan_end_timestamp_seconds": (Kind.GAUGE, {"ovh_sku", "ovh_savings_plan_id"}),
    "ovh_cloud_savings_plan_cost_total": (Kind.COUNTER, {"ovh_sku", "ovh_currency"}),
    "ovh_cloud_savings_plan_saved": (Kind.GAUGE, {"ovh_sku", "ovh_currency"}),  # signed: see CHANGELOG.md
    "ovh_cloud_savings_plan_over_quota": (Kind.GAUGE, {"ovh_sku"}),
    "ovh_cloud_savings_plan_utilization_ratio": (Kind.GAUGE, {"ovh_sku"}),
    "ovh_cloud_savings_plan_coverage_ratio": (Kind.GAUGE, {"ovh_sku"}),
    "ovh_cloud_volume_attachments": (Kind.GAUGE, {"cloud_region", "cloud_resource_id"}),
    "ovh_cloud_list_price": (Kind.GAUGE, {"ovh_sku", "ovh_billing", "ovh_currency"}),
    "ovh_cloud_cost_rate_per_hour": (Kind.GAUGE, {"ovh_currency"}),
    "ovh_cloud_advice_savings": (Kind.GAUGE, {"ovh_advice", "cloud_resource_id", "ovh_sku", "ovh_currency"}),
    "ovh_cloud_floating_ip_info": (
        Kind.GAUGE,
        {"cloud_region", "cloud_resource_id", "ovh_status", "ovh_attached"},
    ),
    "ovh_cloud_gateway_info": (
        Kind.GAUGE,
        {"cloud_region", "cloud_resource_id", "ovh_resource_name", "ovh_sku", "ovh_status"},
    ),
    "ovh_cloud_loadbalancer_info": (
        Kind.GAUGE,
        {"cloud_region", "cloud_resource_id", "ovh_resource_name", "ovh_status", "ovh_operating_status"},
    ),
    "ovh_cloud_kube_cluster_info": (
        Kind.GAUGE,
        {"k8s_cluster_uid", "k8s_cluster_name", "cloud_region", "ovh_status", "ovh_plan", "ovh_version"},
    ),
    "ovh_cloud_kube_nodepool_nodes": (
        Kind.GAUGE,
        {"k8s_cluster_uid", "ovh_kube_nodepool_name", "ovh_sku", "ovh_kube_nodes_state"},
    ),
    "ovh_cloud_kube_node_info": (
        Kind.GAUGE,
        {
            "cloud_resource_id",
            "k8s_cluster_uid",
            "k8s_cluster_name",
            "ovh_kube_nodepool_name",
            "k8s_node_name",
            "ovh_status",
        },
    ),
    "ovh_cloud_kube_etcd_usage_bytes": (Kind.GAUGE, {"k8s_cluster_uid"}),
    "ovh_cloud_kube_etcd_quota_bytes": (Kind.GAUGE, {"k8s_cluster_uid"}),
    # The whole account (issue 24): no project labels
    "ovh_account_cost_total": (Kind.COUNTER, _ACCOUNT_COST),
    "ovh_account_cost_forecast": (Kind.GAUGE, _ACCOUNT_COST),
    "ovh_account_service_expiry_timestamp_seconds": (Kind.GAUGE, _ACCOUNT_DATES),
    "ovh_account_service_next_billing_timestamp_seconds": (Kind.GAUGE, _ACCOUNT_DATES),
    "ovh_account_bill_amount": (Kind.GAUGE, {"ovh_bill_id", "ovh_bill_category", "ovh_currency"}),
    "ovh_account_bill_timestamp_seconds": (Kind.GAUGE, {"ovh_bill_id"}),
    "ovh_account_debt": (Kind.GAUGE, {"ovh_currency"}),
    "ovh_account_debt_pending": (Kind.GAUGE, {"ovh_currency"}),
    "ovh_account_credit_balance": (Kind.GAUGE, _ACCOUNT_BALANCE),
    "ovh_account_credit_expiring": (Kind.GAUGE, _ACCOUNT_BALANCE),
    "ovh_account_credit_expiry_timestamp_seconds": (Kind.GAUGE, {"ovh_credit_balance", "ovh_credit_type"}),
    "ovh_account_cost_gap": (Kind.GAUGE, {"ovh_currency"}),  # per project: its common labels too
    "otel_ovh_collection_success": (Kind.GAUGE, set()),
    "otel_ovh_account_collection_success": (Kind.GAUGE, {"otel_ovh_family"}),
    "otel_ovh_data_fetched_timestamp_seconds": (Kind.GAUGE, {"otel_ovh_family"}),
    "otel_ovh_data_due_timestamp_seconds": (Kind.GAUGE, {"otel_ovh_family"}),
    "otel_ovh_collection_duration_seconds": (Kind.GAUGE, set()),
    "otel_ovh_api_requests_total": (Kind.COUNTER, {"http_route", "http_response_status_code"}),
    "otel_ovh_api_failures_total": (Kind.COUNTER, {"http_route", "error_type"}),
    "otel_ovh_memory_limit_bytes": (Kind.GAUGE, set()),
    "otel_ovh_memory_estimate_bytes": (Kind.GAUGE, set()),
}


def test_catalog_matches_the_public_contract() -> None:
    assert {m.prometheus_name for m in CATALOG} == set(CONTRACT)
    for metric in CATALOG:
        kind, labels = CONTRACT[metric.prometheus_name]
        assert metric.kind is kind, metric.name
        extra = set(metric.prometheus_labels) - set(COMMON_PROMETHEUS_LABELS)
        assert extra == labels, metric.name
        common = set(metric.prometheus_labels) & set(COMMON_PROMETHEUS_LABELS)
        assert common == (set(COMMON_PROMETHEUS_LABELS) if metric.per_project else set()), metric.name


def test_units_avoid_the_ambiguous_dimensionless_one() -> None:
    # "1" becomes "_ratio" in the Collector's translator but nothing here: names would differ by path.
    assert all(metric.unit != "1" for metric in CATALOG)


def test_every_metric_has_a_description_and_a_source() -> None:
    for metric in CATALOG:
        assert metric.description.strip() and metric.source.strip(), metric.name
        sources = (
            metric.project_points,
            metric.account_points,
            metric.account_health,
            metric.exporter_points,
        )
        assert sum(source is not None for source in sources) == 1, metric.name


def test_metrics_doc_is_generated_from_the_catalog() -> None:
    committed = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert committed == metrics_doc.render(), (
        "docs/metrics.md is out of date: run `python -m otel_ovh.export.metrics_doc > docs/metrics.md`"
    )
    for metric in CATALOG:
        assert f"`{metric.prometheus_name}`" in committed


def test_metrics_doc_module_runs_as_a_script() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "otel_ovh.export.metrics_doc"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert result.stdout == metrics_doc.render()
