"""An unreachable OVH (refused connection, unknown name, TLS to a port that speaks plain HTTP) is named as
such in the logs (one line per outage), in the metrics (``otel_ovh_api_failures_total{error_type}``) and
by ``check-config``, and never as refused credentials."""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from otel_ovh.serve.app import Exporter
from otel_ovh.settings.config import parse_settings
from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def plain_http() -> Iterator[SimulatedOvh]:
    """A server that speaks plain HTTP, for an https:// endpoint pointed at it."""
    sim = SimulatedOvh(World(seed=2, shape=WorldShape(projects=1))).start()
    yield sim
    sim.stop()


@pytest.fixture(scope="module")
def black_hole() -> Iterator[str]:
    """An address whose connections never complete: a listening socket whose accept queue is full, so
    the kernel drops the SYNs of any further connection."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    yield f"http://127.0.0.1:{port}/1.0"
    for each in [*fillers, listener]:
        each.close()


@dataclass(frozen=True)
class Case:
    endpoint: Callable[[SimulatedOvh, str], str]  # (a plain HTTP server, a black hole) -> the endpoint
    reason: str  # error.type
    words: str  # in the log line and in check-config's


CASES = {
    "refused": Case(lambda _, __: f"http://127.0.0.1:{free_port()}/1.0", "connection_refused", "refused"),
    "unknown name": Case(lambda _, __: "http://nonexistent.invalid/1.0", "dns", "does not resolve"),
    "TLS to plain HTTP": Case(lambda sim, _: sim.url.replace("http://", "https://"), "tls", "TLS fails"),
    "connect timeout": Case(lambda _, hole: hole, "connect_timeout", "connection times out"),
}


@pytest.mark.parametrize("case", CASES)
def test_the_exporter_says_ovh_is_unreachable_once_and_counts_why(
    case: str, plain_http: SimulatedOvh, black_hole: str, caplog: pytest.LogCaptureFixture
) -> None:
    reason, words = CASES[case].reason, CASES[case].words
    raw = {
        "ovh": {"endpoint": CASES[case].endpoint(plain_http, black_hole), **plain_http.credentials},
        "projects": [PROJECT],
        "collect": {"retries": 0, "timeout": 2, "max_calls_per_second": 0},
    }
    exporter = Exporter.build(parse_settings(raw), serve=False)
    try:
        started = time.monotonic()
        with caplog.at_level(logging.INFO, logger="otel_ovh"):
            for _ in range(3):
                exporter.refresher.refresh_once()
        # The calls of one refresh share the failed clock sync instead of queueing for one timeout each.
        assert time.monotonic() - started < 12
        body = exporter.telemetry.render().decode()
    finally:
        exporter.refresher.stop()
        exporter.telemetry.shutdown()
    loud = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(loud) == 1 and loud[0].startswith("OVH is unreachable:") and words in loud[0], loud
    assert not any("credentials" in r.getMessage() for r in caplog.records)
    assert not any(r.exc_info for r in caplog.records)
    failures = re.findall(rf'^otel_ovh_api_failures_total\{{.*error_type="{reason}".*\}} (\S+)$', body, re.M)
    assert failures and sum(float(v) for v in failures) >= 1, body
    assert re.search(
        rf'^otel_ovh_collection_success\{{[^}}]*cloud_account_id="{PROJECT}"[^}}]*\}} 0', body, re.M
    )


@pytest.mark.parametrize("case", CASES)
def test_check_config_says_ovh_is_unreachable_and_why(
    case: str, plain_http: SimulatedOvh, black_hole: str, tmp_path: Path
) -> None:
    words = CASES[case].words
    url = CASES[case].endpoint(plain_http, black_hole)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OTEL_OVH_OVH__ENDPOINT": url}
    env.update({f"OTEL_OVH_OVH__{k.upper()}": v for k, v in plain_http.credentials.items()})
    env.update({"OTEL_OVH_COLLECT__RETRIES": "0", "OTEL_OVH_COLLECT__TIMEOUT": "2"})
    result = subprocess.run(
        [sys.executable, "-m", "otel_ovh", "check-config"],
        capture_output=True, text=True, timeout=60, check=False, cwd=ROOT, env=env,
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"otel-ovh: OVH is unreachable at {url}: "), lines
    assert words in lines[0] and "credentials do not work" not in lines[0]


def test_the_end_of_an_outage_is_one_line_and_data_flows_again(caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    world = World(seed=4, shape=WorldShape(projects=1))
    pid = world.project_ids[0]
    sim = SimulatedOvh(world, port=port)  # not started yet: its port refuses connections
    raw = {
        "ovh": {"endpoint": f"http://127.0.0.1:{port}/1.0", **sim.credentials},
        "projects": [pid],
        "collect": {"retries": 0, "timeout": 0.5, "max_calls_per_second": 0},
    }
    exporter = Exporter.build(parse_settings(raw), serve=False)
    try:
        with caplog.at_level(logging.INFO, logger="otel_ovh.collect.refresher"):
            exporter.refresher.refresh_once()
            sim.start()
            time.sleep(0.6)  # past the window in which calls share the failed clock sync
            exporter.refresher.refresh_once()
            exporter.refresher.refresh_once()
        assert exporter.store.current.projects[pid].success
    finally:
        exporter.refresher.stop()
        exporter.telemetry.shutdown()
        sim.stop()
    said = [r.getMessage() for r in caplog.records if "OVH is unreachable" in r.getMessage()]
    assert len(said) == 1 and [r.getMessage() for r in caplog.records].count("OVH answers again") == 1


def test_collect_once_says_ovh_is_unreachable(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    env.update(
        {"OTEL_OVH_OVH__ENDPOINT": f"http://127.0.0.1:{free_port()}/1.0", "OTEL_OVH_COLLECT__RETRIES": "0"}
    )
    env.update(
        {f"OTEL_OVH_OVH__{key}": "x" for key in ("APPLICATION_KEY", "APPLICATION_SECRET", "CONSUMER_KEY")}
    )
    result = subprocess.run(
        [sys.executable, "-m", "otel_ovh", "collect", "--once", "--format", "json"],
        capture_output=True, text=True, timeout=60, check=False, cwd=ROOT, env=env,
    )  # fmt: skip
    assert result.returncode == 1 and "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("otel-ovh: no project collected: OVH is unreachable: the connection is refused")
