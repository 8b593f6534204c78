"""The command line as users run it: ``collect --once`` in each format, ``check-config``, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from otel_ovh.families import FAMILIES
from tests.support.prometheus import promtool_check_metrics
from tests.support.table import read_table

ROOT = Path(__file__).resolve().parents[2]


def otel_ovh(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it: a clean environment with only PATH, HOME and what the test sets."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), **env}
    return subprocess.run(
        [sys.executable, "-m", "otel_ovh", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )


def test_collect_once_json(tmp_path: Path) -> None:
    result = otel_ovh("collect", "--once", "--demo", "--format", "json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    rows = report["points"]
    account_wide = [row for row in rows if "cloud.account.id" not in row["attributes"]]
    # the account-wide families' own (the price list, the whole account), and their health
    assert {row["metric"] for row in account_wide} == {
        metric.name for family in FAMILIES if family.account for metric in family.metrics
    } | {"otel_ovh.account.collection.success"}
    projects = {row["attributes"]["cloud.account.id"] for row in rows if row not in account_wide}
    assert len(projects) == 3
    metrics = {row["metric"] for row in rows}
    assert {
        "ovh.cloud.cost",
        "ovh.cloud.quota.limit",
        "ovh.cloud.volume.size",
        "ovh.cloud.storage.size",
        "ovh.cloud.instance.vcpus",
        "ovh.cloud.cost.forecast",
    } <= metrics
    cost = [row for row in rows if row["metric"] == "ovh.cloud.cost"]
    assert all(
        row["prometheus_name"] == "ovh_cloud_cost_total" and "ovh.currency" in row["attributes"]
        for row in cost
    )


def test_collect_once_prometheus_passes_promtool(tmp_path: Path) -> None:
    result = otel_ovh("collect", "--once", "--demo", "--format", "prometheus", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "ovh_cloud_cost_total{" in result.stdout
    ok, output = promtool_check_metrics(result.stdout)
    assert ok, output


def test_collect_once_table_for_people(tmp_path: Path) -> None:
    result = otel_ovh("collect", "--once", "--demo", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # progress only on a terminal
    assert result.stdout.split()[:5] == ["project", "id", "status", "month-to-date", "forecast"]
    rows = read_table(result.stdout)
    total = rows.pop("total")
    assert list(rows) == ["data-platform", "prod-eu", "staging"]  # names, whole
    assert all(row["status"] == "ok" and row["forecast"].endswith(" EUR") for row in rows.values())
    assert total["status"] == "3 ok"

    def amount(row: dict[str, str]) -> float:
        return float(row["month-to-date"].removesuffix(" EUR").replace(",", ""))

    assert amount(total) == pytest.approx(sum(amount(row) for row in rows.values()), abs=0.011)


def test_collect_once_json_says_when_and_how_each_project_fared(tmp_path: Path) -> None:
    report = json.loads(otel_ovh("collect", "--demo", "--format", "json", home=tmp_path).stdout)
    assert report["timestamp"].endswith("+00:00")
    assert [(p["name"], p["status"], p["errors"]) for p in report["projects"]] == [
        ("data-platform", "ok", []),
        ("prod-eu", "ok", []),
        ("staging", "ok", []),
    ]


def test_failure_reasons_are_whole_and_on_their_own_lines(tmp_path: Path) -> None:
    """A project whose quota answers 403: its row says FAILED, the reason follows in full."""
    from otel_ovh.simulator import Fault, SimulatedOvh, World, WorldShape

    sim = SimulatedOvh(World(seed=7, shape=WorldShape(projects=2)), port=0).start()
    try:
        broken = sim.world.project_ids[0]
        sim.faults.add(Fault(project=broken, path="quota", status=403, error_code="NOT_GRANTED_CALL"))
        env = {f"OTEL_OVH_OVH__{k.upper()}": v for k, v in sim.credentials.items()}
        result = otel_ovh("collect", home=tmp_path, OTEL_OVH_OVH__ENDPOINT=sim.url, **env)
    finally:
        sim.stop()
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    status = {row["id"]: row["status"] for row in read_table(result.stdout).values()}
    assert status[broken] == "FAILED"
    reasons = lines[lines.index(next(line for line in lines if line.endswith(f"({broken}) failed:"))) + 1 :]
    assert reasons and reasons[0].startswith("  - ") and "403" in reasons[0] and len(reasons[0]) > 60


def test_check_config_lists_readable_projects(tmp_path: Path) -> None:
    result = otel_ovh("check-config", "--demo", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "settings are valid" in result.stdout
    assert "credentials work: 3 project(s) readable" in result.stdout
    assert result.stdout.count("[ok]") == 3


def test_an_unreachable_endpoint_fails_in_one_line_and_says_so(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        "ovh:\n  endpoint: http://127.0.0.1:9/1.0\n  application_key: a\n"
        "  application_secret: b\n  consumer_key: c\ncollect:\n  retries: 0\n  timeout: 2\n"
    )
    result = otel_ovh("check-config", "--config", str(config), home=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("otel-ovh: OVH is unreachable at http://127.0.0.1:9/1.0")
    assert "credentials do not work" not in result.stderr and len(result.stderr.splitlines()) == 1


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = otel_ovh("--help", home=tmp_path)
    assert result.returncode == 0
    for command in ("serve", "collect", "check-config", "login", "simulate"):
        assert command in result.stdout


def test_collect_exits_1_when_the_credentials_are_refused(tmp_path: Path) -> None:
    from otel_ovh.simulator import Fault, SimulatedOvh, World, WorldShape

    sim = SimulatedOvh(World(seed=1, shape=WorldShape(projects=2)), port=0).start()
    try:
        sim.faults.add(
            Fault(project="*", path="*", kind="status", status=403, error_code="INVALID_CREDENTIAL")
        )
        env = {f"OTEL_OVH_OVH__{k.upper()}": v for k, v in sim.credentials.items()}
        result = otel_ovh("collect", "--once", home=tmp_path, OTEL_OVH_OVH__ENDPOINT=sim.url, **env)
    finally:
        sim.stop()
    assert result.returncode == 1, result.stderr
    assert "otel-ovh: no project collected" in result.stderr and "INVALID_CREDENTIAL" in result.stderr
    assert "Traceback" not in result.stderr


def test_push_only_mode_keeps_the_health_probes(tmp_path: Path) -> None:
    import socket
    import time
    import urllib.error
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "OTEL_OVH_PROMETHEUS__ENABLED": "false",
        "OTEL_OVH_OTLP__ENABLED": "true",
        "OTEL_OVH_OTLP__ENDPOINT": "http://127.0.0.1:9",
        "OTEL_OVH_PROMETHEUS__PORT": str(port),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "otel_ovh", "serve", "--demo"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline, ready = time.monotonic() + 30, b""
        while time.monotonic() < deadline and ready != b"ok\n":
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
                    ready = response.read()
            except OSError:
                time.sleep(0.2)
        assert ready == b"ok\n"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2)
        assert refused.value.code == 404  # no Prometheus endpoint when prometheus.enabled is false
    finally:
        process.terminate()
        process.wait(10)


def test_progress_on_a_terminal_only(tmp_path: Path) -> None:
    """stderr a terminal: projects done of total, OVH calls and time; the table still on stdout."""
    import fcntl
    import os
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # a terminal's size
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "otel_ovh", "collect", "--demo"],
            stdout=subprocess.PIPE,
            stderr=follower,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
            cwd=ROOT,
        )
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the other side closed: the command is done
                break
            if not chunk:
                break
            shown += chunk
        stdout, _ = process.communicate(timeout=120)
    finally:
        os.close(leader)
    assert process.returncode == 0
    text = shown.decode(errors="replace")
    assert "collect" in text and "3/3" in text and "OVH calls" in text, text
    assert b"month-to-date" in stdout


def test_collect_table_shows_each_projects_clusters_and_idle_spend_to_the_cent(tmp_path: Path) -> None:
    """The simulator on a clock stopped now, so that the table and the sums below see the same bill:
    ``k8s`` is the clusters listed, ``idle spend`` the idle volumes' and floating IPs' lines."""
    import time

    from otel_ovh.simulator import SimulatedOvh, World, WorldShape
    from tests.e2e import expected
    from tests.simulator.support import Clock

    world = World(seed=42, shape=WorldShape(projects=4), clock=Clock(time.time()))
    sim = SimulatedOvh(world, port=0).start()
    try:
        env = {f"OTEL_OVH_OVH__{k.upper()}": v for k, v in sim.credentials.items()}
        result = otel_ovh("collect", "--once", home=tmp_path, OTEL_OVH_OVH__ENDPOINT=sim.url, **env)
    finally:
        sim.stop()
    assert result.returncode == 0, result.stderr
    rows = read_table(result.stdout)
    by_id = {row["id"]: row for row in rows.values()}
    spends = []
    for pid in world.project_ids:
        row = by_id[pid]
        cents = round(expected.idle_spend(world, pid) * 100)
        spends.append(cents)
        assert row["idle spend"] == f"{cents / 100:,.2f} EUR", row
        assert row["k8s"] == str(len(world.body(expected.project_path(pid, "/kube"))))
    assert any(spends) and any(world.body(expected.project_path(pid, "/kube")) for pid in world.project_ids)
    assert rows["total"]["idle spend"] == f"{sum(spends) / 100:,.2f} EUR"
