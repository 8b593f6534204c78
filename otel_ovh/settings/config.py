"""Settings: one YAML file, ``OTEL_OVH_<SECTION>__<KEY>`` variables and a secrets file, merged by dynaconf.

Each setting is declared once, as a field of the frozen dataclasses below (``settings_schema.setting``);
dynaconf's validators, the README's table and ``check-config`` follow from that declaration. The
environment is read here, once, at start, for the OTLP variables and the resource attributes as well,
so that ``serve`` and ``check-config`` refuse the same mistakes (exit code 2, with the key that holds
them) and no later pipeline rebuild sees a different environment.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from otel_ovh.settings import schema as settings_schema
from otel_ovh.settings.account import AccountSettings
from otel_ovh.settings.catalog import CatalogSettings
from otel_ovh.settings.loader import load, readable_yaml
from otel_ovh.settings.otlp import OtlpSettings, ResolvedOtlp, resolve_otlp
from otel_ovh.settings.ovh import OvhSettings, check_credentials
from otel_ovh.settings.projects import ProjectSettings, projects
from otel_ovh.settings.resource import DEFAULT_SERVICE_NAME, resource_attributes
from otel_ovh.settings.schema import (
    SettingsError,
    boolean,
    choice,
    existing_file,
    integer,
    names,
    number,
    setting,
    text,
    text_map,
)
from otel_ovh.settings.state import StateSettings

__all__ = [  # what other modules import from here, OvhSettings and SettingsError included
    "DEFAULT_SECRETS_FILE", "ENV_PREFIX", "CatalogSettings", "CollectSettings", "OvhSettings",
    "ProjectSettings", "PrometheusSettings", "RegionsSettings", "Settings", "SettingsError", "StateSettings",
    "TelemetrySettings", "describe", "load_settings", "parse_settings",
]  # fmt: skip

ENV_PREFIX = "OTEL_OVH"
SECRETS_VARIABLE = f"{ENV_PREFIX}_SECRETS_FILE"
DEFAULT_SECRETS_FILE = Path("~/.config/otel-ovh/secrets.yaml")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MIN_STALENESS = 3600.0

_SHARD = re.compile(r"^(\d+)/(\d+)$")
MAX_ANSWER_BYTES = 32 * 1024 * 1024

# The families, in the order of the docs and of the table's columns: the choices of `collect.families`,
# and the registry itself (each is the module of its name in `otel_ovh.families`, loaded from this list).
FAMILY_NAMES: tuple[str, ...] = (
    "cost",
    "forecast",
    "quota",
    "instances",
    "volumes",
    "storage",
    "project",
    "credits",
    "budget",
    "savings_plans",
    "network",
    "kube",
    "catalog",
    "advice",
    "account",
    "account_gap",
)


def _families(key: str, value: Any) -> frozenset[str]:
    families = names(key, value)
    unknown = sorted(families - set(FAMILY_NAMES))
    if unknown:
        raise SettingsError(key, f"unknown family {unknown[0]!r} (known: {', '.join(FAMILY_NAMES)})")
    return families


def _cadences(key: str, value: Any) -> dict[str, float]:
    """Seconds between fetches, per family: ``{forecast: 7200}``, or ``forecast=7200,...`` text."""
    seconds, cadences = number(minimum=1), {}
    for name, written in text_map(key, value).items():
        _families(key, [name])
        cadences[name] = seconds(f"{key}.{name}", written)
    return cadences


def _shard(key: str, value: Any) -> tuple[int, int] | None:
    given = text(key, value)
    match = _SHARD.match(given or "")
    if given is None or not match:
        raise SettingsError(key, f'must look like "i/n" (for example "0/3"), got {value!r}')
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or index >= count:
        raise SettingsError(key, f"needs 0 <= i < n, got {value!r}")
    return index, count


@dataclass(frozen=True)
class RegionsSettings:
    include: frozenset[str] = setting(
        frozenset(),
        "only these regions; a region named here is reported even when nothing is used there",
        convert=names,
        doc_default="`[]` (all)",
    )
    exclude: frozenset[str] = setting(frozenset(), "never these regions", convert=names)


def _refresh_timeout(timeout: Any, interval: Any) -> Any:
    """The next refresh is due after ``interval``: this one ends well before, and outlasts one call."""
    try:
        return max(float(timeout), 0.8 * float(interval))
    except (TypeError, ValueError):
        return None  # the bad value is named by its own setting's check


@dataclass(frozen=True)
class CollectSettings:
    interval: float = setting(300.0, "seconds between refreshes", convert=number(minimum=1))
    timeout: float = setting(
        30.0,
        "seconds per OVH call, connect to last byte (each retry gets its own)",
        convert=number(minimum=0.1),
    )
    refresh_timeout: float = setting(
        240.0,
        "seconds a refresh may take; projects still unanswered then are abandoned for this refresh and "
        "flagged (`otel_ovh_collection_success` 0), their last data served until `max_staleness`",
        convert=number(minimum=0.1),
        derive=lambda get: _refresh_timeout(get("collect.timeout"), get("collect.interval")),
        doc_default="`max(timeout, 0.8 × interval)`",
    )
    max_answer_bytes: int = setting(
        MAX_ANSWER_BYTES,
        "cap on one OVH answer, decompressed; a larger answer fails that call",
        convert=integer(minimum=1024),
        doc_default=f"`{MAX_ANSWER_BYTES}` ({MAX_ANSWER_BYTES >> 20} MiB)",
    )
    concurrency: int = setting(8, "OVH calls in flight", convert=integer(minimum=1))
    max_calls_per_second: float = setting(
        20.0,
        "ceiling on OVH calls per second for the whole process (`0`: none)",
        convert=number(minimum=0),
    )
    retries: int = setting(3, "retries of a 429, 5xx or unanswered call", convert=integer(minimum=0))
    max_staleness: float = setting(
        MIN_STALENESS,
        "seconds a failing project's last data is still served",
        convert=number(minimum=1),
        derive=lambda get: max(MIN_STALENESS, 3 * get("collect.interval")),
        doc_default=f"`max({MIN_STALENESS:g}, 3 × interval)`",
    )
    families: frozenset[str] = setting(
        frozenset(FAMILY_NAMES),
        ", ".join(f"`{name}`" for name in FAMILY_NAMES) + "; a family left out makes no OVH call",
        convert=_families,
        doc_default="all",
    )
    cadence: dict[str, float] = setting(
        {},
        "seconds between fetches of a family (`{forecast: 7200}`), instead of its own cadence "
        "([docs/metrics.md](docs/metrics.md)) and of OVH's word that nothing new has come; "
        "never more often than `interval`",
        convert=_cadences,
        doc_default="each family's own",
    )
    regions: RegionsSettings = field(default_factory=RegionsSettings)
    shard: tuple[int, int] | None = setting(
        None, '`"i/n"`: this process owns the projects whose id hashes to shard `i` of `n`', convert=_shard
    )

    def __post_init__(self) -> None:
        if self.refresh_timeout < self.timeout:
            raise SettingsError(
                "collect.refresh_timeout", f"must be at least collect.timeout ({self.timeout:g} s)"
            )
        if self.max_staleness < self.interval:
            raise SettingsError(
                "collect.max_staleness", f"must be at least collect.interval ({self.interval:g} s)"
            )

    def region_wanted(self, region: str) -> bool:
        if region in self.regions.exclude:
            return False
        return not self.regions.include or region in self.regions.include


@dataclass(frozen=True)
class PrometheusSettings:
    enabled: bool = setting(
        True,
        "serve `/metrics` and `/probe` (`/healthz` and `/readyz` are served in OTLP-only mode too)",
        convert=boolean,
    )
    host: str = setting(
        "127.0.0.1", "listen address (the container image sets `0.0.0.0`)", convert=text, verbatim=True
    )
    port: int = setting(9464, "listen port", convert=integer(minimum=0, maximum=65535))
    web_config_file: Path | None = setting(
        None,
        "TLS and basic auth, in the Prometheus web-config format ([docs/security.md](docs/security.md))",
        convert=existing_file,
    )


@dataclass(frozen=True)
class TelemetrySettings:
    # The SDK's default cardinality limit silently folds a large organisation into one overflow series,
    # so the limit is a setting, sized far above what one exporter should carry.
    cardinality_limit: int = setting(
        200_000,
        "attribute sets kept per instrument (the SDK's default of 2000 would silently fold a large "
        "organisation into one overflow series)",
        convert=integer(minimum=100),
    )
    disabled_metrics: frozenset[str] = setting(
        frozenset(), "metric names (OpenTelemetry or Prometheus) not to report", convert=names
    )
    cgroup_root: str | None = setting(
        "/sys/fs/cgroup",
        "where the process's memory limit is read (cgroup v2 `memory.max`, v1 "
        "`memory/memory.limit_in_bytes`), to warn when the series served head past it "
        "([docs/scaling.md](docs/scaling.md)); empty: never",
        convert=text,
        verbatim=True,
    )
    service_name: str | None = setting(
        None,
        "`service.name` of the resource",
        convert=text,
        doc_default=f"`OTEL_SERVICE_NAME`, else `{DEFAULT_SERVICE_NAME}`",
    )


@dataclass(frozen=True)
class Settings:
    ovh: OvhSettings = field(default_factory=OvhSettings)
    projects: tuple[ProjectSettings, ...] = setting(
        (),
        "list of `{id, labels, name}`; `id` is 32 hex characters; `labels` are added to every series of "
        "the project; `name` overrides OVH's",
        convert=projects,
        doc_default="all readable",
    )
    collect: CollectSettings = field(default_factory=CollectSettings)
    catalog: CatalogSettings = field(default_factory=CatalogSettings)
    account: AccountSettings = field(default_factory=AccountSettings)
    prometheus: PrometheusSettings = field(default_factory=PrometheusSettings)
    otlp: OtlpSettings = field(default_factory=OtlpSettings)
    telemetry: TelemetrySettings = field(default_factory=TelemetrySettings)
    state: StateSettings = field(default_factory=StateSettings)
    log_level: str = setting(
        "INFO",
        ", ".join(f"`{level}`" for level in LOG_LEVELS),
        convert=choice(*LOG_LEVELS, normalise=str.upper),
    )
    # Found while loading, not settings: where they came from and what the environment added.
    source_files: tuple[Path, ...] = ()
    otlp_resolved: ResolvedOtlp | None = None  # only when otlp.enabled
    resource_attributes: Mapping[str, str] = field(default_factory=dict)

    def secrets(self) -> list[str]:
        """Every value to keep out of logs: credentials, and OTLP header values (tokens, tenant keys),
        those of ``OTEL_EXPORTER_OTLP_HEADERS`` included."""
        headers = self.otlp_resolved.headers.values() if self.otlp_resolved else ()
        return [*settings_schema.secret_values(self), *headers]


def describe(settings: Settings) -> dict[str, Any]:
    """The settings as ``check-config`` shows them: as a user writes the file, nothing secret in clear."""
    return settings_schema.describe(settings)


# --------------------------------------------------------------------------------------------------
# Loading


def load_settings(
    config_file: str | Path | None = None,
    secrets_file: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    require_credentials: bool = True,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Merge file, secrets file and environment, then validate.

    ``overrides`` (nested like the YAML) win over everything; the CLI uses them for ``--demo``.
    """
    env = os.environ if environ is None else environ
    files: list[Path] = []
    if config_file is not None:
        files.append(readable_yaml(Path(config_file), "--config"))
    secrets_path = secrets_file or env.get(SECRETS_VARIABLE)
    secrets: Path | None = None
    if secrets_path:
        secrets = readable_yaml(Path(secrets_path), "secrets file")
    elif DEFAULT_SECRETS_FILE.expanduser().is_file():
        secrets = readable_yaml(DEFAULT_SECRETS_FILE.expanduser(), "secrets file")
    if secrets is not None:
        files.append(secrets)
    settings = load(
        Settings,
        files,
        environ=env,
        env_prefix=ENV_PREFIX,
        ignored_variables={SECRETS_VARIABLE},
        given=overrides,
    )
    completed = _completed(settings, env, require_credentials)
    if secrets is not None:
        _warn_if_readable(secrets)
    return replace(completed, source_files=tuple(files))


