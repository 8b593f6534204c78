"""``otel-ovh serve`` as a process: a world of ~100,000 series exported whole, and the memory warning.

The first test is the issue's target size (every family on): every project present, no
``otel_metric_overflow``, in one scrape of the real process. The others give the process a fake cgroup
root (``telemetry.cgroup_root``) whose limit the world passes, or not, and read its log and its metrics.
"""

from __future__ import annotations

import gzip
import re
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from otel_ovh.export.memory import BASE_BYTES, MIB, peak_estimate
from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from tests.integration.conftest import LARGE
from tests.security.support import Served, sim_env, start_serve

_ACCOUNT = re.compile(r'cloud_account_id="([0-9a-f]{32})"')
# ~100,000 series with every family on: the benchmark's project shape (benchmarks/scale.py).
HUNDRED_THOUSAND = replace(LARGE, projects=194)


@contextmanager
def serving(sim: SimulatedOvh, tmp_path: Path, **settings: str) -> Iterator[Served]:
    env = sim_env(sim, tmp_path, OTEL_OVH_COLLECT__INTERVAL="3600", **settings)
    served = start_serve(tmp_path / "serve", env, timeout=180)
    try:
        yield served
    finally:
        served.stop()


def scrape(port: int) -> list[str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
        if response.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
    return [line for line in body.decode().splitlines() if line and not line.startswith("#")]


def test_a_hundred_thousand_series_are_exported_whole(tmp_path: Path) -> None:
    now = time.time()
    world = World(seed=5, shape=HUNDRED_THOUSAND, clock=lambda: now)
    no_limit = {"OTEL_OVH_TELEMETRY__CGROUP_ROOT": ""}
    with SimulatedOvh(world) as sim, serving(sim, tmp_path, **no_limit) as served:
        lines = scrape(served.port)
    assert not [line for line in lines if "overflow" in line]
    ovh = [line for line in lines if line.startswith("ovh_cloud_")]
    assert len(ovh) >= 95_000, len(ovh)
    assert set(_ACCOUNT.findall("\n".join(ovh))) == set(world.project_ids)
    per_metric = Counter(re.split(r"[{ ]", line, maxsplit=1)[0] for line in ovh)
    assert max(per_metric.values()) > 10_000, per_metric  # far past the SDK's default limit of 2000
    assert "WARNING" not in served.output()


def _memory_series(lines: list[str]) -> dict[str, float]:
    return {
        line.split(" ")[0]: float(line.split(" ")[1]) for line in lines if line.startswith("otel_ovh_memory_")
    }


def counted(port: int) -> list[str]:
    """A scrape whose self metrics show the refresh's series counted: they are rendered every second, so
    the first scrape after ``/readyz`` may still carry the figures of before it."""
    deadline = time.monotonic() + 10
    while True:
        lines = scrape(port)
        if _memory_series(lines).get("otel_ovh_memory_estimate_bytes", 0) > BASE_BYTES:
            return lines
        assert time.monotonic() < deadline, "the estimate never counted the series"
        time.sleep(0.2)


def _snapshot_health(line: str) -> bool:
    return line.startswith(("otel_ovh_collection_", "otel_ovh_data_", "otel_ovh_account_"))


def under_cgroup(tmp_path: Path, memory_max: str, projects: int) -> tuple[list[str], str]:
    """A scrape and the log of a process whose cgroup root (``telemetry.cgroup_root``) is a fake one."""
    cgroup = tmp_path / "cgroup"
    cgroup.mkdir()
    (cgroup / "memory.max").write_text(f"{memory_max}\n")
    now = time.time()
    world = World(seed=5, shape=WorldShape(projects=projects), clock=lambda: now)
    root = {"OTEL_OVH_TELEMETRY__CGROUP_ROOT": str(cgroup)}
    with SimulatedOvh(world) as sim, serving(sim, tmp_path, **root) as served:
        return counted(served.port), served.output()


def test_a_world_past_the_memory_limit_is_warned_of_once(tmp_path: Path) -> None:
    limit = BASE_BYTES + 2 * MIB  # a few thousand series pass 80 % of it
    lines, text = under_cgroup(tmp_path, str(limit), projects=6)
    memory = _memory_series(lines)
    assert memory["otel_ovh_memory_limit_bytes"] == limit
    # the series rendered once per snapshot: OVH's (ovh_cloud_, ovh_account_) and the health beside them
    ovh = len([line for line in lines if line.startswith("ovh_") or _snapshot_health(line)])
    assert memory["otel_ovh_memory_estimate_bytes"] == peak_estimate(ovh, prometheus=True, otlp=False)
    warnings = [line for line in text.splitlines() if "WARNING" in line and "memory" in line]
    assert len(warnings) == 1, text
    assert f"{ovh:,} series" in warnings[0] and "limit" in warnings[0]
    assert f"memory limit {limit / MIB:.0f} MiB (cgroup)" in text  # the start-up line


def test_no_limit_no_warning_and_no_limit_series(tmp_path: Path) -> None:
    lines, text = under_cgroup(tmp_path, "max", projects=2)
    assert "otel_ovh_memory_limit_bytes" not in _memory_series(lines)
    assert "WARNING" not in text and "memory limit" not in text
