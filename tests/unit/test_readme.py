"""The README is part of the product: its set-up commands and its settings reference must stay true."""

from __future__ import annotations

import re
from pathlib import Path

from otel_ovh.settings import doc as settings_doc

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_settings_reference_is_generated_from_the_declarations() -> None:
    assert settings_doc.BEGIN in README and settings_doc.END in README
    assert settings_doc.updated(README) == README, (
        "the README's settings reference is out of date: run `python -m otel_ovh.settings.doc`"
    )


def test_ci_runs_exactly_the_readme_test_command() -> None:
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    first = [line for line in blocks[0].splitlines() if line and not line.startswith("#")]
    assert len(first) == 2, "the README starts with two commands: run it, test it"
    install_and_run, test = first
    assert "pip install ." in install_and_run and "otel-ovh serve --demo" in install_and_run
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert f"exec {test}" in ci
