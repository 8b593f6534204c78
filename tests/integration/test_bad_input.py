"""Every bad input a user can give, on every command: exit 2, one line on stderr, no exception name."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = [["serve"], ["collect"], ["check-config"], ["backfill"], ["login"]]
PYTHON_WORDS = re.compile(r"Traceback|Exception|\w+Error\b|DataDict|BoxList|unexpected error")
FILES = {
    "a YAML list": b"- ovh\n- collect\n",
    "plain text": b"just some words\n",
    "a number": b"42\n",
    "not UTF-8": b"ovh:\n  endpoint: \xff\xfe\n",
    "broken YAML": b"ovh: [\n",
    "a wrong section": b"projects: {a: 1}\n",
}


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "otel_ovh", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(home)},
        cwd=ROOT,
        check=False,
    )


def assert_one_line(result: subprocess.CompletedProcess[str], code: int = 2) -> None:
    lines = result.stderr.strip().splitlines()
    assert (result.returncode, len(lines)) == (code, 1), result.stderr
    assert lines[0].startswith("otel-ovh: ") and not PYTHON_WORDS.search(lines[0]), lines[0]
    assert "--debug" not in lines[0]


@pytest.mark.parametrize("content", FILES.values(), ids=FILES.keys())
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("option", ["--config", "--secrets"])
def test_any_settings_file_content(command: list[str], option: str, content: bytes, tmp_path: Path) -> None:
    settings = tmp_path / "settings.yaml"
    settings.write_bytes(content)
    assert_one_line(run(*command, "--demo", option, str(settings), home=tmp_path))


@pytest.mark.parametrize(
    "args",
    [
        ["collect", "--format", "xml"],
        ["collect", "--frobnicate"],
        ["backfill", "--months", "0"],
        ["backfill", "--months", "twelve"],
        ["backfill", "--label", "no-equals-sign"],
        ["simulate", "--port", "70000"],
        ["simulate", "--port", "http"],
        ["simulate", "--projects", "0"],
        ["simulate", "--latency", "-1"],
        ["simulate", "--latency", "nan"],
        ["simulate", "--seed", "x"],
        ["serve", "--config"],
        ["nonsense"],
        [],
    ],
    ids=" ".join,
)
def test_any_flag_value(args: list[str], tmp_path: Path) -> None:
    assert_one_line(run(*args, home=tmp_path))


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def test_simulate_on_a_busy_port(busy_port: int, tmp_path: Path) -> None:
    result = run("simulate", "--port", str(busy_port), home=tmp_path)
    assert_one_line(result)
    assert "--port" in result.stderr and "already in use" in result.stderr


def test_serve_on_a_busy_port(busy_port: int, tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    keys = "  application_key: ak\n  application_secret: as\n  consumer_key: ck\n"
    config.write_text(f"ovh:\n{keys}prometheus:\n  port: {busy_port}\n")  # it fails before any OVH call
    result = run("serve", "--config", str(config), home=tmp_path)
    assert_one_line(result)
    assert "prometheus.port" in result.stderr