def _warn_if_readable(path: Path) -> None:
    """Once the settings are known good (a bad file gets its one-line error alone), say when others may
    read the credentials; on stderr, as logging is not set up yet."""
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        logging.getLogger(__name__).warning(
            "secrets file %s can be read by other users (mode %o): run `chmod 600 %s`",
            path,
            stat.S_IMODE(mode),
            path,
        )


def parse_settings(
    raw: Mapping[str, Any], *, require_credentials: bool = True, environ: Mapping[str, str] | None = None
) -> Settings:
    """Settings given as one nested mapping (tests, benchmarks), validated exactly as a file's would be;
    ``environ`` gives only the OTLP and resource variables."""
    settings = load(Settings, environ={}, env_prefix=ENV_PREFIX, given=raw)
    return _completed(settings, os.environ if environ is None else environ, require_credentials)


def _completed(settings: Settings, env: Mapping[str, str], require_credentials: bool) -> Settings:
    """Cross-checks, and what else the environment says (resolved here so that it is read only once)."""
    check_credentials(settings.ovh, require_credentials, ENV_PREFIX)
    return replace(
        settings,
        otlp_resolved=resolve_otlp(settings.otlp, env) if settings.otlp.enabled else None,
        resource_attributes=resource_attributes(settings.telemetry.service_name, env),
    )
