"""The Prometheus helpers against a real /usr/bin/prometheus and promtool."""

from __future__ import annotations

import base64
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest, start_http_server

from tests.support.certs import TlsMaterial
from tests.support.errors import HarnessError, WaitTimeout
from tests.support.ports import LOOPBACK, free_port
from tests.support.prometheus import (
    PrometheusServer,
    ScrapeJob,
    check_promql,
    promtool_check_metrics,
    promtool_check_rules,
    promtool_query_instant,
    promtool_test_rules,
)
from tests.support.pytest_plugin import PrometheusFactory


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    Counter("harness_hits", "Hits seen by the harness.", ["zone"], registry=registry).labels("gra").inc(7)
    Gauge("harness_temperature_celsius", "A gauge.", registry=registry).set(21.5)
    return registry


@pytest.fixture
def exporter_port() -> Iterator[int]:
    """A prometheus_client HTTP server on loopback (the stand-in for the bridge's /metrics)."""
    port = free_port()
    server, thread = start_http_server(port, addr=LOOPBACK, registry=_registry())
    yield port
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_bad_promql_raises_with_the_parser_message(prometheus_factory: PrometheusFactory) -> None:
    prom = prometheus_factory()
    with pytest.raises(HarnessError, match=r"bad_data: .*parse error"):
        prom.query("sum(")


class _AuthMetrics(BaseHTTPRequestHandler):
    """/metrics over TLS with basic auth, like the bridge's protected endpoint."""

    expected = "Basic " + base64.b64encode(b"prom:s3cret").decode()

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.headers.get("Authorization") != self.expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="metrics"')
            self.end_headers()
            return
        body = generate_latest(_registry())
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def tls_auth_port(tls_material: TlsMaterial) -> Iterator[int]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_material.server_cert, tls_material.server_key)
    server = ThreadingHTTPServer((LOOPBACK, free_port()), _AuthMetrics)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_tls_and_basic_auth_scrape(
    tls_auth_port: int, tls_material: TlsMaterial, prometheus_factory: PrometheusFactory
) -> None:
    """One server, five jobs: the right settings scrape, each wrong one fails with a telling lastError."""
    target = [f"localhost:{tls_auth_port}"]
    nobody = f"{LOOPBACK}:{free_port()}"
    ca = tls_material.ca_cert

    def https(job: str, password: str = "s3cret", **tls: Any) -> ScrapeJob:
        return ScrapeJob(target, job_name=job, scheme="https", basic_auth=("prom", password), **tls)

    prom = prometheus_factory(
        [
            ScrapeJob([nobody], job_name="refused"),
            https("good", ca_file=ca),
            https("badpw", "nope", ca_file=ca),
            https("noca"),
            https("skip", insecure_skip_verify=True),
        ]
    )
    prom.wait_for("count(up)", lambda r: bool(r) and r[0]["value"][1] == "5", 10)
    prom.wait_for('harness_hits_total{job="good"}', timeout=10)
    prom.wait_for('harness_hits_total{job="skip"}', timeout=10)
    errors = {t["labels"]["job"]: (t["health"], t["lastError"]) for t in prom.targets()}
    assert errors["good"] == ("up", "")
    assert errors["badpw"][0] == "down"
    assert "401" in errors["badpw"][1]
    assert errors["noca"][0] == "down"
    assert "certificate" in errors["noca"][1]
    assert errors["refused"][0] == "down"
    assert "connection refused" in errors["refused"][1]
    assert prom.query('up{job="refused"}')[0]["metric"]["instance"] == nobody
    with pytest.raises(WaitTimeout, match="connection refused"):
        prom.wait_for_targets_up(timeout=0.3)
    with pytest.raises(WaitTimeout, match=r"lastError='.*connection refused"):
        prom.wait_for('harness_hits_total{job="refused"}', timeout=0.3)


RULES = """\
groups:
- name: harness
  rules:
  - record: harness:hits:sum
    expr: sum(harness_hits_total)
  - alert: HarnessAlwaysFiring
    expr: vector(1)
    labels: {severity: info}
    annotations: {summary: always}
"""

