"""The benchmark script runs end to end in ``--quick`` mode and prints its table (no speed is asserted here).

Speed targets are the benchmark's business (it prints them against their targets); this test only keeps
the script working as the code under it changes: processes start, every phase finishes, every row prints.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


def test_quick_benchmark_prints_its_table() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench", "--quick"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "machine:" in out
    for row in ROWS:
        assert row in out, (row, out)
    assert "/cloud/project/{serviceName}/usage/current  (cost)" in out
