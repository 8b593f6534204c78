"""What a newcomer meets first, through the real command line: a demo that answers at once, a table that
fits a terminal, one-shot commands that speak as such, and usage errors in one plain line."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

from otel_ovh.simulator import Fault, SimulatedOvh, World, WorldShape
from tests.security.support import clean_env, run_cli, sim_env
from tests.support.ports import free_port
from tests.support.table import read_table

CREDENTIALS = ("APPLICATION_KEY", "APPLICATION_SECRET", "CONSUMER_KEY")


def otel_ovh(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env=clean_env(home, **env))


def _calls(exposition: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in exposition.splitlines()
        if line.startswith("otel_ovh_api_requests_total{")
    )


def test_the_demo_is_not_paced_by_the_ceiling_meant_for_ovh(tmp_path: Path) -> None:
    config = tmp_path / "slow.yaml"
    config.write_text("collect:\n  max_calls_per_second: 0.5\n", encoding="utf-8")
    started = time.monotonic()
    demo = otel_ovh("collect", "--demo", "--config", str(config), "--format", "prometheus", home=tmp_path)
    took = time.monotonic() - started
    assert demo.returncode == 0, demo.stderr
    calls = _calls(demo.stdout)
    assert calls > 50 and took < calls / 0.5 / 4, (calls, took)  # paced, it would take calls / 0.5 s

    # The same simulated account as a real endpoint is paced: calls leave no faster than the ceiling.
    with SimulatedOvh(World(seed=42, shape=WorldShape(projects=3))) as sim:
        env = sim_env(sim, tmp_path, OTEL_OVH_COLLECT__MAX_CALLS_PER_SECOND="50")
        started = time.monotonic()
        real = run_cli("collect", "--format", "prometheus", env=env)
        took = time.monotonic() - started
    assert real.returncode == 0, real.stderr
    assert took >= (_calls(real.stdout) - 1) / 50, took


def test_collect_speaks_as_a_one_shot_command_and_prints_no_empty_table(tmp_path: Path) -> None:
    unreachable = otel_ovh(
        "collect", home=tmp_path, OTEL_OVH_OVH__ENDPOINT=f"http://127.0.0.1:{free_port()}/1.0",
        OTEL_OVH_COLLECT__RETRIES="0", **{f"OTEL_OVH_OVH__{key}": "x" * 32 for key in CREDENTIALS},
    )  # fmt: skip
    with SimulatedOvh(World(seed=1, shape=WorldShape(projects=2))) as sim:
        refusal = Fault(project="*", path="*", kind="status", status=403, error_code="INVALID_CREDENTIAL")
        sim.faults.add(refusal)
        refused = run_cli("collect", env=sim_env(sim, tmp_path))
    for result, words in ((unreachable, "OVH is unreachable: the connection is refused"), (refused, "403")):
        assert result.returncode == 1 and result.stdout == "", result.stdout  # no table of nothing
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("otel-ovh: no project collected: "), lines
        assert words in lines[0] and "serving" not in result.stderr


def test_the_table_fits_the_terminal_and_every_amount_says_its_currency(tmp_path: Path) -> None:
    piped = otel_ovh("collect", "--demo", home=tmp_path)  # not a terminal, no COLUMNS: 120
    narrow = otel_ovh("collect", "--demo", home=tmp_path, COLUMNS="90")
    wide = otel_ovh("collect", "--demo", home=tmp_path, COLUMNS="300")
    for result, room in ((piped, 120), (narrow, 90), (wide, 300)):
        assert result.returncode == 0, result.stderr
        assert max(len(line) for line in result.stdout.splitlines()) <= room
    assert wide.stdout.count("\nproject ") == 0 and piped.stdout.count("\nproject ") >= 1  # blocks
    rows = read_table(piped.stdout)
    unwrapped = read_table(wide.stdout)  # the same cells, however wrapped (the demo's costs move)
    assert [(name, list(row)) for name, row in rows.items()] == [(n, list(r)) for n, r in unwrapped.items()]
    money = ("month-to-date", "forecast", "credits", "threshold", "plans saved", "idle spend")
    amounts = [row[column] for row in rows.values() for column in money if row[column] not in ("", "-")]
    assert {"threshold", "plans saved"} <= {c for row in rows.values() for c in money if row[c] not in "-"}
    assert amounts and all(re.fullmatch(r"-?[\d,]+\.\d\d EUR", amount) for amount in amounts), amounts


def test_usage_and_missing_settings_say_what_to_do_in_one_line(tmp_path: Path) -> None:
    bare = otel_ovh(home=tmp_path)
    assert bare.returncode == 2
    assert bare.stderr == "otel-ovh: the following arguments are required: COMMAND (see --help)\n"
    unconfigured = otel_ovh("serve", home=tmp_path)
    assert unconfigured.returncode == 2 and len(unconfigured.stderr.splitlines()) == 1, unconfigured.stderr
    assert "ovh.application_key: missing" in unconfigured.stderr and "try --demo" in unconfigured.stderr
    half = otel_ovh("serve", home=tmp_path, OTEL_OVH_OVH__APPLICATION_KEY="k" * 16)  # an account, started
    assert half.returncode == 2 and "--demo" not in half.stderr, half.stderr
    check_help = otel_ovh("check-config", "--help", home=tmp_path)
    assert check_help.returncode == 0 and "examples:\n  otel-ovh check-config --demo" in check_help.stdout