RULE_TESTS = """\
rule_files: [rules.yml]
evaluation_interval: 1m
tests:
- interval: 1m
  input_series:
  - series: 'harness_hits_total{zone="gra"}'
    values: '1+1x5'
  promql_expr_test:
  - expr: harness:hits:sum
    eval_time: 5m
    exp_samples:
    - labels: 'harness:hits:sum'
      value: 6
"""


def test_scrape_query_rules_and_alerts(
    tmp_path: Path, exporter_port: int, prometheus_factory: PrometheusFactory
) -> None:
    """A prometheus_client endpoint scraped by a real server, queried, with rules evaluated on it."""
    rules = tmp_path / "rules.yml"
    rules.write_text(RULES)
    (tmp_path / "tests.yml").write_text(RULE_TESTS)
    ok, output = promtool_check_rules(rules)
    assert ok, output
    ok, output = promtool_test_rules(tmp_path / "tests.yml")
    assert ok, output
    (tmp_path / "broken.yml").write_text(RULE_TESTS.replace("value: 6", "value: 7"))
    ok, output = promtool_test_rules(tmp_path / "broken.yml")
    assert not ok
    assert "harness:hits:sum" in output

    prom = prometheus_factory(
        [ScrapeJob([f"{LOOPBACK}:{exporter_port}"], job_name="bridge")], rule_files=[rules]
    )
    (target,) = prom.wait_for_targets_up(timeout=10)
    assert target["labels"]["job"] == "bridge"
    result = prom.wait_for('harness_hits_total{job="bridge"}', timeout=10)
    assert result[0]["metric"]["zone"] == "gra"
    assert float(result[0]["value"][1]) == 7
    assert prom.query_value("harness_temperature_celsius") == 21.5
    assert prom.query("scalar(harness_temperature_celsius) * 2")[0]["value"][1] == "43"
    ok, output = promtool_query_instant(prom.url, "harness_hits_total")
    assert ok, output
    assert 'zone="gra"' in output

    alert = prom.wait_for_alert("HarnessAlwaysFiring", timeout=10)
    assert alert["labels"]["severity"] == "info"
    prom.wait_for("harness:hits:sum", lambda r: bool(r) and r[0]["value"][1] == "7", timeout=10)
    (group,) = prom.rules()
    assert {rule["name"]: rule["health"] for rule in group["rules"]} == {
        "harness:hits:sum": "ok",
        "HarnessAlwaysFiring": "ok",
    }


def test_check_promql() -> None:
    good = 'sum by (cloud_account_id) (increase(ovh_cloud_cost_total{ovh_currency="EUR"}[1h]))'
    verdicts = check_promql([good, "sum(rate(x[5m])", "rate(x)", 'a{b="\\""}', ""])
    assert verdicts[good] is None
    assert verdicts['a{b="\\""}'] is None
    assert "parse error" in (verdicts["sum(rate(x[5m])"] or "")
    assert "range vector" in (verdicts["rate(x)"] or "")
    assert verdicts[""] is not None
    assert check_promql([]) == {}


def test_promtool_check_metrics() -> None:
    ok, output = promtool_check_metrics(generate_latest(_registry()).decode())
    assert ok, output
    ok, output = promtool_check_metrics('foo{bar="1" 1\n')
    assert not ok
    assert "parsing error" in output
    ok, output = promtool_check_metrics("# TYPE foo counter\nfoo 1\n")
    assert not ok
    assert '"_total" suffix' in output


def test_missing_binary_or_bad_flags_fail_loudly() -> None:
    with (
        pytest.raises(HarnessError, match="prometheus not found"),
        PrometheusServer(binary="/nonexistent/prometheus"),
    ):
        pass
    with (
        pytest.raises(HarnessError, match="exited with status"),
        PrometheusServer(extra_args=["--no-such-flag"]),
    ):
        pass
