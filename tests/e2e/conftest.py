"""One simulated OVH API, one ``otel-ovh serve`` process pointed at it, and a real Prometheus scraping it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from tests.support.ports import free_port
from tests.support.prometheus import PrometheusServer, ScrapeJob

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class ServeProcess:
    process: subprocess.Popen[str]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return bytes(response.read())

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def sim_env(sim: SimulatedOvh, home: Path, **extra: str) -> dict[str, str]:
    """A clean environment: only PATH, a private HOME and our settings (no stray OVH_* or OTEL_*).

    The process runs under a known memory limit, a cgroup root of its own in HOME (1 GiB, far above what
    these worlds need), so that every metric of the contract, ``otel_ovh_memory_limit_bytes`` included,
    is exported whatever the machine's own cgroup says."""
    cgroup = home / "cgroup"
    cgroup.mkdir(parents=True, exist_ok=True)
    (cgroup / "memory.max").write_text(f"{1 << 30}\n")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "PYTHONUNBUFFERED": "1",
        "OTEL_OVH_OVH__ENDPOINT": sim.url,
        "OTEL_OVH_TELEMETRY__CGROUP_ROOT": str(cgroup),
    }
    env.update({f"OTEL_OVH_OVH__{key.upper()}": value for key, value in sim.credentials.items()})
    env.update(extra)
    return env


def start_serve(sim: SimulatedOvh, workdir: Path, *args: str, **env: str) -> ServeProcess:
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = workdir / "otel-ovh.log"
    handle = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "otel_ovh", "serve", *args],
        cwd=ROOT,
        stdout=handle,
        stderr=subprocess.STDOUT,
        text=True,
        env=sim_env(sim, workdir, OTEL_OVH_PROMETHEUS__PORT=str(port), **env),
    )
    serve = ServeProcess(process, port, log_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"otel-ovh serve exited with {process.returncode}:\n{serve.log()}")
        try:
            if serve.get("/readyz") == b"ok\n":
                return serve
        except OSError:
            pass
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"otel-ovh serve was not ready within 30 s:\n{serve.log()}")


def stop_serve(serve: ServeProcess) -> None:
    serve.process.terminate()
    try:
        serve.process.wait(10)
    except subprocess.TimeoutExpired:
        serve.process.kill()


@pytest.fixture(scope="module")
def frozen_world() -> World:
    """A world whose clock stands still, so that expected figures equal what the exporter fetched."""
    now = time.time()
    return World(seed=2026, shape=WorldShape(projects=4), clock=lambda: now)


@pytest.fixture(scope="module")
def simulator(frozen_world: World) -> Iterator[SimulatedOvh]:
    sim = SimulatedOvh(frozen_world, host="127.0.0.1", port=0, page_size=1).start()  # every node a page
    yield sim
    sim.stop()


@pytest.fixture(scope="module")
def serve(simulator: SimulatedOvh, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    process = start_serve(simulator, tmp_path_factory.mktemp("serve"))
    yield process
    stop_serve(process)
    print(f"\n--- otel-ovh log ---\n{process.log()}")


@pytest.fixture(scope="module")
def budgets(frozen_world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small budget per simulated project (alerts/budgets.example.yml's convention), so it is exceeded."""
    rules = [
        {"record": "ovh_cloud_budget", "expr": "vector(100)", "labels": {"cloud_account_id": pid}}
        for pid in frozen_world.project_ids
    ]
    path = tmp_path_factory.mktemp("rules") / "budgets.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "budgets", "rules": rules}]}))
    return path


@pytest.fixture(scope="module")
def prometheus(serve: ServeProcess, budgets: Path) -> Iterator[PrometheusServer]:
    server = PrometheusServer(
        [ScrapeJob([f"127.0.0.1:{serve.port}"])],
        scrape_interval=1.0,
        rule_files=[ROOT / "alerts" / "otel-ovh.rules.yml", budgets],
    )
    server.start()
    try:
        server.wait_for_targets_up(timeout=20)
        yield server
    finally:
        print(f"\n--- prometheus log ---\n{server.log()}")
        server.stop()
