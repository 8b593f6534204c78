"""Signals against the real ``otel-ovh serve`` process while OVH hangs: how long a stop takes and its exit
code, a second signal, and SIGHUP with good and with bad new settings (the data served throughout)."""

from __future__ import annotations

import re
import secrets
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from otel_ovh.simulator.faults import Fault
from tests.security.support import (
    Served,
    basic,
    clean_env,
    htpasswd_hash,
    request,
    sim_env,
    start_serve,
    write_web_config,
)
from tests.support.otlp_receiver import OtlpHttpReceiver
from tests.support.waiting import wait_until

HANGING = 30.0  # seconds a hanging OVH call or collector takes to answer: far past any stop budget
STOP_LIMIT = 5.0  # seconds from the signal to the exit, promised whatever OVH and the collector do
_SERIES = re.compile(r'^([a-z_]+)\{[^}]*cloud_account_id="([0-9a-f]{32})"[^}]*\}', re.M)


@pytest.fixture
def sim() -> Iterator[SimulatedOvh]:
    simulator = SimulatedOvh(World(seed=21, shape=WorldShape(projects=4)), port=0).start()
    yield simulator
    simulator.faults.clear()
    simulator.stop()


def write_settings(path: Path, projects: dict[str, dict[str, str]], **sections: Any) -> Path:
    raw = {"projects": [{"id": pid, "labels": labels} for pid, labels in projects.items()], **sections}
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def served_series(body: bytes) -> dict[str, set[str]]:
    """Per project id, the metric names served for it."""
    found: dict[str, set[str]] = {}
    for name, pid in _SERIES.findall(body.decode()):
        found.setdefault(pid, set()).add(name)
    return found


def label_of(body: bytes, pid: str, label: str) -> set[str]:
    return set(re.findall(rf'cloud_account_id="{pid}"[^}}]*{label}="([^"]*)"', body.decode())) | set(
        re.findall(rf'{label}="([^"]*)"[^}}]*cloud_account_id="{pid}"', body.decode())
    )


def metrics(served: Served) -> bytes:
    answer = request("127.0.0.1", served.port, "/metrics")
    assert answer.status == 200, answer
    return answer.body


def signal_and_wait(served: Served, sig: int, limit: float = 15.0) -> tuple[int, float]:
    signalled = time.monotonic()
    served.process.send_signal(sig)
    code = served.process.wait(limit)
    return code, time.monotonic() - signalled


def log_lines(served: Served, text: str) -> list[str]:
    return [line for line in served.output().splitlines() if text in line]


# -- stopping ---------------------------------------------------------------------------------------


@pytest.fixture
def hanging_collector() -> Iterator[OtlpHttpReceiver]:
    """A collector that takes every export and answers none within any stop budget."""
    with OtlpHttpReceiver() as receiver:
        receiver.set_delay(HANGING)
        yield receiver
        receiver.set_delay(0)


def serve_while_everything_hangs(sim: SimulatedOvh, collector: OtlpHttpReceiver, tmp_path: Path) -> Served:
    """``serve`` with a refresh in flight on OVH calls that hang, and an OTLP export to a collector that
    does not answer; what a stop then waits for is only what it chooses to wait for."""
    env = sim_env(
        sim,
        tmp_path,
        OTEL_OVH_COLLECT__INTERVAL="1",
        OTEL_OVH_COLLECT__TIMEOUT=str(HANGING),
        OTEL_OVH_OTLP__ENABLED="true",
        OTEL_OVH_OTLP__PROTOCOL="http/protobuf",
        OTEL_OVH_OTLP__ENDPOINT=collector.endpoint,
        OTEL_OVH_OTLP__INTERVAL="1",
    )
    served = start_serve(tmp_path / "serve", env)
    sim.faults.add(Fault(kind="slow", delay=HANGING))
    # Both count what they answered, which is nothing now: within the 1 s intervals a refresh starts
    # and an export is sent, and both hang.
    time.sleep(2.0)
    assert served.process.poll() is None
    return served


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_exits_0_within_5s_while_ovh_and_the_collector_hang(
    sig: int, sim: SimulatedOvh, hanging_collector: OtlpHttpReceiver, tmp_path: Path
) -> None:
    served = serve_while_everything_hangs(sim, hanging_collector, tmp_path)
    try:
        code, took = signal_and_wait(served, sig)
    finally:
        served.stop()
    assert code == 0, served.output()[-3000:]
    assert took < STOP_LIMIT, f"stopped in {took:.1f}s\n{served.output()[-3000:]}"
    assert "Traceback" not in served.output()


