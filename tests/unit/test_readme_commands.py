"""The README's commands as a reader types them without activating the venv: each names
``.venv/bin/otel-ovh``, and those that need no account run as written."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"```(?:bash|sh|shell)\n(.*?)```", re.S)


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = [line.strip() for block in BLOCK.findall(text) for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def test_every_command_names_the_venv_binary() -> None:
    bare = [line for line in readme_commands() if re.search(r"(^|[\s;&|(])otel-ovh\s", line.split("#")[0])]
    assert bare == []


def test_the_demo_commands_run_as_written(tmp_path: Path) -> None:
    runnable = [
        line.split("#")[0].strip() for line in readme_commands() if "--demo" in line and "login" in line
    ]
    assert runnable
    for line in runnable:
        done = subprocess.run(
            line, shell=True, cwd=ROOT, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, (line, done.stderr)
