"""``@pytest.mark.serial`` (tests.support.parallel): on several xdist workers, a serial test runs alone.

A small suite of its own runs on two workers: tests that each note when they start and end, one of them
serial. The ordinary tests must overlap one another (else the run proves nothing), and none may overlap
the serial one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SUITE = '''
import os, time, pytest

def note(name, what):
    with open(os.environ["NOTES"], "a") as notes:
        notes.write(f"{time.monotonic()} {name} {what}\\n")

@pytest.mark.parametrize("n", range(4))
def test_before(n):
    note(f"before{n}", "start"); time.sleep(0.4); note(f"before{n}", "end")

@pytest.mark.serial
def test_alone():
    note("alone", "start"); time.sleep(0.8); note("alone", "end")

@pytest.mark.parametrize("n", range(4))
def test_after(n):
    note(f"after{n}", "start"); time.sleep(0.4); note(f"after{n}", "end")
'''


def test_a_serial_test_runs_while_no_other_does(tmp_path: Path) -> None:
    (tmp_path / "test_timeline.py").write_text(SUITE, encoding="utf-8")
    notes = tmp_path / "notes"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NOTES": str(notes)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.support.parallel",
         "-n", "2", "--dist", "load", "--strict-markers", "-o", "addopts=", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    spans: dict[str, list[float]] = {}
    for line in notes.read_text(encoding="utf-8").splitlines():
        at, name, _ = line.split()
        spans.setdefault(name, []).append(float(at))
    assert len(spans) == 9 and all(len(times) == 2 for times in spans.values()), spans

    def overlap(a: str, b: str) -> bool:
        return spans[a][0] < spans[b][1] and spans[b][0] < spans[a][1]

    others = [name for name in spans if name != "alone"]
    assert any(overlap(a, b) for a in others for b in others if a < b), "the workers never ran side by side"
    assert not [name for name in others if overlap(name, "alone")], spans
