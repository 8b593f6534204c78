"""A real Prometheus scrapes ``otel-ovh serve`` through mutual TLS and basic auth.

One exporter (client certificates required, one bcrypt user) and one Prometheus with three jobs: the
right credentials (target up, PromQL returns OVH's projects), a wrong password (down, 401) and no client
certificate (down, TLS refused). What Prometheus reports is what an operator would see.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from tests.security.support import (
    Served,
    client_context,
    htpasswd_hash,
    sim_env,
    start_serve,
    tls_section,
    write_web_config,
)
from tests.support.certs import TlsMaterial
from tests.support.prometheus import PrometheusServer, ScrapeJob
from tests.support.pytest_plugin import PrometheusFactory
from tests.support.waiting import wait_until

USER, PASSWORD = "prometheus", "scrape-through-tls-and-bcrypt"


@pytest.fixture
def sim() -> Iterator[SimulatedOvh]:
    simulator = SimulatedOvh(World(seed=21, shape=WorldShape(projects=2)), port=0).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def served(sim: SimulatedOvh, tmp_path: Path, tls_material: TlsMaterial) -> Iterator[Served]:
    web = write_web_config(
        tmp_path / "web.yml",
        {
            "tls_server_config": tls_section(
                tls_material,
                client_auth_type="RequireAndVerifyClientCert",
                client_ca_file=str(tls_material.ca_cert),
            ),
            "basic_auth_users": {USER: htpasswd_hash(PASSWORD, rounds=6)},
        },
    )
    env = sim_env(sim, tmp_path, OTEL_OVH_PROMETHEUS__WEB_CONFIG_FILE=str(web))
    process = start_serve(tmp_path / "serve", env, context=client_context(tls_material, client_cert=True))
    yield process
    process.stop()
    print(f"\n--- otel-ovh output ---\n{process.output()}")


def _target(prom: PrometheusServer, job: str) -> dict[str, Any]:
    return next(t for t in prom.targets() if t["labels"]["job"] == job)


def test_prometheus_scrapes_through_mutual_tls_and_basic_auth(
    sim: SimulatedOvh, served: Served, tls_material: TlsMaterial, prometheus_factory: PrometheusFactory
) -> None:
    target = [f"127.0.0.1:{served.port}"]
    tls: dict[str, Any] = {"scheme": "https", "ca_file": tls_material.ca_cert}
    client: dict[str, Any] = {"cert_file": tls_material.client_cert, "key_file": tls_material.client_key}
    prom = prometheus_factory(
        [
            ScrapeJob(target, job_name="good", basic_auth=(USER, PASSWORD), **tls, **client),
            ScrapeJob(target, job_name="wrong-password", basic_auth=(USER, PASSWORD + "x"), **tls, **client),
            ScrapeJob(target, job_name="no-client-cert", basic_auth=(USER, PASSWORD), **tls),
        ],
        scrape_interval=1.0,
    )

    info = prom.wait_for('ovh_cloud_project_info{job="good"}', timeout=30)
    assert {r["metric"]["cloud_account_id"] for r in info} == set(sim.world.project_ids)
    assert _target(prom, "good")["health"] == "up"
    cost = prom.query('sum(ovh_cloud_cost_total{job="good"})')
    assert cost and float(cost[0]["value"][1]) > 0

    wrong = wait_until(
        lambda: _target(prom, "wrong-password"),
        lambda t: t["health"] == "down" and t["lastError"],
        timeout=20,
        what="the wrong-password target reported down",
    )
    assert "401" in wrong["lastError"], wrong
    no_cert = wait_until(
        lambda: _target(prom, "no-client-cert"),
        lambda t: t["health"] == "down" and t["lastError"],
        timeout=20,
        what="the target without a client certificate reported down",
    )
    assert "tls" in no_cert["lastError"].lower() and "401" not in no_cert["lastError"], no_cert  # before HTTP

    # The refused jobs got nothing of the data: only Prometheus' own synthetic series exist for them.
    for job in ("wrong-password", "no-client-cert"):
        names = prom.query(f'count by (__name__) ({{job="{job}"}})')
        assert {r["metric"]["__name__"] for r in names} <= {
            "up",
            "scrape_duration_seconds",
            "scrape_samples_scraped",
            "scrape_samples_post_metric_relabeling",
            "scrape_series_added",
        }, names
    assert "Traceback" not in served.output()
