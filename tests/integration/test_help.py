"""``--help`` as a newcomer reads it: every option explained with its default, examples where a command
takes some thought, no reStructuredText quoting leaking into the terminal."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from otel_ovh.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ["serve", "collect", "check-config", "login", "backfill", "simulate"]


def help_of(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "otel_ovh", *args, "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return done.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_has_help_and_its_default(command: str) -> None:
    text = help_of(command)
    assert "``" not in text
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices[command]  # type: ignore[union-attr]
    for action in sub._actions:
        if action.help == "==SUPPRESS==" or action.dest == "help":
            continue
        assert action.help, f"{command} {action.option_strings} has no help"
        if action.default not in (None, []):
            assert re.search(rf"{re.escape(action.option_strings[-1])}.*?\(default: ", text, re.S), action


@pytest.mark.parametrize("command", ["serve", "collect", "backfill"])
def test_examples(command: str) -> None:
    text = help_of(command)
    assert re.search(rf"^examples?.*:\n  otel-ovh {command} ", text, re.M), text


def test_collect_needs_no_once(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "otel_ovh", "collect", "--demo", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_top_level_help_is_plain() -> None:
    assert "``" not in help_of()
