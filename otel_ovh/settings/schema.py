"""Declaring a setting once: frozen dataclasses are the schema, each setting a field made by ``setting()``.

A field carries its default and, in its metadata, its meaning, its converter and how its default is
documented; a field whose default is another dataclass is a section. Everything else follows from that
one declaration: the environment variable (``<PREFIX>_<SECTION>__<KEY>``), the README's settings table,
the settings as ``check-config`` prints them, and (``settings_loader``) the dynaconf validators and the
refusal of unknown keys. Nothing here knows a particular setting, so that a package can declare its own
section (``otel_ovh.settings.otlp``) without importing ``otel_ovh.settings.config``.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")
Convert = Callable[[str, Any], Any]
"""``(dotted key, value as loaded) -> typed value``; ``None`` means "not given" (the default applies)."""


class SettingsError(ValueError):
    """A setting is missing or wrong; ``key`` is its dotted path, shown to the user."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


class Secret:
    """A credential that prints as ``***`` so it cannot leak through logs, reprs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclasses.dataclass(frozen=True)
class Spec:
    """What a field's metadata says about the setting it holds."""

    meaning: str
    convert: Convert
    doc_default: str | None  # the README's default column when the value alone would mislead
    derive: Callable[[Callable[[str], Any]], Any] | None  # a default computed from other settings
    secret: bool  # masked in check-config and in logs (for a mapping: its values)
    verbatim: bool  # an environment value is this text, never parsed as TOML (credentials, addresses)


