"""Settings: one YAML file, ``OTEL_OVH_<SECTION>__<KEY>`` variables and a secrets file, merged by dynaconf.

The result is a frozen :class:`Settings`; every later stage reads it and none of them re-reads the
environment. Validation happens here, once, so that a bad value is reported with the key that holds it
(exit code 2) instead of surfacing later as an exception deep inside a refresh.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

ENV_PREFIX = "OTEL_OVH"
DEFAULT_SECRETS_FILE = Path("~/.config/otel-ovh/secrets.yaml")

FAMILIES = ("cost", "forecast", "quota", "instances", "volumes", "storage", "project")

# Prometheus label names; the ones the exporter sets itself cannot be reused by per-project labels.
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_PROJECT_ID = re.compile(r"^[0-9a-f]{32}$")
_RESERVED_LABEL_PREFIXES = ("__", "cloud_", "ovh_", "otel_", "http_", "network_")
_RESERVED_LABELS = frozenset({"job", "instance", "le", "quantile"})
_SHARD = re.compile(r"^(\d+)/(\d+)$")


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


@dataclass(frozen=True)
class OvhSettings:
    endpoint: str = "ovh-eu"
    application_key: str | None = None
    application_secret: Secret | None = None
    consumer_key: Secret | None = None
    client_id: str | None = None
    client_secret: Secret | None = None
    oauth2_token_url: str | None = None

    @property
    def uses_oauth2(self) -> bool:
        return self.client_id is not None

    @property
    def endpoint_is_url(self) -> bool:
        return "://" in self.endpoint

    def secrets(self) -> list[str]:
        """Every secret value, for redaction."""
        return [s.reveal() for s in (self.application_secret, self.consumer_key, self.client_secret) if s]


@dataclass(frozen=True)
class ProjectSettings:
    id: str
    labels: Mapping[str, str] = field(default_factory=dict)
    name: str | None = None


@dataclass(frozen=True)
class CollectSettings:
    interval: float = 300.0
    timeout: float = 30.0
    concurrency: int = 8
    families: frozenset[str] = frozenset(FAMILIES)
    regions_include: frozenset[str] = frozenset()
    regions_exclude: frozenset[str] = frozenset()
    max_staleness: float = 3600.0
    max_calls_per_second: float = 20.0
    retries: int = 3
    shard: tuple[int, int] | None = None

    def region_wanted(self, region: str) -> bool:
        if region in self.regions_exclude:
            return False
        return not self.regions_include or region in self.regions_include


@dataclass(frozen=True)
class PrometheusSettings:
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 9464
    web_config_file: Path | None = None


@dataclass(frozen=True)
class OtlpSettings:
    """OTLP push. ``None`` means "not given": the standard variable is used, then the default.

    Precedence, resolved in ``otel_ovh.otlp.resolve_otlp``: a value given here, then
    ``OTEL_EXPORTER_OTLP_METRICS_*``, then ``OTEL_EXPORTER_OTLP_*``, then the OTLP default, so that a
    deployment can configure the exporter the way every other OpenTelemetry component is configured.
    """

    enabled: bool = False
    protocol: str | None = None  # grpc or http/protobuf
    endpoint: str | None = None  # http/protobuf: a base URL gets /v1/metrics
    interval: float | None = None  # seconds; OTEL_METRIC_EXPORT_INTERVAL (ms), else 60
    timeout: float | None = None  # seconds per export, retries included
    headers: Mapping[str, str] = field(default_factory=dict)  # merged over the variables' headers
    insecure: bool | None = None  # gRPC only: plain text even without an http:// endpoint
    compression: str | None = None  # none or gzip
    certificate: str | None = None  # CA bundle (PEM) that verifies the collector
    client_certificate: str | None = None  # PEM, for mutual TLS
    client_key: str | None = None  # PEM, for mutual TLS


@dataclass(frozen=True)
class TelemetrySettings:
    # Attribute sets kept per instrument. The SDK default (2000) silently folds a large organisation into
    # one overflow series, so the limit is a setting, sized far above what one exporter should carry.
    cardinality_limit: int = 200_000
    disabled_metrics: frozenset[str] = frozenset()
    service_name: str | None = None  # None: OTEL_SERVICE_NAME, else "otel-ovh"


@dataclass(frozen=True)
class Settings:
    ovh: OvhSettings = field(default_factory=OvhSettings)
    projects: tuple[ProjectSettings, ...] = ()
    collect: CollectSettings = field(default_factory=CollectSettings)
    prometheus: PrometheusSettings = field(default_factory=PrometheusSettings)
    otlp: OtlpSettings = field(default_factory=OtlpSettings)
    telemetry: TelemetrySettings = field(default_factory=TelemetrySettings)
    log_level: str = "INFO"
    source_files: tuple[Path, ...] = ()

    def secrets(self) -> list[str]:
        """Every value to keep out of logs: credentials, and OTLP header values (tokens, tenant keys)."""
        return [*self.ovh.secrets(), *self.otlp.headers.values()]


# --------------------------------------------------------------------------------------------------
# Loading


def load_settings(
    config_file: str | Path | None = None,
    secrets_file: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    require_credentials: bool = True,
) -> Settings:
    """Merge file, secrets file and environment, then validate.

    ``overrides`` (nested like the YAML) win over everything; the CLI uses them for ``--demo``.
    """
    files: list[Path] = []
    if config_file is not None:
        files.append(_readable_yaml(Path(config_file), "--config"))
    secrets_path = secrets_file or os.environ.get(f"{ENV_PREFIX}_SECRETS_FILE")
    if secrets_path:
        files.append(_readable_yaml(Path(secrets_path), "secrets file"))
    elif DEFAULT_SECRETS_FILE.expanduser().is_file():
        files.append(_readable_yaml(DEFAULT_SECRETS_FILE.expanduser(), "secrets file"))

    raw = _merge_sources(files)
    if overrides:
        raw = _deep_merge(raw, _lower_keys(dict(overrides)))
    settings = parse_settings(raw, require_credentials=require_credentials)
    return _replace(settings, source_files=tuple(files))


def _readable_yaml(path: Path, what: str) -> Path:
    """Dynaconf skips a missing file silently; a typo in --config must not start an exporter on defaults."""
    expanded = path.expanduser()
    if not expanded.is_file():
        raise SettingsError(what, f"file {str(path)!r} does not exist or is not a file")
    try:
        with expanded.open(encoding="utf-8") as handle:
            yaml.safe_load(handle)
    except OSError as exc:
        raise SettingsError(what, f"cannot read {str(path)!r}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise SettingsError(what, f"{str(path)!r} is not valid YAML{where}: {problem}") from None
    return expanded


def _merge_sources(files: Sequence[Path]) -> dict[str, Any]:
    from dynaconf import Dynaconf

    loaded = Dynaconf(
        envvar_prefix=ENV_PREFIX,
        settings_files=[str(f) for f in files],
        environments=False,
        load_dotenv=False,
        merge_enabled=True,
    )
    data = loaded.as_dict()
    for internal in ("LOAD_DOTENV", "SECRETS_FILE"):
        data.pop(internal, None)
    raw = _lower_keys(data)
    _restore_raw_env_strings(raw)
    return raw


def _lower_keys(data: dict[str, Any]) -> dict[str, Any]:
    """Dynaconf upper-cases keys that came from the environment; the YAML ones keep their case.

    Sections and their keys are case-insensitive; ``projects`` entries (with user label names) are kept.
    """
    result: dict[str, Any] = {}
    for key, value in data.items():
        lower = str(key).lower()
        if isinstance(value, dict) and lower != "projects":
            value = {str(k).lower(): v for k, v in value.items()}
        result[lower] = value
    return result


_COLLECT_KEYS = (
    "interval",
    "timeout",
    "concurrency",
    "families",
    "regions",
    "max_staleness",
    "max_calls_per_second",
    "retries",
    "shard",
)
_REGIONS_KEYS = ("include", "exclude")
_PROMETHEUS_KEYS = ("enabled", "host", "port", "web_config_file")
_TELEMETRY_KEYS = ("cardinality_limit", "disabled_metrics", "service_name")
_OVH_KEYS = (
    "endpoint",
    "application_key",
    "application_secret",
    "consumer_key",
    "client_id",
    "client_secret",
    "oauth2_token_url",
)

# Dynaconf casts environment values as TOML ("0123" stays text, "12345678" becomes an int); credentials and
# names must be taken verbatim.
_VERBATIM_KEYS = {
    "ovh": _OVH_KEYS,
    "prometheus": ("host",),
}


def _restore_raw_env_strings(raw: dict[str, Any]) -> None:
    for section, keys in _VERBATIM_KEYS.items():
        for key in keys:
            env_value = os.environ.get(f"{ENV_PREFIX}_{section.upper()}__{key.upper()}")
            if env_value is not None and isinstance(raw.get(section), dict):
                raw[section][key] = env_value


def _deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _replace(settings: Settings, **changes: Any) -> Settings:
    from dataclasses import replace

    return replace(settings, **changes)


# --------------------------------------------------------------------------------------------------
# Validation: from a plain nested mapping to typed, checked settings


_SECTIONS = ("ovh", "projects", "collect", "prometheus", "otlp", "telemetry", "log_level")


def parse_settings(raw: Mapping[str, Any], *, require_credentials: bool = True) -> Settings:
    unknown = sorted(set(raw) - set(_SECTIONS))
    if unknown:
        raise SettingsError(unknown[0], f"unknown setting (known sections: {', '.join(_SECTIONS)})")
    collect = _parse_collect(_section(raw, "collect"))
    return Settings(
        ovh=_parse_ovh(_section(raw, "ovh"), require_credentials=require_credentials),
        projects=_parse_projects(raw.get("projects")),
        collect=collect,
        prometheus=_parse_prometheus(_section(raw, "prometheus")),
        otlp=_parse_otlp(_section(raw, "otlp")),
        telemetry=_parse_telemetry(_section(raw, "telemetry")),
        log_level=_parse_log_level(raw.get("log_level", "INFO")),
    )


def _section(raw: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = raw.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SettingsError(name, f"must be a mapping of keys, got {_describe(value)}")
    return value


def _reject_unknown(section: str, values: Mapping[str, Any], known: Sequence[str]) -> None:
    for key in values:
        if key not in known:
            raise SettingsError(f"{section}.{key}", f"unknown setting (known: {', '.join(known)})")


def _describe(value: object) -> str:
    return f"{type(value).__name__} {value!r}" if not isinstance(value, Secret) else "a secret"


def _optional_text(section: str, values: Mapping[str, Any], key: str) -> str | None:
    value = values.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise SettingsError(f"{section}.{key}", f"must be text, got {type(value).__name__}")
    return str(value).strip()


def _number(section: str, values: Mapping[str, Any], key: str, default: float, *, minimum: float) -> float:
    value = values.get(key, default)
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise SettingsError(f"{section}.{key}", f"must be a number, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SettingsError(f"{section}.{key}", f"must be a number, got {value!r}")
    if value < minimum:
        raise SettingsError(f"{section}.{key}", f"must be at least {minimum:g}, got {value!r}")
    return float(value)


def _integer(section: str, values: Mapping[str, Any], key: str, default: int, *, minimum: int) -> int:
    number = _number(section, values, key, default, minimum=minimum)
    if number != int(number):
        raise SettingsError(f"{section}.{key}", f"must be a whole number, got {values.get(key)!r}")
    return int(number)


def _boolean(section: str, values: Mapping[str, Any], key: str, default: bool) -> bool:
    value = values.get(key, default)
    if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0", "on", "off"):
        return value.lower() in ("true", "yes", "1", "on")
    if not isinstance(value, bool):
        raise SettingsError(f"{section}.{key}", f"must be true or false, got {value!r}")
    return value


def _text_list(section: str, values: Mapping[str, Any], key: str) -> list[str]:
    value = values.get(key)
    if value is None:
        return []
    if isinstance(value, str):  # from the environment: "a,b"
        return [item.strip() for item in value.split(",") if item.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SettingsError(f"{section}.{key}", f"must be a list of names, got {value!r}")
    return [v.strip() for v in value]


def _parse_ovh(values: Mapping[str, Any], *, require_credentials: bool) -> OvhSettings:
    known = _OVH_KEYS
    _reject_unknown("ovh", values, known)
    text = {key: _optional_text("ovh", values, key) for key in known}
    endpoint = text["endpoint"] or "ovh-eu"
    _check_endpoint(endpoint)
    ak, app_secret, ck = text["application_key"], text["application_secret"], text["consumer_key"]
    client_id, client_secret = text["client_id"], text["client_secret"]
    has_keys = any((ak, app_secret, ck))
    has_oauth2 = any((client_id, client_secret))
    if has_keys and has_oauth2:
        raise SettingsError(
            "ovh",
            "give either application_key/application_secret/consumer_key or client_id/client_secret, "
            "not both",
        )
    if has_oauth2:
        for key in ("client_id", "client_secret"):
            if not text[key]:
                raise SettingsError(f"ovh.{key}", "missing (OAuth2 needs client_id and client_secret)")
        _check_oauth2_endpoint(endpoint, text["oauth2_token_url"])
    elif require_credentials:
        for key in ("application_key", "application_secret", "consumer_key"):
            if not text[key]:
                hint = " (run `otel-ovh login` to get a consumer key)" if key == "consumer_key" and ak else ""
                raise SettingsError(
                    f"ovh.{key}",
                    f"missing: set it in the settings file or OTEL_OVH_OVH__{key.upper()}, or use an OAuth2 "
                    f"client_id/client_secret{hint}",
                )
    return OvhSettings(
        endpoint=endpoint,
        application_key=ak,
        application_secret=Secret(app_secret) if app_secret else None,
        consumer_key=Secret(ck) if ck else None,
        client_id=client_id,
        client_secret=Secret(client_secret) if client_secret else None,
        oauth2_token_url=text["oauth2_token_url"],
    )


def _check_endpoint(endpoint: str) -> None:
    if "://" not in endpoint:
        import ovh.client

        if endpoint not in ovh.client.ENDPOINTS:
            known = ", ".join(sorted(ovh.client.ENDPOINTS))
            raise SettingsError(
                "ovh.endpoint", f"unknown endpoint name {endpoint!r} (known: {known}, or a URL)"
            )
        return
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(
            "ovh.endpoint", f"{endpoint!r} is not an http(s) URL such as https://eu.api.ovh.com/1.0"
        )
    try:
        _ = parts.port
    except ValueError:
        raise SettingsError("ovh.endpoint", f"{endpoint!r} has an invalid port") from None
    if parts.query or parts.fragment:
        raise SettingsError("ovh.endpoint", f"{endpoint!r} must not have a query or fragment")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_oauth2_endpoint(endpoint: str, token_url: str | None) -> None:
    if "://" not in endpoint:
        import ovh.client

        if endpoint not in ovh.client.OAUTH2_TOKEN_URLS:
            raise SettingsError("ovh.endpoint", f"OAuth2 is not available on {endpoint!r}")
        return
    url = token_url or oauth2_token_url_for(endpoint)
    parts = urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and is_loopback(parts.hostname or "")):
        raise SettingsError("ovh.oauth2_token_url", f"OAuth2 needs https, got {url!r}")


def oauth2_token_url_for(endpoint_url: str) -> str:
    parts = urlsplit(endpoint_url)
    return f"{parts.scheme}://{parts.netloc}/auth/oauth2/token"


def _parse_projects(value: Any) -> tuple[ProjectSettings, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise SettingsError(
            "projects", f"must be a list of {{id: ..., labels: {{...}}}}, got {_describe(value)}"
        )
    projects: list[ProjectSettings] = []
    seen: set[str] = set()
    for index, entry in enumerate(value):
        key = f"projects[{index}]"
        if isinstance(entry, str):
            entry = {"id": entry}
        if not isinstance(entry, Mapping):
            raise SettingsError(key, f"must be a mapping with an id, got {_describe(entry)}")
        entry = {
            str(k).lower() if str(k).lower() in ("id", "labels", "name") else str(k): v
            for k, v in entry.items()
        }
        _reject_unknown(key, entry, ("id", "labels", "name"))
        project_id = str(entry.get("id", "")).strip().lower()
        if not _PROJECT_ID.match(project_id):
            raise SettingsError(f"{key}.id", f"must be 32 hexadecimal characters, got {entry.get('id')!r}")
        if project_id in seen:
            raise SettingsError(f"{key}.id", f"project {project_id} is listed twice")
        seen.add(project_id)
        labels = entry.get("labels") or {}
        if not isinstance(labels, Mapping):
            raise SettingsError(
                f"{key}.labels", f"must be a mapping of label: value, got {_describe(labels)}"
            )
        for name, label_value in labels.items():
            _check_label_name(f"{key}.labels", str(name))
            if not isinstance(label_value, str | int | float) or isinstance(label_value, bool):
                raise SettingsError(f"{key}.labels.{name}", f"must be text, got {_describe(label_value)}")
        name = entry.get("name")
        projects.append(
            ProjectSettings(
                id=project_id,
                labels={str(k): str(v) for k, v in labels.items()},
                name=str(name) if name is not None else None,
            )
        )
    return tuple(projects)


def _check_label_name(key: str, name: str) -> None:
    if not _LABEL_NAME.match(name):
        raise SettingsError(key, f"{name!r} is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)")
    if name in _RESERVED_LABELS or name.startswith(_RESERVED_LABEL_PREFIXES):
        raise SettingsError(key, f"{name!r} is reserved for the exporter's own labels")


def _parse_collect(values: Mapping[str, Any]) -> CollectSettings:
    _reject_unknown("collect", values, _COLLECT_KEYS)
    defaults = CollectSettings()
    families_given = values.get("families")
    families = _text_list("collect", values, "families") if families_given is not None else list(FAMILIES)
    for family in families:
        if family not in FAMILIES:
            raise SettingsError(
                "collect.families", f"unknown family {family!r} (known: {', '.join(FAMILIES)})"
            )
    regions = values.get("regions") or {}
    if not isinstance(regions, Mapping):
        raise SettingsError("collect.regions", "must be a mapping with include and exclude lists")
    regions = {str(k).lower(): v for k, v in regions.items()}
    _reject_unknown("collect.regions", regions, _REGIONS_KEYS)
    interval = _number("collect", values, "interval", defaults.interval, minimum=1)
    max_staleness = _number(
        "collect", values, "max_staleness", max(defaults.max_staleness, 3 * interval), minimum=1
    )
    if max_staleness < interval:
        raise SettingsError("collect.max_staleness", f"must be at least collect.interval ({interval:g} s)")
    return CollectSettings(
        interval=interval,
        timeout=_number("collect", values, "timeout", defaults.timeout, minimum=0.1),
        concurrency=_integer("collect", values, "concurrency", defaults.concurrency, minimum=1),
        families=frozenset(families),
        regions_include=frozenset(_text_list("collect.regions", regions, "include")),
        regions_exclude=frozenset(_text_list("collect.regions", regions, "exclude")),
        max_staleness=max_staleness,
        max_calls_per_second=_number(
            "collect", values, "max_calls_per_second", defaults.max_calls_per_second, minimum=0
        ),
        retries=_integer("collect", values, "retries", defaults.retries, minimum=0),
        shard=_parse_shard(values.get("shard")),
    )


def _parse_shard(value: Any) -> tuple[int, int] | None:
    if value is None or value == "":
        return None
    match = _SHARD.match(str(value).strip())
    if not match:
        raise SettingsError("collect.shard", f'must look like "i/n" (for example "0/3"), got {value!r}')
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or index >= count:
        raise SettingsError("collect.shard", f"needs 0 <= i < n, got {value!r}")
    return index, count


def _parse_prometheus(values: Mapping[str, Any]) -> PrometheusSettings:
    _reject_unknown("prometheus", values, _PROMETHEUS_KEYS)
    port = _integer("prometheus", values, "port", 9464, minimum=0)
    if port > 65535:
        raise SettingsError("prometheus.port", f"must be between 0 and 65535, got {port}")
    host = _optional_text("prometheus", values, "host") or "127.0.0.1"
    web_config = _optional_text("prometheus", values, "web_config_file")
    web_config_path = Path(web_config).expanduser() if web_config else None
    if web_config_path is not None and not web_config_path.is_file():
        raise SettingsError("prometheus.web_config_file", f"file {web_config!r} does not exist")
    return PrometheusSettings(
        enabled=_boolean("prometheus", values, "enabled", True),
        host=host,
        port=port,
        web_config_file=web_config_path,
    )


def _parse_otlp(values: Mapping[str, Any]) -> OtlpSettings:
    _reject_unknown("otlp", values, _OTLP_KEYS)
    protocol = _optional_text("otlp", values, "protocol")
    if protocol is not None and protocol not in ("grpc", "http/protobuf"):
        raise SettingsError("otlp.protocol", f"must be grpc or http/protobuf, got {protocol!r}")
    endpoint = _optional_text("otlp", values, "endpoint")
    if endpoint is not None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError(
                "otlp.endpoint", f"{endpoint!r} is not an http(s) URL such as http://localhost:4317"
            )
    headers = values.get("headers") or {}
    if isinstance(headers, str):
        headers = dict(pair.split("=", 1) for pair in headers.split(",") if "=" in pair)
    if not isinstance(headers, Mapping):
        raise SettingsError("otlp.headers", "must be a mapping of header: value")
    compression = _optional_text("otlp", values, "compression")
    if compression is not None and compression.lower() not in ("none", "gzip"):
        raise SettingsError("otlp.compression", f"must be none or gzip, got {compression!r}")
    files: dict[str, str | None] = {}
    for key in ("certificate", "client_certificate", "client_key"):
        path = _optional_text("otlp", values, key)
        if path is not None and not Path(path).expanduser().is_file():
            raise SettingsError(f"otlp.{key}", f"file {path!r} does not exist")
        files[key] = str(Path(path).expanduser()) if path is not None else None
    if (files["client_certificate"] is None) != (files["client_key"] is None):
        raise SettingsError("otlp.client_key", "client_certificate and client_key go together")
    interval = values.get("interval")
    timeout = values.get("timeout")
    insecure = values.get("insecure")
    return OtlpSettings(
        enabled=_boolean("otlp", values, "enabled", False),
        protocol=protocol,
        endpoint=endpoint,
        interval=_number("otlp", values, "interval", 60, minimum=1) if interval is not None else None,
        timeout=_number("otlp", values, "timeout", 10, minimum=0.1) if timeout is not None else None,
        headers={str(k).strip(): str(v).strip() for k, v in headers.items()},
        insecure=_boolean("otlp", values, "insecure", False) if insecure is not None else None,
        compression=compression.lower() if compression is not None else None,
        certificate=files["certificate"],
        client_certificate=files["client_certificate"],
        client_key=files["client_key"],
    )


_OTLP_KEYS = (
    "enabled", "protocol", "endpoint", "interval", "timeout", "headers", "insecure",
    "compression", "certificate", "client_certificate", "client_key",
)  # fmt: skip


def _parse_telemetry(values: Mapping[str, Any]) -> TelemetrySettings:
    _reject_unknown("telemetry", values, _TELEMETRY_KEYS)
    defaults = TelemetrySettings()
    return TelemetrySettings(
        cardinality_limit=_integer(
            "telemetry", values, "cardinality_limit", defaults.cardinality_limit, minimum=100
        ),
        disabled_metrics=frozenset(_text_list("telemetry", values, "disabled_metrics")),
        service_name=_optional_text("telemetry", values, "service_name"),
    )


def _parse_log_level(value: Any) -> str:
    level = str(value).upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise SettingsError("log_level", f"must be DEBUG, INFO, WARNING or ERROR, got {value!r}")
    return level


def known_settings() -> list[str]:
    """Every settings key, dotted (``collect.regions.include``): what the settings reference must document."""
    sections = {
        "ovh": _OVH_KEYS,
        "collect": _COLLECT_KEYS,
        "prometheus": _PROMETHEUS_KEYS,
        "otlp": _OTLP_KEYS,
        "telemetry": _TELEMETRY_KEYS,
    }
    keys = [f"{section}.{key}" for section, names in sections.items() for key in names if key != "regions"]
    keys += [f"collect.regions.{key}" for key in _REGIONS_KEYS]
    return [*keys, "projects", "log_level"]
