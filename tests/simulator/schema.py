"""A validator for JSON values against the models of OVH's schema (the vendored, trimmed copy).

Strict by default, as the simulator's bodies must be: every property of a model present (OVH sends
nullable fields as null), null only where `canBeNull`, no key the model does not have, enum values
from the enum (in either case: the live API sends `ACTIVE` where the schema lists `active`, see
tests/data/captured/README.md), numbers of the right kind. `allow_missing` lists, per model, the
keys an older-shaped body may leave out.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

MODELS_FILE = Path(__file__).resolve().parents[1] / "data" / "ovh-cloud-models.json"
STRINGS = frozenset({"string", "password", "ip", "ipBlock", "text", "duration"})


class Schema:
    def __init__(self, path: Path = MODELS_FILE) -> None:
        data = json.loads(path.read_text())
        self.operations: dict[str, str] = data["operations"]
        self.models: dict[str, Any] = data["models"]

    def response_type(self, method: str, template: str) -> str:
        return self.operations[f"{method} {template}"]

    def errors(
        self,
        value: Any,
        type_name: str,
        allow_missing: Mapping[str, set[str]] | None = None,
        where: str = "$",
    ) -> list[str]:
        """Every way `value` departs from `type_name`, each as `path: problem`."""
        return list(self._check(value, type_name, allow_missing or {}, where))

    def _check(self, value: Any, type_name: str, allow: Mapping[str, set[str]], where: str) -> Any:
        mapped = re.fullmatch(r"map\[string\](.+)", type_name)
        if type_name.endswith("[]") or mapped:
            container = list if not mapped else dict
            if not isinstance(value, container):
                yield f"{where}: expected {container.__name__} for {type_name}, got {value!r:.60}"
                return
            items = enumerate(value) if isinstance(value, list) else value.items()
            inner = mapped.group(1) if mapped else type_name[:-2]
            for key, item in items:
                yield from self._check(item, inner, allow, f"{where}[{key}]")
            return
        if type_name in self.models:
            yield from self._model(value, type_name, allow, where)
            return
        problem = _primitive_problem(value, type_name)
        if problem:
            yield f"{where}: {problem}"

    def _model(self, value: Any, name: str, allow: Mapping[str, set[str]], where: str) -> Any:
        model = self.models[name]
        if "enum" in model:
            if not isinstance(value, str) or value.lower() not in {v.lower() for v in model["enum"]}:
                yield f"{where}: {value!r} is not a value of {name}"
            return
        if not isinstance(value, dict):
            yield f"{where}: expected object {name}, got {value!r:.60}"
            return
        props = model["properties"]
        for key in sorted(set(value) - set(props)):
            yield f"{where}: unknown key {key!r} in {name}"
        for key, prop in props.items():
            if key not in value:
                if key not in allow.get(name, set()):
                    yield f"{where}: missing key {key!r} of {name}"
            elif value[key] is None:
                if not prop["canBeNull"]:
                    yield f"{where}.{key}: null, but {name}.{key} cannot be null"
            else:
                yield from self._check(value[key], prop["type"], allow, f"{where}.{key}")


def _primitive_problem(value: Any, type_name: str) -> str | None:
    if type_name == "long":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif type_name == "double":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif type_name == "boolean":
        ok = isinstance(value, bool)
    elif type_name in STRINGS:
        ok = isinstance(value, str)
    elif type_name == "datetime":
        ok = isinstance(value, str) and _parses(_aware, value)
    elif type_name == "date":
        ok = isinstance(value, str) and _parses(date.fromisoformat, value)
    elif type_name == "T":  # the value of complexType.SafeKeyValue<string>, the only generic served
        ok = isinstance(value, str)
    elif type_name == "uuid":
        ok = isinstance(value, str) and _parses(uuid.UUID, value)
    else:
        return f"unknown schema type {type_name!r}"
    return None if ok else f"{value!r:.60} is not a {type_name}"


def _aware(text: str) -> datetime:
    """OVH dates always carry their offset (`Z` or `+02:00`)."""
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None or "T" not in text:
        raise ValueError(f"{text} is not a date-time with an offset")
    return parsed


def _parses(parse: Any, text: str) -> bool:
    try:
        parse(text)
    except ValueError:
        return False
    return True