def setting(
    default: T,
    meaning: str,
    *,
    convert: Convert,
    doc_default: str | None = None,
    derive: Callable[[Callable[[str], Any]], T] | None = None,
    secret: bool = False,
    verbatim: bool = False,
) -> T:
    """A dataclass field declaring one setting; an unhashable default (a mapping) is copied per instance."""
    metadata = {"setting": Spec(meaning, convert, doc_default, derive, secret, verbatim)}
    if default.__class__.__hash__ is None:
        return dataclasses.field(default_factory=lambda: copy.copy(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


# --------------------------------------------------------------------------------------------------
# Walking the declaration


def section_type(field: dataclasses.Field[Any]) -> type | None:
    factory = field.default_factory
    return factory if isinstance(factory, type) and dataclasses.is_dataclass(factory) else None


def is_declared(field: dataclasses.Field[Any]) -> bool:
    return "setting" in field.metadata or section_type(field) is not None


def declared(schema: type, prefix: str = "") -> Iterator[tuple[str, dataclasses.Field[Any], Spec]]:
    """Every setting under ``schema``, depth first in declaration order, with its dotted key."""
    for field in dataclasses.fields(schema):
        spec = field.metadata.get("setting")
        section = section_type(field)
        if spec is not None:
            yield prefix + field.name, field, spec
        elif section is not None:
            yield from declared(section, f"{prefix}{field.name}.")


def default_of(field: dataclasses.Field[Any]) -> Any:
    return field.default if field.default_factory is dataclasses.MISSING else field.default_factory()


def variable(env_prefix: str, key: str) -> str:
    """``collect.regions.include`` -> ``OTEL_OVH_COLLECT__REGIONS__INCLUDE`` (dynaconf's nesting)."""
    return f"{env_prefix}_" + "__".join(key.upper().split("."))


def describe(instance: Any) -> dict[str, Any]:
    """The settings as a user writes them: sections nested, file keys, secrets as ``***``, YAML types."""
    shown_values: dict[str, Any] = {}
    for field in dataclasses.fields(instance):
        spec = field.metadata.get("setting")
        value = getattr(instance, field.name)
        if spec is not None:
            shown_values[field.name] = _as_written(value, masked=spec.secret)
        elif section_type(field) is not None:
            shown_values[field.name] = describe(value)
    return shown_values


def _as_written(value: Any, *, masked: bool = False) -> Any:
    if isinstance(value, Secret):
        return "***"
    if isinstance(value, Mapping):
        return {str(k): "***" if masked else _as_written(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _as_written(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, frozenset | set):
        return sorted(_as_written(v) for v in value)
    if isinstance(value, tuple | list):
        return [_as_written(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def secret_values(instance: Any) -> list[str]:
    """Every value to keep out of logs: ``Secret`` settings, and the values of mappings declared secret."""
    found: list[str] = []
    for field in dataclasses.fields(instance):
        spec = field.metadata.get("setting")
        value = getattr(instance, field.name)
        if isinstance(value, Secret):
            found.append(value.reveal())
        elif spec is not None and spec.secret and isinstance(value, Mapping):
            found += [str(v) for v in value.values()]
        elif spec is None and section_type(field) is not None:
            found += secret_values(value)
    return found


def reference_table(schema: type, env_prefix: str) -> str:
    """The README's settings table: key, variable, default, meaning, in declaration order."""
    rows = ["| key | environment variable | default | meaning |", "|---|---|---|---|"]
    for key, field, spec in declared(schema):
        default = spec.doc_default if spec.doc_default is not None else _documented(default_of(field))
        rows.append(f"| `{key}` | `{variable(env_prefix, key)}` | {default} | {spec.meaning} |")
    return "\n".join(rows) + "\n"


def _documented(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and value.is_integer():
        return f"`{int(value)}`"
    if isinstance(value, frozenset | tuple | list | Mapping) and not value:
        return "`{}`" if isinstance(value, Mapping) else "`[]`"
    return f"`{value}`"


# --------------------------------------------------------------------------------------------------
# Converters: ``(key, value) -> typed value``; a wrong value raises SettingsError naming the key


def shown(value: object) -> str:
    """A value in an error message, in YAML's words rather than Python's or dynaconf's class names
    (``DataDict``, ``BoxList``), which mean nothing to the person who wrote the file; a secret stays
    hidden."""
    if isinstance(value, Secret):
        return "a secret"
    kinds: tuple[tuple[type | tuple[type, ...], str], ...] = (
        (bool, "boolean"),
        ((int, float), "number"),
        (str, "text"),
        (Mapping, "mapping"),
        ((list, tuple), "list"),
    )
    word = next((name for kind, name in kinds if isinstance(value, kind)), "value")
    plain = json.dumps(value, default=str) if isinstance(value, Mapping | list | tuple) else repr(value)
    return f"{word} {plain}"


def listed(options: Iterable[str], last: str) -> str:
    words = list(options)
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"


def items(key: str, value: Any) -> list[Any]:
    """A list, from YAML or from the environment's comma-separated text (the one list parser)."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    raise SettingsError(key, f"must be a list, got {shown(value)}")


def names(key: str, value: Any) -> frozenset[str]:
    listed = items(key, value)
    if not all(isinstance(v, str) for v in listed):
        raise SettingsError(key, f"must be a list of names, got {value!r}")
    return frozenset(v.strip() for v in listed)


def text(key: str, value: Any) -> str | None:
    if value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise SettingsError(key, f"must be text, got {type(value).__name__}")
    return str(value).strip() or None


def secret(key: str, value: Any) -> Secret | None:
    if isinstance(value, Secret):
        return value
    given = text(key, value)
    return Secret(given) if given is not None else None


def boolean(key: str, value: Any) -> bool:
    if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0", "on", "off"):
        return value.lower() in ("true", "yes", "1", "on")
    if not isinstance(value, bool):
        raise SettingsError(key, f"must be true or false, got {value!r}")
    return value


def number(minimum: float) -> Convert:
    def convert(key: str, value: Any) -> float:
        given = value
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise SettingsError(key, f"must be a number, got {given!r}") from None
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise SettingsError(key, f"must be a number, got {given!r}")
        if value < minimum:
            raise SettingsError(key, f"must be at least {minimum:g}, got {given!r}")
        return float(value)

    return convert


def integer(minimum: int, maximum: int | None = None) -> Convert:
    at_least = number(minimum)

    def convert(key: str, value: Any) -> int:
        converted = at_least(key, value)
        if converted != int(converted):
            raise SettingsError(key, f"must be a whole number, got {value!r}")
        if maximum is not None and converted > maximum:
            raise SettingsError(key, f"must be between {minimum} and {maximum}, got {int(converted)}")
        return int(converted)

    return convert


def choice(*options: str, normalise: Callable[[str], str] = str) -> Convert:
    def convert(key: str, value: Any) -> str | None:
        given = text(key, value)
        if given is None:
            return None
        if normalise(given) not in options:
            raise SettingsError(key, f"must be {listed(options, 'or')}, got {value!r}")
        return normalise(given)

    return convert


def existing_file(key: str, value: Any) -> Path | None:
    given = text(key, value)
    if given is None:
        return None
    path = Path(given).expanduser()
    if not path.is_file():
        raise SettingsError(key, f"file {given!r} does not exist")
    return path


def http_url(example: str) -> Convert:
    def convert(key: str, value: Any) -> str | None:
        given = text(key, value)
        if given is None:
            return None
        parts = urlsplit(given)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError(key, f"{given!r} is not an http(s) URL such as {example}")
        return given

    return convert


def text_map(key: str, value: Any) -> dict[str, str]:
    """A mapping of text, or ``k=v,k=v`` text (how the environment gives one).

    Its values are secrets where it is used (OTLP headers): an error names the entry, never its value.
    """
    if isinstance(value, str):
        entries = items(key, value)
        for index, entry in enumerate(entries):
            if "=" not in entry:
                raise SettingsError(key, f"entry {index + 1} is not name=value")
        value = dict(entry.split("=", 1) for entry in entries)
    if not isinstance(value, Mapping):
        raise SettingsError(key, f"must be a mapping of name: value, got {shown(value).split()[0]}")
    return {str(k).strip(): str(v).strip() for k, v in value.items()}