def test_a_second_signal_exits_at_once_with_one_line(
    sim: SimulatedOvh, hanging_collector: OtlpHttpReceiver, tmp_path: Path
) -> None:
    served = serve_while_everything_hangs(sim, hanging_collector, tmp_path)
    try:
        served.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)  # the first stop is now waiting on the final push to the hanging collector
        assert served.process.poll() is None, "the first stop did not wait: the second signal proves nothing"
        code, took = signal_and_wait(served, signal.SIGINT)
    finally:
        served.stop()
    assert code == 128 + signal.SIGINT, served.output()[-3000:]
    assert took < 1.0, f"left {took:.2f}s after the second signal"
    assert len(log_lines(served, "again while stopping")) == 1, served.output()[-3000:]


# -- reloading --------------------------------------------------------------------------------------


@dataclass
class Scraper:
    """Scrapes ``/metrics`` back to back, keeping what each scrape served per project, and asks
    ``/readyz`` after each."""

    served: Served
    scrapes: list[tuple[float, int, dict[str, set[str]]]] = field(default_factory=list)
    ready: list[int] = field(default_factory=list)  # /readyz, asked after each scrape
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Scraper:
        def run() -> None:
            while not self._stop.is_set():
                answer = request("127.0.0.1", self.served.port, "/metrics")
                self.scrapes.append((time.monotonic(), answer.status, served_series(answer.body)))
                self.ready.append(request("127.0.0.1", self.served.port, "/readyz").status)
                time.sleep(0.02)

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(10)


def test_sighup_applies_new_settings_and_serves_the_unchanged_data_throughout(
    sim: SimulatedOvh, tmp_path: Path
) -> None:
    kept, removed, relabelled, added = sim.world.project_ids[:4]
    config = tmp_path / "config.yaml"
    write_settings(
        config,
        {kept: {"team": "core"}, removed: {"team": "old"}, relabelled: {"team": "before"}},
        collect={"families": ["cost", "quota", "project"], "timeout": 2, "retries": 0},
        log_level="INFO",
    )
    served = start_serve(tmp_path / "serve", sim_env(sim, tmp_path), "--config", str(config))
    try:
        before = served_series(metrics(served))
        assert set(before) == {kept, removed, relabelled} and "ovh_cloud_quota_limit" in before[kept]
        # OVH hangs for the unchanged project: its data can only come from the snapshot served so far.
        sim.faults.add(Fault(project=kept, kind="slow", delay=8))
        write_settings(
            config,
            {kept: {"team": "core"}, relabelled: {"team": "after"}, added: {"team": "new"}},
            collect={"families": ["cost", "instances", "project"], "timeout": 2, "retries": 0},
            log_level="DEBUG",
        )
        with Scraper(served) as scraper:
            time.sleep(0.3)
            served.process.send_signal(signal.SIGHUP)
            body = wait_until(
                lambda: metrics(served),
                lambda b: added in served_series(b) and label_of(b, relabelled, "team") == {"after"},
                timeout=20,
                what="the added project and the new label served",
            )
            time.sleep(0.3)
        after = served_series(body)
    finally:
        served.stop()
    output = served.output()
    assert set(after) == {kept, relabelled, added}, output[-3000:]
    assert all("ovh_cloud_quota_limit" not in names for names in after.values())  # family left out
    assert "ovh_cloud_instance_vcpus" in after[relabelled] and "ovh_cloud_instance_vcpus" in after[added]
    assert "ovh_cloud_cost_total" in after[kept]  # served from before the reload: OVH hangs for it
    assert all(status == 200 for _, status, _ in scraper.scrapes)
    assert set(scraper.ready) == {200}  # ready throughout: a reload is not a start
    assert len(scraper.scrapes) > 20
    for _, _, seen in scraper.scrapes:
        assert "ovh_cloud_cost_total" in seen.get(kept, set()), "the unchanged project had a gap"
        assert "ovh_cloud_cost_total" in seen.get(relabelled, set()), "the relabelled project had a gap"
    assert removed in scraper.scrapes[0][2]  # served until the reload
    gone = [at for at, _, seen in scraper.scrapes if removed not in seen]
    assert gone and all(removed not in seen for at, _, seen in scraper.scrapes if at > gone[0])
    assert len(log_lines(served, "settings reloaded")) == 1
    reload_line = output.index("settings reloaded")
    assert " DEBUG " not in output[:reload_line] and " DEBUG " in output[reload_line:]
    assert "Traceback" not in output


