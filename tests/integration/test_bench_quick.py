"""The benchmark script runs end to end in ``--quick`` mode and prints its table (no speed is asserted here).

Speed targets are the benchmark's business (it prints them against their targets); this test only keeps
the script working as the code under it changes: processes start, every phase finishes, every row prints.
The same for ``--against REV`` short of its measurements: both versions are unpacked and import, and the
comparison table has a number in both columns.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks import compare
from benchmarks.bench import Bench
from benchmarks.bench import main as bench_main

ROOT = Path(__file__).resolve().parents[2]
USAGE_ROUTE = "/cloud/project/{serviceName}/usage/current"
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
    # Usage is fetched by the cold refresh; a warm one skips it until OVH's next hourly aggregation
    # (the cost family's cadence), so its count is asserted in the cold column, whatever the warm says.
    usage = r"^\s+[1-9]\d*\.\d\d\s+\d+\.\d\d  /cloud/project/\{serviceName\}/usage/current  \(cost\)$"
    assert re.search(usage, out, re.M), out
    assert re.search(r"^\s+1\.00\s+1\.00  /cloud/project/\{serviceName\}/instance  \(instances\)$", out, re.M)


def test_comparison_unpacks_both_versions_and_prints_them_side_by_side(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--against REV`` up to the measurements: REV unpacked and the working tree copied, both importing
    from their own copy, the versions alternating phase by phase, one table with a number in both columns,
    and the run's temporary directory gone. The phases that start servers and time them are given fixed
    figures here: running them is the benchmark's own smoke run (``python -m benchmarks.bench --quick
    --against HEAD``, benchmarks/README.md), a timing run that does not belong in the suite."""
    if subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, check=False).returncode:
        pytest.skip("not a git checkout")
    ran: list[tuple[str, str]] = []

    def measured(phase: str) -> Callable[[Bench, compare.Version, compare.Run, str], None]:
        def run(bench: Bench, version: compare.Version, figures: compare.Run, tag: str) -> None:
            assert (version.path / "otel_ovh" / "__init__.py").is_file()
            assert str(version.path).startswith(str(tmp_path))
            ran.append((phase, version.key))
            slower = 1.25 if version.key == "tree" else 1.0
            figures.series = 512
            if phase == "refresh":
                figures.cold, figures.warm, figures.cpu_refresh = 2.0 * slower, 1.0 * slower, 0.3
                figures.calls = {
                    project: Counter({USAGE_ROUTE: 1, "/cloud/project/{serviceName}/quota": 2})
                    for project in bench.world.project_ids
                }
                figures.cold_calls = Counter(dict.fromkeys(bench.world.project_ids, 9))
                figures.scrapes = {
                    latency: ([0.004 * slower, 0.005, 0.006 * slower], 2)
                    for latency in {bench.args.latency, *bench.args.scrape_latencies}
                }
            else:
                figures.idle, figures.cpu_scrape = [0.003, 0.004 * slower], 0.002
            figures.hwm = max(figures.hwm, int(80e6 * slower))

        return run

    monkeypatch.setattr(compare, "refresh_and_scrapes", measured("refresh"))
    monkeypatch.setattr(compare, "idle_scrapes", measured("idle"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert bench_main(["--quick", "--against", "HEAD", "--rounds", "2"]) == 0
    out = capsys.readouterr().out
    assert ran == [
        ("refresh", "rev"), ("refresh", "tree"), ("idle", "tree"), ("idle", "rev"),
        ("refresh", "tree"), ("refresh", "rev"), ("idle", "rev"), ("idle", "tree"),
    ]
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
    assert rows["refresh wall time, warm"][2] == "+25.0 %"
    assert re.search(r"^\s+1\.00\s+1\.00  /cloud/project/\{serviceName\}/usage/current", out, re.M)
    assert list(tmp_path.iterdir()) == []  # both trees went with the run's temporary directory
