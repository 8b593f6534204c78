"""The benchmark script runs end to end in ``--quick`` mode and prints its table (no speed is asserted here).

Speed targets are the benchmark's business (it prints them against their targets); this test only keeps
the script working as the code under it changes: processes start, every phase finishes, every row prints.
The same for ``--against REV``: both versions run and the comparison table has a number in both columns.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROWS = (
    "/metrics latency, OVH",
    "/metrics latency, idle process",
    "baseline scrape latency",
    "baseline median / otel-ovh median",
    "refresh wall time, concurrency 8",
    "refresh wall time, concurrency 1",
    "OVH calls per refresh per project, warm",
    "ceiling 20 calls/s",
    "peak RSS of otel-ovh",
    "CPU per refresh",
    "CPU per scrape",
)
COMPARED = (
    "series exported",
    "OVH calls per project per refresh, warm",
    "OVH calls per project per refresh, cold",
    "refresh wall time, concurrency 8, cold",
    "refresh wall time, warm",
    "CPU per refresh (warm",
    "scrape p50 under refresh, OVH 20 ms/call",
    "scrape p99 under refresh, OVH 20 ms/call",
    "scrape p99 under refresh, OVH 50 ms/call",
    "scrape p99, idle process",
    "CPU per scrape",
    "peak RSS (VmHWM",
)


def run_bench(*args: str, tmp: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    if tmp is not None:
        env["TMPDIR"] = str(tmp)
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench", "--quick", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def test_quick_benchmark_prints_its_table() -> None:
    out = run_bench().stdout
    assert "machine:" in out
    for row in ROWS:
        assert row in out, (row, out)
    assert "/cloud/project/{serviceName}/usage/current  (cost)" in out


def test_quick_comparison_prints_both_versions_side_by_side(tmp_path: Path) -> None:
    if subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, check=False).returncode:
        pytest.skip("not a git checkout")
    out = run_bench("--against", "HEAD", tmp=tmp_path).stdout
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("figure"))
    assert re.split(r"\s{2,}", lines[header]) == ["figure", "HEAD", "working tree", "change"]
    rows = {}
    for line in lines[header + 2 :]:
        if not line.strip():
            break
        figure, *cells = re.split(r"\s{2,}", line)
        rows[figure] = cells
    for wanted in COMPARED:
        figure = next((f for f in rows if f.startswith(wanted)), None)
        assert figure is not None, (wanted, out)
        before, after, change = rows[figure]
        assert re.match(r"\d", before) and re.match(r"\d", after), (figure, rows[figure])
        assert change in {"same", "n/a (REV 0)"} or re.match(r"[+-]\d", change), (figure, change)
    assert re.search(r"^\s+\d+\.\d\d\s+\d+\.\d\d  /cloud/project/\{serviceName\}/usage/current", out, re.M)
    assert list(tmp_path.iterdir()) == []  # both trees and the logs went with the run's temporary directory
