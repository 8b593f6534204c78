"""dynaconf, driven by a schema of ``settings_schema`` declarations: sources in, typed frozen settings out.

dynaconf merges the sources (YAML files, then environment variables, then values given by the program)
and runs one ``Validator`` per declared setting, which fills in the default and stores the value our
declaration's converter made (its ``cast``); the dataclass tree is then built from what dynaconf holds.

What dynaconf does not do, or does otherwise, is done here, each for a behaviour of dynaconf's own:

* **Environment variables are handed to dynaconf here**, not read by its environment loader. That
  loader reads ``os.environ`` only (``load`` takes the mapping to read, for ``parse_settings`` and the
  tests); it would take ``OTEL_OVH_SECRETS_FILE``, which names a file, for a setting; and it parses every
  value as TOML, which a credential must not go through: ``1e3`` becomes the float 1000.0 and ``0x1F``
  the integer 31. Each variable is given to dynaconf's ``set`` as its loader would (``tomlfy``, its
  ``boolean_fix``), except the settings declared verbatim, which are set as written.
* **No value is a dynaconf command** (``auto_cast=False``): by default dynaconf evaluates a value that
  starts with ``@read_file``, ``@format``, ``@jinja``, ``@int``... in a file or a variable alike, so a
  secret written ``@read_file /etc/hostname`` would be that file's content rather than itself.
* **An undeclared key is refused** (``check_keys``): dynaconf keeps any key, so a misspelt section or
  setting would be silently ignored.
* **A missing or unreadable file is refused** (``readable_yaml``): dynaconf skips a settings file that
  does not exist, and lets PyYAML's exception out of a broken one.
* **Messages are ours**: a ``Validator``'s own checks say ``collect.interval must gte 1 but it is 0 in
  env main``; the declarations' converters, run as the validators' ``cast``, raise ``SettingsError``
  naming the key (``OTEL_OVH_<SECTION>__<KEY>`` too) in plain words, and a list may be written in a
  variable as comma-separated values, which dynaconf leaves as one string.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml

from otel_ovh.settings.schema import (
    SettingsError,
    Spec,
    declared,
    default_of,
    is_declared,
    listed,
    section_type,
    shown,
    variable,
)

T = TypeVar("T")


def readable_yaml(path: Path, what: str) -> Path:
    """dynaconf skips a missing file silently; a typo in --config must not start an exporter on defaults."""
    expanded = path.expanduser()
    if not expanded.is_file():
        raise SettingsError(what, f"file {str(path)!r} does not exist or is not a file")
    try:
        with expanded.open(encoding="utf-8") as handle:
            content = yaml.safe_load(handle)
    except OSError as exc:
        raise SettingsError(what, f"cannot read {str(path)!r}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise SettingsError(what, f"{str(path)!r} is not UTF-8 text (byte {exc.start + 1})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise SettingsError(what, f"{str(path)!r} is not valid YAML{where}: {problem}") from None
    if content is not None and not isinstance(content, dict):
        kind = (
            "a list"
            if isinstance(content, list)
            else "plain text"
            if isinstance(content, str)
            else "one value"
        )
        raise SettingsError(what, f"{str(path)!r} must be a YAML mapping (ovh:, collect:…), it is {kind}")
    return expanded


def load(
    schema: type[T],
    files: Sequence[Path] = (),
    *,
    environ: Mapping[str, str],
    env_prefix: str,
    ignored_variables: Collection[str] = (),
    given: Mapping[str, Any] | None = None,
) -> T:
    """The settings from ``files``, then ``<env_prefix>_*`` variables of ``environ``, then ``given``
    (nested like the YAML), each source winning over the previous one."""
    from dynaconf import Dynaconf
    from dynaconf.utils.parse_conf import boolean_fix

    # envvar_prefix=None: dynaconf would read os.environ; the variables are set below, from ``environ``.
    # auto_cast=False: a value is never a dynaconf command (``@read_file``, ``@format``, ``@int``...).
    loaded = Dynaconf(
        envvar_prefix=None,
        settings_files=[str(f) for f in files],
        environments=False,
        merge_enabled=True,
        auto_cast=False,
    )
    verbatim = {variable(env_prefix, key) for key, _, spec in declared(schema) if spec.verbatim}
    for name, value in environ.items():
        if name.startswith(f"{env_prefix}_") and name not in ignored_variables:
            as_written = name.upper() in verbatim
            loaded.set(
                name[len(env_prefix) + 1 :],
                value if as_written else boolean_fix(value),
                loader_identifier="environment",
                tomlfy=not as_written,
            )
    if given:
        loaded.update(copy.deepcopy(dict(given)), loader_identifier="given")
    for empty_section in check_keys(loaded.as_dict(), schema):
        loaded.set(empty_section, {})
    # The sources merge (a secrets file adds keys to a section); a converted value replaces the loaded one.
    loaded.set("MERGE_ENABLED_FOR_DYNACONF", False)
    loaded.validators.register(*validators(schema))
    loaded.validators.validate()
    return build(schema, loaded.get)


def check_keys(values: Mapping[Any, Any], schema: type, prefix: str = "") -> list[str]:
    """Refuse an undeclared key or a section that is not a mapping; return the sections left empty.

    Keys are compared case-insensitively: dynaconf upper-cases those that come from the environment.
    """
    fields = {field.name: field for field in dataclasses.fields(schema) if is_declared(field)}
    empty: list[str] = []
    for raw_key, value in values.items():
        key = str(raw_key).lower()
        field = fields.get(key)
        if field is None:
            raise SettingsError(prefix + key, f"unknown setting (known: {', '.join(fields)})")
        section = section_type(field)
        if section is None:
            continue
        if value is None:
            empty.append(prefix + key)
        elif not isinstance(value, Mapping):
            keys = [f.name for f in dataclasses.fields(section) if is_declared(f)]
            raise SettingsError(
                prefix + key, f"must be a mapping with {listed(keys, 'and')}, got {shown(value)}"
            )
        else:
            empty += check_keys(value, section, f"{prefix}{key}.")
    return empty


def validators(schema: type) -> list[Any]:
    """One dynaconf ``Validator`` per setting: it fills in the default and stores the converted value."""
    from dynaconf import Validator

    return [
        Validator(
            key,
            default=_default_for(field, spec),
            cast=_caster(key, spec, default_of(field)),
            apply_default_on_none=True,
            description=spec.meaning,
        )
        for key, field, spec in declared(schema)
    ]


def _default_for(field: dataclasses.Field[Any], spec: Spec) -> Any:
    derive = spec.derive
    if derive is None:
        return default_of(field)
    return lambda settings, _validator: derive(settings.get)


def _caster(key: str, spec: Spec, default: Any) -> Callable[[Any], Any]:
    def cast(value: Any) -> Any:
        converted = None if value is None else spec.convert(key, value)
        return default if converted is None else converted

    return cast


def build(schema: type[T], get: Callable[[str], Any], prefix: str = "") -> T:
    """The dataclass tree from the validated values (dynaconf hands lists and mappings back as its own)."""
    values: dict[str, Any] = {}
    for field in dataclasses.fields(schema):  # type: ignore[arg-type]
        section = section_type(field)
        if "setting" in field.metadata:
            values[field.name] = _plain(get(prefix + field.name))
        elif section is not None:
            values[field.name] = build(section, get, f"{prefix}{field.name}.")
    return schema(**values)


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_plain(item) for item in value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value