def _catches(pid: int, signum: int) -> bool:
    """Whether the process has a handler for ``signum`` now (Linux: ``SigCgt`` in its status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    return False


def test_a_sighup_while_serve_starts_is_kept_for_it_not_fatal(sim: SimulatedOvh, tmp_path: Path) -> None:
    # Python's default for SIGHUP ends the process; serve takes it over before it reads its settings.
    served = start_serve(tmp_path / "serve", sim_env(sim, tmp_path), ready=False)
    try:
        pid = served.process.pid
        wait_until(
            lambda: served.process.poll() is not None or _catches(pid, signal.SIGHUP),
            bool,
            timeout=30,
            interval=0.005,
            what="serve handling SIGHUP",
        )
        served.process.send_signal(signal.SIGHUP)
        wait_until(
            lambda: served.process.poll() is not None or log_lines(served, "settings reloaded"),
            bool,
            timeout=40,
            what="the reload the early SIGHUP asked for",
        )
        assert served.process.poll() is None, served.output()[-3000:]
        assert request("127.0.0.1", served.port, "/healthz").status == 200
        code, _ = signal_and_wait(served, signal.SIGTERM)
    finally:
        served.stop()
    assert code == 0
    assert len(log_lines(served, "settings reloaded")) == 1
    assert "Traceback" not in served.output(), served.output()[-4000:]


def test_sighup_with_bad_settings_keeps_the_running_ones_with_one_line_each(
    sim: SimulatedOvh, tmp_path: Path
) -> None:
    first, second = sim.world.project_ids[:2]
    config = tmp_path / "config.yaml"
    good = {"collect": {"families": ["cost", "project"]}}
    write_settings(config, {first: {"team": "a"}}, **good)
    served = start_serve(tmp_path / "serve", sim_env(sim, tmp_path), "--config", str(config))
    try:
        running = served_series(metrics(served))
        bad = [
            ("projects: [unclosed\n", "not valid YAML"),
            (yaml.safe_dump({"collect": {"interval": -5}}), "collect.interval"),
            (yaml.safe_dump({"projects": [{"id": "not-a-project"}]}), "projects[0].id"),
            (None, "does not exist"),
        ]
        for count, (content, named) in enumerate(bad, start=1):
            if content is None:
                config.unlink()
            else:
                config.write_text(content, encoding="utf-8")
            served.process.send_signal(signal.SIGHUP)
            lines = wait_until(
                lambda: log_lines(served, "settings not reloaded"),
                lambda found, count=count: len(found) >= count,  # type: ignore[misc]
                timeout=10,
                what=f"the refusal of bad settings #{count}",
            )
            assert len(lines) == count and named in lines[-1], lines
            assert served.process.poll() is None
            assert served_series(metrics(served)) == running
        # Settings that need a restart: said once, the rest applied, the server where it was.
        write_settings(config, {first: {"team": "a"}, second: {}}, prometheus={"host": "localhost"}, **good)
        served.process.send_signal(signal.SIGHUP)
        wait_until(
            lambda: served_series(metrics(served)),
            lambda seen: second in seen,
            timeout=20,
            what="the project added by the last reload",
        )
    finally:
        served.stop()
    output = served.output()
    assert len(log_lines(served, "prometheus.host changed: that takes a restart")) == 1, output[-3000:]
    assert len(log_lines(served, "settings not reloaded")) == len(bad)
    assert len(log_lines(served, "settings reloaded")) == 1
    assert "Traceback" not in output


def test_sighup_applies_a_new_web_config_on_the_same_port_and_keeps_it_when_the_new_one_is_bad(
    sim: SimulatedOvh, tmp_path: Path
) -> None:
    config, web = tmp_path / "config.yaml", tmp_path / "web.yml"
    pid = sim.world.project_ids[0]
    write_settings(config, {pid: {}}, collect={"families": ["project"]})
    served = start_serve(tmp_path / "serve", sim_env(sim, tmp_path), "--config", str(config))
    password = "scrape-" + secrets.token_hex(8)
    try:
        assert request("127.0.0.1", served.port, "/metrics").status == 200
        write_web_config(web, {"basic_auth_users": {"prometheus": htpasswd_hash(password)}})
        with_web = {"web_config_file": str(web)}
        write_settings(config, {pid: {}}, collect={"families": ["project"]}, prometheus=with_web)
        served.process.send_signal(signal.SIGHUP)
        wait_until(
            lambda: request("127.0.0.1", served.port, "/metrics").status,
            lambda status: status == 401,
            timeout=20,
            what="/metrics asking for a password",
        )
        allowed = request("127.0.0.1", served.port, "/metrics", headers=basic("prometheus", password))
        assert allowed.status == 200 and pid in served_series(allowed.body)
        web.write_text("basic_auth_users: [", encoding="utf-8")
        served.process.send_signal(signal.SIGHUP)
        wait_until(
            lambda: log_lines(served, "settings not reloaded"),
            bool,
            timeout=10,
            what="the refusal of a broken web config",
        )
        assert request("127.0.0.1", served.port, "/metrics").status == 401
        allowed = request("127.0.0.1", served.port, "/metrics", headers=basic("prometheus", password))
        assert allowed.status == 200
    finally:
        served.stop()
    refusal = log_lines(served, "settings not reloaded")
    assert len(refusal) == 1 and "prometheus.web_config_file" in refusal[0], refusal
    assert password not in served.output()


def collection_success(body: bytes, pid: str) -> float | None:
    line = rf'^otel_ovh_collection_success\{{[^}}]*cloud_account_id="{pid}"[^}}]*\}} (\S+)$'
    found = re.search(line, body.decode(), re.M)
    return float(found.group(1)) if found else None


def test_sighup_takes_new_credentials_from_the_secrets_file(sim: SimulatedOvh, tmp_path: Path) -> None:
    """Wrong ones: the data served so far stays (flagged); right ones again: collected again."""
    pid = sim.world.project_ids[0]
    config, keys = tmp_path / "config.yaml", tmp_path / "secrets.yaml"
    write_settings(config, {pid: {}}, collect={"families": ["cost", "project"], "retries": 0})
    keys.write_text(yaml.safe_dump({"ovh": dict(sim.credentials)}), encoding="utf-8")
    keys.chmod(0o600)
    env = clean_env(tmp_path, OTEL_OVH_OVH__ENDPOINT=sim.url, OTEL_OVH_COLLECT__MAX_CALLS_PER_SECOND="0")
    wrong = "wrong-ck-" + secrets.token_hex(10)
    served = start_serve(tmp_path / "serve", env, "--config", str(config), "--secrets", str(keys))
    try:
        succeeded = wait_until(  # the self metrics are rendered every second
            lambda: collection_success(metrics(served), pid), bool, timeout=10, what="collection_success"
        )
        assert succeeded == 1
        wrong_keys = {"ovh": {**sim.credentials, "consumer_key": wrong}}
        keys.write_text(yaml.safe_dump(wrong_keys), encoding="utf-8")
        served.process.send_signal(signal.SIGHUP)
        body = wait_until(
            lambda: metrics(served),
            lambda b: collection_success(b, pid) == 0,
            timeout=20,
            what="the refresh with the wrong consumer key failing",
        )
        assert "ovh_cloud_cost_total" in served_series(body)[pid]  # still served
        keys.write_text(yaml.safe_dump({"ovh": dict(sim.credentials)}), encoding="utf-8")
        served.process.send_signal(signal.SIGHUP)
        wait_until(
            lambda: collection_success(metrics(served), pid),
            lambda success: success == 1,
            timeout=20,
            what="collection with the right credentials again",
        )
    finally:
        served.stop()
    output = served.output()
    assert len(log_lines(served, "settings reloaded")) == 2 and "OVH refuses the credentials" in output
    assert wrong not in output and sim.credentials["consumer_key"] not in output


def prometheus_sum(body: bytes, name: str) -> float:
    lines = body.decode().splitlines()
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith(name + "{"))


def test_otlp_deltas_continue_across_a_reload_that_rebuilds_the_pipelines(
    sim: SimulatedOvh, tmp_path: Path
) -> None:
    """The spend is sent once: the deltas received add up to the month-to-date total before the reload
    and after it (new pipelines that started their deltas afresh would send the whole month again)."""
    pid = sim.world.project_ids[0]
    config = tmp_path / "config.yaml"
    write_settings(config, {pid: {}}, collect={"families": ["cost", "project"]})
    with OtlpHttpReceiver() as receiver:
        env = sim_env(
            sim,
            tmp_path,
            OTEL_OVH_OTLP__ENABLED="true",
            OTEL_OVH_OTLP__PROTOCOL="http/protobuf",
            OTEL_OVH_OTLP__ENDPOINT=receiver.endpoint,
            OTEL_OVH_OTLP__INTERVAL="1",
            OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE="delta",
        )
        served = start_serve(tmp_path / "serve", env, "--config", str(config))

        def sent() -> float:
            values = [point.value for record in receiver.metrics("ovh.cloud.cost") for point in record.points]
            return sum(value for value in values if isinstance(value, int | float))

        try:
            total = prometheus_sum(metrics(served), "ovh_cloud_cost_total")
            assert total > 0
            wait_until(sent, lambda value: abs(value - total) < 0.01, timeout=20, what="the month sent once")
            write_settings(config, {pid: {}}, collect={"families": ["cost", "project", "quota"]})
            served.process.send_signal(signal.SIGHUP)
            receiver.wait_for_metric("ovh.cloud.quota.limit", timeout=20)  # the new pipelines push
            attempts = len(receiver.attempts())
            wait_until(
                lambda: len(receiver.attempts()), lambda n: n >= attempts + 4, timeout=20, what="more pushes"
            )
            total = prometheus_sum(metrics(served), "ovh_cloud_cost_total")
        finally:
            served.stop()
    assert sent() == pytest.approx(total, abs=0.01), served.output()[-3000:]
