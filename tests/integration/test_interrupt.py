"""Ctrl-C on every command, as a user gives it: the command stops within 2 s, exits 130 (``serve``: 0, a
server stopped as asked) and leaves no partial output, even while OVH is slow to answer (each simulated
call takes seconds)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from tests.support.ports import free_port, wait_for_port
from tests.support.process import with_default_sigint

ROOT = Path(__file__).resolve().parents[2]
SLOW_OVH = 3.0  # seconds per simulated call: a refresh that would take far longer than the 2 s allowed


@pytest.fixture(scope="module")
def slow_sim() -> Iterator[SimulatedOvh]:
    sim = SimulatedOvh(World(seed=3, shape=WorldShape(projects=3)), port=0, latency=SLOW_OVH).start()
    yield sim
    sim.stop()


def env_for(sim: SimulatedOvh, home: Path) -> dict[str, str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "OTEL_OVH_OVH__ENDPOINT": sim.url}
    env.update({f"OTEL_OVH_OVH__{key.upper()}": value for key, value in sim.credentials.items()})
    env["OTEL_OVH_COLLECT__MAX_CALLS_PER_SECOND"] = "0"
    return env


def interrupt(
    args: list[str],
    env: dict[str, str],
    stdout: Path,
    after: float,
    sig: int,
    started: Callable[[subprocess.Popen[bytes]], None] | None = None,
) -> tuple[int, float]:
    """Start the command, send ``sig`` after ``after`` seconds (counted from ``started`` returning, when
    given: it waits until the command has started, however long a busy machine takes to start Python);
    return its exit status and how long it took to stop once signalled.

    The command starts with SIGINT at its default, as from a terminal, even when pytest itself runs with
    SIGINT ignored (a background job): the commands keep an ignored SIGINT ignored, on purpose."""
    with stdout.open("wb") as out:
        process = subprocess.Popen(
            with_default_sigint([sys.executable, "-m", "otel_ovh", *args]),
            stdout=out,
            stderr=subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )
        if started is not None:
            started(process)
        time.sleep(after)
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        signalled = time.monotonic()
        process.send_signal(sig)
        try:
            code = process.wait(10)
        finally:
            process.kill()
        stopped = time.monotonic() - signalled
        assert process.stderr is not None
        stderr = process.stderr.read().decode()
    assert "Traceback" not in stderr, stderr
    return code, stopped


@pytest.mark.parametrize(
    "args",
    [["collect", "--once", "--format", "json"], ["collect", "--once"], ["backfill"]],
    ids=" ".join,
)
def test_ctrl_c_stops_a_command_in_2s_with_130_and_no_output(
    args: list[str], slow_sim: SimulatedOvh, tmp_path: Path
) -> None:
    report = tmp_path / "report"
    code, stopped = interrupt(args, env_for(slow_sim, tmp_path), report, 1.5, signal.SIGINT)
    assert (code, report.read_bytes()) == (130, b"")
    assert stopped < 2.0


def test_ctrl_c_stops_check_config_in_2s(slow_sim: SimulatedOvh, tmp_path: Path) -> None:
    """A diagnosis, not an output file: what it printed before the interrupt stays (it is true)."""
    code, stopped = interrupt(
        ["check-config"], env_for(slow_sim, tmp_path), tmp_path / "o", 1.5, signal.SIGINT
    )
    assert code == 130 and stopped < 2.0


def test_ctrl_c_leaves_no_backfill_file(slow_sim: SimulatedOvh, tmp_path: Path) -> None:
    out = tmp_path / "history.om"
    code, stopped = interrupt(
        ["backfill", "--out", str(out)], env_for(slow_sim, tmp_path), tmp_path / "o", 1.5, signal.SIGINT
    )
    assert code == 130 and stopped < 2.0
    assert list(tmp_path.glob("*history*")) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serve_stops_in_2s_during_a_slow_refresh(sig: int, slow_sim: SimulatedOvh, tmp_path: Path) -> None:
    """A server asked to stop, by a person or a supervisor, has stopped cleanly: exit 0 either way."""
    port = free_port()
    env = {**env_for(slow_sim, tmp_path), "OTEL_OVH_PROMETHEUS__PORT": str(port)}

    def listening(process: subprocess.Popen[bytes]) -> None:
        """serve takes its signals before it listens; its first refresh starts as it listens."""

        def alive() -> None:
            assert process.poll() is None, f"serve exited with {process.returncode} before listening"

        wait_for_port(port, timeout=30, check_alive=alive)

    code, stopped = interrupt(["serve"], env, tmp_path / "log", 1.0, sig, started=listening)
    assert code == 0 and stopped < 2.0


def test_simulate_stops_on_ctrl_c(tmp_path: Path) -> None:
    args = ["simulate", "--port", str(free_port())]
    code, stopped = interrupt(
        args, {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, tmp_path / "o", 1.5, signal.SIGINT
    )
    assert code == 130 and stopped < 2.0
