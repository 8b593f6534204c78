"""Kubernetes manifests (plain and sidecar) and the OpenTelemetry Collector configurations."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from otel_ovh.export.memory import pod_memory
from tests.artifacts import REPO, load_yaml_documents

K8S = REPO / "deploy" / "kubernetes"
SIDECAR = K8S / "sidecar"
COLLECTOR_CONFIG = REPO / "collector-config.yaml"
CREDENTIAL_VARIABLES = {
    "OTEL_OVH_OVH__APPLICATION_KEY",
    "OTEL_OVH_OVH__APPLICATION_SECRET",
    "OTEL_OVH_OVH__CONSUMER_KEY",
}

# The settings each Collector component used here really has (opentelemetry-collector-contrib docs),
# to catch typos and invented keys: the Collector refuses unknown keys at start-up.
COMPONENT_KEYS: dict[str, set[str]] = {
    "receivers/otlp": {"protocols"},
    "receivers/prometheus": {"config", "trim_metric_suffixes", "target_allocator", "api_server"},
    "processors/memory_limiter": {"check_interval", "limit_mib", "spike_limit_mib", "limit_percentage",
                                  "spike_limit_percentage"},
    "processors/batch": {"send_batch_size", "send_batch_max_size", "timeout", "metadata_keys",
                         "metadata_cardinality_limit"},
    "exporters/prometheus": {"endpoint", "tls", "const_labels", "namespace", "send_timestamps",
                             "metric_expiration", "enable_open_metrics", "add_metric_suffixes",
                             "resource_to_telemetry_conversion", "translation_strategy",
                             "without_scope_info"},
    "exporters/prometheusremotewrite": {"endpoint", "headers", "tls", "timeout", "namespace",
                                        "external_labels", "resource_to_telemetry_conversion",
                                        "remote_write_queue",
                                        "retry_on_failure", "target_info", "add_metric_suffixes",
                                        "send_metadata", "max_batch_size_bytes", "compression", "auth", "wal",
                                        "max_batch_request_parallelism", "protobuf_message"},
    "exporters/debug": {"verbosity", "sampling_initial", "sampling_thereafter"},
    "extensions/health_check": {"endpoint", "path", "response_body", "check_collector_pipeline", "tls"},
}


def manifests(directory: Path) -> list[dict[str, Any]]:
    return [doc for path in sorted(directory.glob("*.yaml")) for doc in load_yaml_documents(path)]


def one(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [d for d in docs if d.get("kind") == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def pod_spec(deployment: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = deployment["spec"]["template"]["spec"]
    return spec


def container(deployment: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in pod_spec(deployment)["containers"] if c["name"] == name)


def env_values(c: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in c.get("env", []) if "value" in e}


def secret_refs(c: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """env name → (Secret name, key)."""
    return {
        e["name"]: (e["valueFrom"]["secretKeyRef"]["name"], e["valueFrom"]["secretKeyRef"]["key"])
        for e in c.get("env", [])
        if "secretKeyRef" in e.get("valueFrom", {})
    }


def mounted_file(deployment: dict[str, Any], c: dict[str, Any], path: str, docs: list[dict[str, Any]]) -> str:
    """The text of the ConfigMap key the container sees at ``path``."""
    for mount in c["volumeMounts"]:
        prefix = mount["mountPath"].rstrip("/") + "/"
        if path.startswith(prefix):
            volume = next(v for v in pod_spec(deployment)["volumes"] if v["name"] == mount["name"])
            config_map = one(docs, "ConfigMap", volume["configMap"]["name"])
            text: str = config_map["data"][path.removeprefix(prefix)]
            return text
    raise AssertionError(f"nothing is mounted at {path}")


def container_ports(c: dict[str, Any]) -> dict[str, int]:
    return {p.get("name", str(p["containerPort"])): p["containerPort"] for p in c.get("ports", [])}


@pytest.fixture(scope="module")
def docs() -> list[dict[str, Any]]:
    return manifests(K8S)


@pytest.fixture(scope="module")
def sidecar_docs() -> list[dict[str, Any]]:
    return manifests(SIDECAR)


def test_manifests_parse(docs: list[dict[str, Any]], sidecar_docs: list[dict[str, Any]]) -> None:
    for doc in docs + sidecar_docs:
        if doc.get("kind") == "Kustomization":
            continue
        if "scrape_configs" in doc:
            continue  # prometheus-scrape-config.yaml is a Prometheus snippet, not a manifest
        assert doc["apiVersion"], doc
        assert doc["metadata"]["name"], doc
    for directory in (K8S, SIDECAR):
        kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text(encoding="utf-8"))
        for resource in kustomization["resources"]:
            assert (directory / resource).is_file(), resource


def test_deployment_is_hardened(docs: list[dict[str, Any]], sidecar_docs: list[dict[str, Any]]) -> None:
    for deployment in (one(docs, "Deployment"), one(sidecar_docs, "Deployment")):
        spec = pod_spec(deployment)
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] != 0
        for c in spec["containers"]:
            assert c["securityContext"]["readOnlyRootFilesystem"] is True, c["name"]
            assert c["securityContext"]["allowPrivilegeEscalation"] is False, c["name"]
            assert c["securityContext"]["capabilities"]["drop"] == ["ALL"], c["name"]
            assert c["resources"]["requests"], c["name"]
            assert c["resources"]["limits"]["memory"], c["name"]


# The series the shipped manifests are sized for; docs/scaling.md#the-sizing-rule says how to resize.
SIZED_FOR = 100_000
_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 10**3, "M": 10**6, "G": 10**9, "": 1}


def quantity(text: str) -> int:
    """A Kubernetes memory quantity ("320Mi", "1G") in bytes."""
    match = re.fullmatch(r"(\d+)([KMG]i?|)", str(text))
    assert match, f"not a memory quantity: {text!r}"
    return int(match.group(1)) * _UNITS[match.group(2)]


def test_memory_follows_the_sizing_rule(
    docs: list[dict[str, Any]], sidecar_docs: list[dict[str, Any]]
) -> None:
    """Request: the peak the rule gives; limit: where otel-ovh warns (80 %), both rounded up a little."""
    for deployment in (one(docs, "Deployment"), one(sidecar_docs, "Deployment")):
        c = container(deployment, "otel-ovh")
        env = env_values(c)
        prometheus = env.get("OTEL_OVH_PROMETHEUS__ENABLED", "true") != "false"
        otlp = env.get("OTEL_OVH_OTLP__ENABLED", "false") == "true"
        request, limit = pod_memory(SIZED_FOR, prometheus=prometheus, otlp=otlp)
        given_request = quantity(c["resources"]["requests"]["memory"])
        given_limit = quantity(c["resources"]["limits"]["memory"])
        assert request <= given_request <= request * 1.15, (c["resources"], request / 2**20)
        assert limit <= given_limit <= limit * 1.15, (c["resources"], limit / 2**20)


def test_probes_hit_healthz_on_the_container_port(docs: list[dict[str, Any]]) -> None:
    c = container(one(docs, "Deployment"), "otel-ovh")
    ports = container_ports(c)
    assert ports == {"metrics": 9464}
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    # /readyz: the same server, ready once a project's data is served.
    assert c["readinessProbe"]["httpGet"]["path"] in {"/healthz", "/readyz"}
    for probe in (c["livenessProbe"], c["readinessProbe"]):
        port = probe["httpGet"]["port"]
        assert port in ports or port in ports.values()


def test_settings_come_from_the_config_map(docs: list[dict[str, Any]]) -> None:
    deployment = one(docs, "Deployment")
    c = container(deployment, "otel-ovh")
    assert c["args"][:2] == ["serve", "--config"]
    settings = yaml.safe_load(mounted_file(deployment, c, c["args"][2], docs))
    assert settings["prometheus"]["host"] == "0.0.0.0"
    assert settings["prometheus"]["port"] == container_ports(c)["metrics"]
    assert "application_key" not in str(settings), "credentials belong in the Secret"


def test_credentials_come_from_the_secret(
    docs: list[dict[str, Any]], sidecar_docs: list[dict[str, Any]]
) -> None:
    secret = one(docs, "Secret")
    keys = set(secret.get("stringData", {})) | set(secret.get("data", {}))
    for deployment in (one(docs, "Deployment"), one(sidecar_docs, "Deployment")):
        refs = secret_refs(container(deployment, "otel-ovh"))
        assert set(refs) == CREDENTIAL_VARIABLES
        assert {name for name, _ in refs.values()} == {secret["metadata"]["name"]}
        assert {key for _, key in refs.values()} == keys


def test_service_and_service_monitor_select_the_pods(docs: list[dict[str, Any]]) -> None:
    deployment, service, monitor = one(docs, "Deployment"), one(docs, "Service"), one(docs, "ServiceMonitor")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    service_ports = {p["name"]: p for p in service["spec"]["ports"]}
    ports = container_ports(container(deployment, "otel-ovh"))
    for endpoint in monitor["spec"]["endpoints"]:
        assert endpoint["port"] in service_ports
        assert endpoint["path"] == "/metrics"
        assert service_ports[endpoint["port"]]["targetPort"] in ports


def test_plain_prometheus_scrape_config_keeps_the_service(docs: list[dict[str, Any]]) -> None:
    config = yaml.safe_load((K8S / "prometheus-scrape-config.yaml").read_text(encoding="utf-8"))
    (job,) = config["scrape_configs"]
    assert job["job_name"] == "otel-ovh"  # what OtelOvhExporterDown matches
    service = one(docs, "Service")
    keeps = {
        tuple(r["source_labels"]): r["regex"] for r in job["relabel_configs"] if r.get("action") == "keep"
    }
    name = service["metadata"]["labels"]["app.kubernetes.io/name"]
    assert re.fullmatch(keeps[("__meta_kubernetes_service_label_app_kubernetes_io_name",)], name)
    port_names = [p["name"] for p in service["spec"]["ports"]]
    assert any(re.fullmatch(keeps[("__meta_kubernetes_endpoint_port_name",)], p) for p in port_names)


def test_sidecar_pushes_otlp_to_the_collector_in_the_pod(sidecar_docs: list[dict[str, Any]]) -> None:
    deployment = one(sidecar_docs, "Deployment")
    exporter = container(deployment, "otel-ovh")
    env = env_values(exporter)
    assert env["OTEL_OVH_OTLP__ENABLED"] == "true"
    assert env["OTEL_OVH_PROMETHEUS__ENABLED"] == "false"
    assert env["OTEL_OVH_OTLP__ENDPOINT"].endswith("localhost:4317")
    settings = yaml.safe_load(mounted_file(deployment, exporter, exporter["args"][2], sidecar_docs))
    assert settings["otlp"]["enabled"] is True
    collector = next(c for c in pod_spec(deployment)["containers"] if c["name"] != "otel-ovh")
    config_path = next(a.split("=", 1)[1] for a in collector["args"] if a.startswith("--config="))
    config = yaml.safe_load(mounted_file(deployment, collector, config_path, sidecar_docs))
    assert config["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"].endswith(":4317")
    check_collector_config(config)
    health = config["extensions"]["health_check"]["endpoint"].rsplit(":", 1)[1]
    assert collector["livenessProbe"]["httpGet"]["port"] in {int(health), *container_ports(collector)}
    assert container_ports(collector)["health"] == int(health)


# ---------------------------------------------------------------- Collector configuration


def check_collector_config(config: dict[str, Any]) -> None:
    """Every component a pipeline names is defined and known, processors in the recommended order."""
    service = config["service"]
    for extension in service.get("extensions", []):
        assert extension in config.get("extensions", {}), f"extension {extension} is not defined"
    for pipeline_name, pipeline in service["pipelines"].items():
        for section in ("receivers", "processors", "exporters"):
            for component in pipeline.get(section, []):
                defined = config.get(section, {})
                assert component in defined, f"{pipeline_name}: {section} {component} undefined"
        processors = pipeline.get("processors", [])
        assert processors[0] == "memory_limiter", "memory_limiter must come first"
        assert processors[-1] == "batch", "batch must come last"
    for section in ("receivers", "processors", "exporters", "extensions"):
        for component, settings in (config.get(section) or {}).items():
            known = COMPONENT_KEYS.get(f"{section}/{component.split('/')[0]}")
            assert known is not None, f"{section}/{component}: not a component these tests know"
            unknown = set(settings or {}) - known
            assert not unknown, f"{section}/{component}: unknown keys {unknown}"


def commented_variant() -> dict[str, Any]:
    """The commented-out scrape variant at the end of collector-config.yaml, uncommented."""
    text = COLLECTOR_CONFIG.read_text(encoding="utf-8")
    block = text.split("# Variant:", 1)[1].split("\n", 1)[1]
    lines = [line[2:] for line in block.splitlines() if line.startswith("# ") and "-----" not in line]
    start = next(i for i, line in enumerate(lines) if line.startswith("receivers:"))
    data: dict[str, Any] = yaml.safe_load("\n".join(lines[start:]))
    return data


@pytest.fixture(scope="module")
def collector() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COLLECTOR_CONFIG.read_text(encoding="utf-8"))
    return data


def test_collector_pipeline_is_complete(collector: dict[str, Any]) -> None:
    check_collector_config(collector)
    pipeline = collector["service"]["pipelines"]["metrics"]
    assert pipeline["receivers"] == ["otlp"]
    assert set(pipeline["exporters"]) == {"prometheus", "prometheusremotewrite"}
    assert collector["service"]["extensions"] == ["health_check"]


def test_collector_endpoints(collector: dict[str, Any]) -> None:
    protocols = collector["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"].endswith(":4317")
    assert protocols["http"]["endpoint"].endswith(":4318")
    prometheus = collector["exporters"]["prometheus"]
    assert prometheus["endpoint"] == "0.0.0.0:8889"
    assert prometheus["resource_to_telemetry_conversion"]["enabled"] is True
    remote_write = collector["exporters"]["prometheusremotewrite"]
    assert re.fullmatch(r"\$\{env:\w+\}", remote_write["endpoint"])
    assert re.fullmatch(r"\$\{env:\w+\}", remote_write["headers"]["X-Scope-OrgID"])


def test_collector_scrape_variant(collector: dict[str, Any]) -> None:
    variant = commented_variant()
    merged = {**collector, "receivers": variant["receivers"], "service": variant["service"]}
    check_collector_config(merged)
    (job,) = variant["receivers"]["prometheus"]["config"]["scrape_configs"]
    assert job["static_configs"][0]["targets"] == ["localhost:9464"]
