"""The ``projects`` setting: which projects, each with its own labels and name.

Per-project labels are added to every series of the project, so they must be valid Prometheus label
names and may not take over a label the exporter sets itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from otel_ovh.settings.schema import SettingsError, items, shown

# Prometheus label names; the ones the exporter sets itself cannot be reused by per-project labels.
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_PROJECT_ID = re.compile(r"^[0-9a-f]{32}$")
_RESERVED_LABEL_PREFIXES = ("__", "cloud_", "ovh_", "otel_", "http_", "network_")
_RESERVED_LABELS = frozenset({"job", "instance", "le", "quantile"})
_PROJECT_KEYS = ("id", "labels", "name")


@dataclass(frozen=True)
class ProjectSettings:
    id: str
    labels: Mapping[str, str] = field(default_factory=dict)
    name: str | None = None


def projects(key: str, value: Any) -> tuple[ProjectSettings, ...]:
    projects: list[ProjectSettings] = []
    for index, entry in enumerate(items(key, value)):
        project = _project(f"{key}[{index}]", entry)
        if any(p.id == project.id for p in projects):
            raise SettingsError(f"{key}[{index}].id", f"project {project.id} is listed twice")
        projects.append(project)
    return tuple(projects)


def _project(key: str, entry: Any) -> ProjectSettings:
    if isinstance(entry, str):
        entry = {"id": entry}
    if not isinstance(entry, Mapping):
        raise SettingsError(key, f"must be a mapping with an id, got {shown(entry)}")
    entry = {str(k).lower() if str(k).lower() in _PROJECT_KEYS else str(k): v for k, v in entry.items()}
    for unknown in sorted(set(entry) - set(_PROJECT_KEYS)):
        raise SettingsError(f"{key}.{unknown}", f"unknown setting (known: {', '.join(_PROJECT_KEYS)})")
    project_id = str(entry.get("id", "")).strip().lower()
    if not _PROJECT_ID.match(project_id):
        raise SettingsError(f"{key}.id", f"must be 32 hexadecimal characters, got {entry.get('id')!r}")
    labels = entry.get("labels") or {}
    if not isinstance(labels, Mapping):
        raise SettingsError(f"{key}.labels", f"must be a mapping of label: value, got {shown(labels)}")
    for name, label_value in labels.items():
        if not _LABEL_NAME.match(str(name)):
            raise SettingsError(
                f"{key}.labels", f"{name!r} is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)"
            )
        if name in _RESERVED_LABELS or str(name).startswith(_RESERVED_LABEL_PREFIXES):
            raise SettingsError(f"{key}.labels", f"{name!r} is reserved for the exporter's own labels")
        if not isinstance(label_value, str | int | float) or isinstance(label_value, bool):
            raise SettingsError(f"{key}.labels.{name}", f"must be text, got {shown(label_value)}")
    name = entry.get("name")
    labels = {str(k): str(v) for k, v in labels.items()}
    return ProjectSettings(id=project_id, labels=labels, name=str(name) if name is not None else None)
