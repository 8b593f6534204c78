"""What a newcomer sees in the series: no empty or duplicate labels, byte quotas in bytes, a stable
instance id, a demo that says it is one, a clean ``Server`` header; all through the real CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
SERIES = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "otel_ovh", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(home)},  # no HOSTNAME exported, as in many shells
        cwd=ROOT,
        check=True,
    )


def series(text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    found = []
    for line in text.splitlines():
        match = SERIES.match(line)
        if match and not line.startswith("#"):
            found.append((match.group(1), LABEL.findall(match.group(2) or "")))
    return found


def test_no_empty_or_duplicate_label_and_no_series_merged(tmp_path: Path) -> None:
    text = cli("collect", "--demo", "--format", "prometheus", home=tmp_path).stdout
    found = series(text)
    assert found
    for name, labels in found:
        keys = [key for key, _ in labels]
        assert len(keys) == len(set(keys)), (name, labels)
        assert all(value != "" for _, value in labels), (name, labels)
    assert [s for s, n in Counter((n, tuple(sorted(ls))) for n, ls in found).items() if n > 1] == []
    gc = [labels for name, labels in found if name == "python_gc_collections_total"]
    assert gc and all([key for key, _ in labels] == ["generation"] for labels in gc)
    assert not [name for name, _ in found if name.startswith(("cpython_", "process_cpu_time"))]

    # Leaving the empty labels out merged nothing: as many cost points as the JSON report has.
    points = json.loads(cli("collect", "--demo", "--format", "json", home=tmp_path).stdout)["points"]
    cost_points = [p for p in points if p["prometheus_name"] == "ovh_cloud_cost_total"]
    assert len(cost_points) == sum(1 for name, _ in found if name == "ovh_cloud_cost_total")
    assert all("" not in p["attributes"].values() for p in points)


def test_json_units_of_byte_quotas(tmp_path: Path) -> None:
    points = json.loads(cli("collect", "--demo", "--format", "json", home=tmp_path).stdout)["points"]
    quotas = {
        (p["attributes"]["ovh.quota"], p["unit"]) for p in points if p["metric"] == "ovh.cloud.quota.limit"
    }
    assert ("ram_bytes", "By") in quotas and ("instances", "{quota}") in quotas
    assert all((unit == "By") == quota.endswith("_bytes") for quota, unit in quotas)


def test_the_instance_id_is_the_same_on_every_start(tmp_path: Path) -> None:
    def instance_id() -> str:
        text = cli("collect", "--demo", "--format", "prometheus", home=tmp_path).stdout
        return dict(next(labels for name, labels in series(text) if name == "target_info"))[
            "service_instance_id"
        ]

    assert instance_id() == instance_id()


def test_serve_demo_says_so_first_and_sends_a_clean_server_header(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "otel_ovh", "serve", "--demo"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OTEL_OVH_PROMETHEUS__PORT": str(port)},
            cwd=ROOT,
        )
    try:
        deadline, server = time.monotonic() + 30, None
        while server is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    server = response.headers["Server"]
            except OSError:
                time.sleep(0.2)
        assert server == "otel-ovh"
    finally:
        process.terminate()
        process.wait(10)
    first = log.read_text().splitlines()[0]
    assert "demo mode" in first and "SIMULATED" in first, first
