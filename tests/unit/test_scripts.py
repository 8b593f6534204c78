"""The repository's scripts leave the user's machine as they found it: no service stopped or restarted."""

from __future__ import annotations

import re
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def test_no_script_stops_or_restarts_a_service() -> None:
    scripts = [path for path in SCRIPTS.iterdir() if path.is_file()]
    assert scripts
    service_control = re.compile(r"\b(systemctl|service|invoke-rc\.d)\s+\S*\s*(stop|restart|kill)\b")
    touching = {p.name: m.group(0) for p in scripts if (m := service_control.search(p.read_text()))}
    assert touching == {}
