"""The README is part of the product: its set-up commands and its settings reference must stay true."""

from __future__ import annotations

import re
from pathlib import Path

from otel_ovh.config import known_settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_with_its_variable() -> None:
    for key in known_settings():
        if key in ("projects",):
            assert f"| `{key}` |" in README
            continue
        assert re.search(rf"\| `{re.escape(key)}`[^|]*\|", README), (
            f"{key} is missing from the settings reference"
        )
        section, _, rest = key.partition(".")
        variable = f"OTEL_OVH_{section.upper()}" + (f"__{rest.upper().replace('.', '__')}" if rest else "")
        assert variable in README, f"{variable} is missing"


def test_ci_runs_exactly_the_readme_test_command() -> None:
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    first = [line for line in blocks[0].splitlines() if line and not line.startswith("#")]
    assert len(first) == 2, "the README starts with two commands: run it, test it"
    install_and_run, test = first
    assert "pip install ." in install_and_run and "otel-ovh serve --demo" in install_and_run
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert f"exec {test}" in ci
