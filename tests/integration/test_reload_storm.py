"""Reloads against the real ``otel-ovh serve``: no scrape loses the self metrics while the pipelines are
rebuilt with the OTLP collector hanging, a burst of SIGHUPs never breaks the call ceiling, and a reload
in the middle of a refresh goes on with the projects that refresh had not reached."""

from __future__ import annotations

import re
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from tests.integration.conftest import ExporterFactory
from tests.security.support import request, sim_env, start_serve
from tests.support.hostile_ovh import HostileOvh, Rule
from tests.support.otlp_receiver import OtlpHttpReceiver
from tests.support.waiting import wait_until


@pytest.fixture
def sim() -> Iterator[SimulatedOvh]:
    simulator = SimulatedOvh(World(seed=23, shape=WorldShape(projects=6)), port=0).start()
    yield simulator
    simulator.stop()


def write(path: Path, **sections: Any) -> Path:
    path.write_text(yaml.safe_dump(sections), encoding="utf-8")
    return path


def test_every_scrape_has_the_self_metrics_while_reloads_rebuild_the_pipelines(
    sim: SimulatedOvh, tmp_path: Path
) -> None:
    with OtlpHttpReceiver() as collector:
        collector.set_delay(30)  # down: takes each export and answers none within any budget
        config = tmp_path / "config.yaml"

        def settings(interval: int) -> None:  # the OTLP interval is what the pipelines are built from
            otlp = {"enabled": True, "protocol": "http/protobuf", "endpoint": collector.endpoint}
            write(config, otlp={**otlp, "interval": interval}, collect={"interval": 5})

        settings(1)
        served = start_serve(tmp_path / "serve", sim_env(sim, tmp_path), "--config", str(config))
        scrapes: list[bytes] = []
        done = threading.Event()

        def scrape() -> None:
            while not done.is_set():
                answer = request("127.0.0.1", served.port, "/metrics", timeout=10)
                scrapes.append(answer.body if answer.status == 200 else b"status %d" % answer.status)
                time.sleep(0.02)

        scraper = threading.Thread(target=scrape)
        scraper.start()
        try:
            for round_ in range(5):
                settings(2 + round_ % 2)
                served.process.send_signal(signal.SIGHUP)
                time.sleep(2.5)
        finally:
            done.set()
            scraper.join(15)
            served.stop()
            collector.set_delay(0)
    output = served.output()
    missing = [index for index, body in enumerate(scrapes) if b"otel_ovh_collection_success" not in body]
    assert not missing, f"{len(missing)} of {len(scrapes)} scrapes without the self metrics"
    assert len(scrapes) > 50
    assert output.count("settings reloaded") >= 3, output[-3000:]
    assert "Traceback" not in output


def _busiest_second(times: list[float]) -> int:
    """The most calls within any one second's window."""
    busiest, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 1.0:
            first += 1
        busiest = max(busiest, last - first + 1)
    return busiest


def test_ten_sighups_in_a_second_keep_the_call_ceiling(sim: SimulatedOvh, tmp_path: Path) -> None:
    with HostileOvh(sim) as hostile:
        config = write(tmp_path / "config.yaml", collect={"max_calls_per_second": 5, "interval": 60})
        env = sim_env(hostile, tmp_path)  # type: ignore[arg-type]
        del env["OTEL_OVH_COLLECT__MAX_CALLS_PER_SECOND"]  # the file's ceiling
        served = start_serve(tmp_path / "serve", env, "--config", str(config), ready=False)
        try:
            deadline = time.monotonic() + 30
            while len(hostile.times) < 10 and time.monotonic() < deadline:  # its first refresh is under way
                time.sleep(0.1)
            start = len(hostile.times)
            for _ in range(10):
                served.process.send_signal(signal.SIGHUP)
                time.sleep(0.1)
            time.sleep(8)
            times = list(hostile.times[start:])
        finally:
            served.stop()
    output = served.output()
    assert len(times) > 20, (len(times), output[-2000:])  # the refresh kept calling through the burst
    assert _busiest_second(times) <= 5, _busiest_second(times)
    assert 1 <= output.count("settings reloaded") <= 2, output[-3000:]


_PROJECT_CALL = re.compile(r"^/cloud/project/([0-9a-f]{32})/")


def _projects_called(paths: list[str]) -> list[str]:
    """The projects in the order their calls came, each once."""
    called: list[str] = []
    for path in paths:
        match = _PROJECT_CALL.match(path)
        if match and match.group(1) not in called:
            called.append(match.group(1))
    return called


def test_a_reload_mid_refresh_resumes_with_the_projects_it_had_not_reached(
    hostile: HostileOvh, served: ExporterFactory
) -> None:
    hostile.add(Rule("/cloud/project/*/*", delay=0.1))  # a refresh long enough to reload in
    exporter = served(concurrency=1, families=["quota", "project"])
    exporter.start()
    wait_until(
        lambda: len(_projects_called(hostile.paths)), lambda n: n >= 3, timeout=30, what="a third project"
    )
    before = _projects_called(hostile.paths)
    mark = len(hostile.paths)
    exporter.reload(exporter.settings)  # the same settings: a new refresher all the same
    wait_until(
        lambda: len(_projects_called(hostile.paths[mark:])),
        lambda n: n >= 2,
        timeout=30,
        what="the new refresh",
    )
    after = _projects_called(hostile.paths[mark:])
    # The project in flight at the reload may land first; the new refresh then goes on from there.
    assert before[0] not in after[:2], (before, after)
