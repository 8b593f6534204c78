"""The ``state`` section: where the last data served is kept across restarts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from otel_ovh.settings.schema import SettingsError, setting, text


def _state_path(key: str, value: Any) -> Path | None:
    given = text(key, value)
    if given is None:
        return None
    path = Path(given).expanduser()
    if path.is_dir():
        raise SettingsError(key, f"{given!r} is a directory; name a file in it")
    return path


@dataclass(frozen=True)
class StateSettings:
    path: Path | None = setting(
        None,
        "file holding the last data served, written after each refresh and served at start until the "
        "first refresh ends (off when unset); its directory must be writable",
        convert=_state_path,
        verbatim=True,
    )
