"""A gigabyte answer and a gigabyte gzip bomb, served to a real ``otel-ovh serve`` process: each fails its
call with a size reason, the other projects stay whole, and the process's peak memory (``VmHWM``) grows by
far less than what the answers would have cost read whole."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from tests.support.hostile_ovh import HostileOvh, Rule
from tests.support.ports import free_port
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
GIGABYTE = 1_000_000_000
MAX_GROWTH = 100 << 20


@pytest.fixture
def hostile() -> Iterator[tuple[HostileOvh, World]]:
    now = time.time()
    world = World(seed=8, shape=WorldShape(projects=3), clock=lambda: now)
    sim = SimulatedOvh(world).start()
    with HostileOvh(sim) as proxy:
        yield proxy, world
    sim.stop()


def _status(pid: int, key: str) -> int:
    text = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    match = re.search(rf"^{key}:\s+(\d+) kB$", text, re.M)
    assert match, text
    return int(match.group(1)) * 1024


def _metrics(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text: str = response.read().decode()
        return text


def _success(body: str, pid: str) -> float | None:
    match = re.search(
        rf'^otel_ovh_collection_success\{{[^}}]*cloud_account_id="{pid}"[^}}]*\}} (\S+)$', body, re.M
    )
    return float(match.group(1)) if match else None


def _too_large(body: str) -> float:
    found = re.findall(r'^otel_ovh_api_failures_total\{.*error_type="too_large".*\} (\S+)$', body, re.M)
    return sum(float(value) for value in found)


def test_huge_answers_and_gzip_bombs_leave_memory_bounded(
    hostile: tuple[HostileOvh, World], tmp_path: Path
) -> None:
    proxy, world = hostile
    huge, bombed, healthy = world.project_ids
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OTEL_OVH_OVH__ENDPOINT": proxy.url}
    env.update({f"OTEL_OVH_OVH__{k.upper()}": v for k, v in proxy.credentials.items()})
    env.update({"OTEL_OVH_PROMETHEUS__PORT": str(port), "OTEL_OVH_COLLECT__INTERVAL": "3"})
    env.update({"OTEL_OVH_COLLECT__MAX_CALLS_PER_SECOND": "0", "OTEL_OVH_COLLECT__RETRIES": "0"})
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "otel_ovh", "serve"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
        )
    try:
        first = wait_until(
            lambda: _metrics_or_empty(port, process, log),
            lambda body: all(_success(body, pid) == 1 for pid in world.project_ids),
            timeout=60,
            what="a first whole refresh",
        )
        before = _status(process.pid, "VmHWM")
        proxy.add(Rule(f"/cloud/project/{huge}/volume", huge=GIGABYTE))
        proxy.add(Rule(f"/cloud/project/{bombed}/volume", gzip_bomb=GIGABYTE))
        body = wait_until(
            lambda: _metrics_or_empty(port, process, log),
            lambda body: _too_large(body) >= 2 and _success(body, bombed) == 0 and _success(body, huge) == 0,
            timeout=90,
            what="both hostile answers refused for their size",
        )
        growth = _status(process.pid, "VmHWM") - before
        assert growth < MAX_GROWTH, f"peak memory grew by {growth >> 20} MiB"
        assert _success(body, healthy) == 1
        healthy_series = [line for line in body.splitlines() if f'cloud_account_id="{healthy}"' in line]
        assert len(healthy_series) == len(
            [line for line in first.splitlines() if f'cloud_account_id="{healthy}"' in line]
        )
    finally:
        process.terminate()
        process.wait(10)
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in text
    assert "cap of 33554432 bytes" in text, text[-3000:]


def _metrics_or_empty(port: int, process: subprocess.Popen[bytes], log: Path) -> str:
    assert process.poll() is None, log.read_text(encoding="utf-8", errors="replace")
    try:
        return _metrics(port)
    except OSError:
        return ""
