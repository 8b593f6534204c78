"""Scale-out past one process: shards split the projects with no overlap; ``/probe`` serves one project.

Sharding (``collect.shard: "i/n"``) lets n replicas share a large organisation; the multi-target
pattern (``/probe?target=<project id>``) lets one Prometheus job scrape each project on its own, with its
own timeout and ``up``. Both are proved end to end here: against the simulator, and with a real Prometheus.
"""

from __future__ import annotations

import hashlib
import re
import urllib.error
import urllib.request

import pytest

from otel_ovh.ovh.discovery import in_shard
from otel_ovh.serve.app import Exporter
from otel_ovh.settings.config import SettingsError, load_settings, parse_settings
from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from tests.integration.conftest import settings_for
from tests.support.prometheus import PrometheusServer, ScrapeJob

_ACCOUNT = re.compile(r'cloud_account_id="([0-9a-f]{32})"')


def _ids(count: int) -> list[str]:
    return [hashlib.md5(f"project-{i}".encode()).hexdigest() for i in range(count)]  # ids, not security


@pytest.mark.parametrize("n", [2, 3, 5])
def test_shards_partition_the_projects(n: int) -> None:
    ids = _ids(200)
    shards = [{pid for pid in ids if in_shard(pid, (i, n))} for i in range(n)]
    assert set().union(*shards) == set(ids)
    assert sum(len(s) for s in shards) == len(ids)  # disjoint: every id in exactly one shard
    assert all(len(s) >= len(ids) / n / 2 for s in shards), [len(s) for s in shards]  # no starved replica


def test_the_shard_is_set_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_OVH_COLLECT__SHARD", "1/3")
    settings = load_settings(require_credentials=False)
    assert settings.collect.shard == (1, 3)
    monkeypatch.setenv("OTEL_OVH_COLLECT__SHARD", "3/3")
    with pytest.raises(SettingsError, match=r"collect\.shard"):
        load_settings(require_credentials=False)


def test_two_replicas_export_disjoint_projects_whose_union_is_all() -> None:
    world = World(seed=21, shape=WorldShape(projects=8))
    with SimulatedOvh(world) as sim:
        exported: list[set[str]] = []
        for shard in ("0/2", "1/2"):
            settings = parse_settings(settings_for(sim, collect={"shard": shard}))
            exporter = Exporter.build(settings, serve=False)
            try:
                sim.reset_calls()
                exporter.refresher.refresh_once()
                projects = set(_ACCOUNT.findall(exporter.telemetry.render().decode()))
                called = {c.project for c in sim.calls if c.project}
            finally:
                exporter.refresher.stop()
                exporter.telemetry.shutdown()
            assert called == projects  # a replica does not even call OVH for the others' projects
            exported.append(projects)
    assert exported[0] and exported[1]
    assert not exported[0] & exported[1]
    assert exported[0] | exported[1] == set(world.project_ids)


def test_probe_with_prometheus_one_target_per_project() -> None:
    """The Prometheus multi-target pattern: targets are project ids, relabelled onto ``/probe``."""
    world = World(seed=22, shape=WorldShape(projects=3))
    with SimulatedOvh(world) as sim:
        settings = parse_settings(settings_for(sim, prometheus={"port": 0}))
        exporter = Exporter.build(settings)
        assert exporter.server is not None
        exporter.start()
        try:
            assert exporter.refresher.first_refresh_done.wait(30)
            address = f"127.0.0.1:{exporter.server.port}"
            bad = "not-a-project"
            job = ScrapeJob(
                targets=[*world.project_ids, bad],
                job_name="ovh-projects",
                metrics_path="/probe",
                extra={
                    "relabel_configs": [
                        {"source_labels": ["__address__"], "target_label": "__param_target"},
                        {"source_labels": ["__param_target"], "target_label": "instance"},
                        {"target_label": "__address__", "replacement": address},
                    ]
                },
            )
            with PrometheusServer([job], scrape_interval=1.0) as prometheus:
                up = prometheus.wait_for(
                    'up{job="ovh-projects"}', lambda r: len(r) == 4 and all(s["value"][1] for s in r), 30
                )
                assert {s["metric"]["instance"]: s["value"][1] for s in up} == {
                    **dict.fromkeys(world.project_ids, "1"), bad: "0"
                }
                pairs = prometheus.wait_for(
                    'group by (instance, cloud_account_id) ({job="ovh-projects", __name__=~"ovh_cloud_.+"})',
                    lambda r: len(r) >= 3,
                    30,
                )
                # Each target's scrape holds its own project's series, and only those.
                assert {(s["metric"]["instance"], s["metric"]["cloud_account_id"]) for s in pairs} == {
                    (pid, pid) for pid in world.project_ids
                }

            body = _get(f"http://{address}/probe?target={world.project_ids[0]}")
            assert set(_ACCOUNT.findall(body.decode())) == {world.project_ids[0]}
            with pytest.raises(urllib.error.HTTPError) as error:
                _get(f"http://{address}/probe?target={bad}")
            assert error.value.code == 400
            with pytest.raises(urllib.error.HTTPError) as error:
                _get(f"http://{address}/probe")
            assert error.value.code == 400
        finally:
            exporter.stop()


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return bytes(response.read())
