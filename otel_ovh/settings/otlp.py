"""OTLP settings: the ``otlp`` section, and its resolution with one precedence for every option.

A value given in ``otlp.*``, then ``OTEL_EXPORTER_OTLP_METRICS_*``, then ``OTEL_EXPORTER_OTLP_*``, then
the OTLP default. The SDK exporters resolve the variables themselves, but not consistently (the gRPC
exporter replaces the variables' headers with the given ones where the HTTP exporter merges them; both
read the timeout in seconds where the specification says milliseconds; an invalid compression crashes
one and is ignored by the other), so everything is resolved here and the exporter gets explicit values.
The section is declared here, beside its resolution, so that this package needs nothing of
``otel_ovh.settings.config`` (which imports it).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from opentelemetry.util.re import parse_env_headers

from otel_ovh.settings.schema import (
    SettingsError,
    boolean,
    choice,
    existing_file,
    http_url,
    number,
    setting,
    text_map,
)

log = logging.getLogger(__name__)

PROTOCOLS = ("grpc", "http/protobuf")
COMPRESSIONS = ("none", "gzip")
TEMPORALITIES = ("cumulative", "delta", "lowmemory")
DEFAULT_ENDPOINTS = {"grpc": "http://localhost:4317", "http/protobuf": "http://localhost:4318"}
DEFAULT_INTERVAL = 60.0
DEFAULT_TIMEOUT = 10.0
METRICS_PATH = "/v1/metrics"
_FILES = ("certificate", "client_certificate", "client_key")


def _variable(name: str, then: str = "") -> str:
    return f"`OTEL_EXPORTER_OTLP_{name}`" + (f", else {then}" if then else "")


@dataclass(frozen=True)
class OtlpSettings:
    """OTLP push. ``None`` means "not given": the standard variable is used, then the default."""

    enabled: bool = setting(False, "push OTLP", convert=boolean)
    protocol: str | None = setting(
        None,
        "`grpc` or `http/protobuf`",
        convert=choice(*PROTOCOLS),
        doc_default=_variable("PROTOCOL", "`grpc`"),
    )
    endpoint: str | None = setting(
        None,
        "collector URL; for `http/protobuf` a base URL gets `/v1/metrics`",
        convert=http_url(DEFAULT_ENDPOINTS["grpc"]),
        doc_default=_variable("ENDPOINT", "the protocol's default"),
    )
    headers: Mapping[str, str] = setting(
        {}, "mapping (or `k=v,k=v` text)", convert=text_map, secret=True, doc_default=_variable("HEADERS")
    )
    interval: float | None = setting(
        None,
        "seconds between pushes",
        convert=number(minimum=1),
        doc_default=f"`OTEL_METRIC_EXPORT_INTERVAL`, else `{DEFAULT_INTERVAL:g}`",
    )
    timeout: float | None = setting(
        None,
        "seconds per push",
        convert=number(minimum=0.1),
        doc_default=_variable("TIMEOUT", f"{DEFAULT_TIMEOUT:g}"),
    )
    insecure: bool | None = setting(
        None, "gRPC without TLS", convert=boolean, doc_default="from the endpoint's scheme"
    )
    compression: str | None = setting(
        None,
        "`none` or `gzip`",
        convert=choice(*COMPRESSIONS, normalise=str.lower),
        doc_default=_variable("COMPRESSION", "none"),
    )
    certificate: Path | None = setting(
        None,
        "CA (PEM) that verifies the collector",
        convert=existing_file,
        doc_default=_variable("CERTIFICATE"),
    )
    client_certificate: Path | None = setting(
        None, "PEM file for mutual TLS", convert=existing_file, doc_default=_variable("CLIENT_CERTIFICATE")
    )
    client_key: Path | None = setting(
        None, "its key (PEM)", convert=existing_file, doc_default=_variable("CLIENT_KEY")
    )

    def __post_init__(self) -> None:
        if (self.client_certificate is None) != (self.client_key is None):
            raise SettingsError("otlp.client_key", "client_certificate and client_key go together")


@dataclass(frozen=True)
class ResolvedOtlp:
    """Every OTLP option with its final value, after the precedence of ``resolve_otlp``."""

    protocol: str
    endpoint: str
    headers: Mapping[str, str]
    timeout: float
    interval: float
    compression: str
    insecure: bool | None
    certificate: str | None
    client_certificate: str | None
    client_key: str | None
    temporality: str  # cumulative, delta or lowmemory
    credential_provider: (
        bool  # the HTTP exporter brings its own session (OTEL_PYTHON_..._CREDENTIAL_PROVIDER)
    )

    @property
    def delta(self) -> bool:
        """Whether monotonic counters are sent as deltas (only DELTA asks that of observable counters)."""
        return self.temporality == "delta"


def _env(environ: Mapping[str, str], suffix: str) -> tuple[str, str] | None:
    """The signal-specific variable, else the generic one: (name, value) of the first that is set."""
    for name in (f"OTEL_EXPORTER_OTLP_METRICS_{suffix}", f"OTEL_EXPORTER_OTLP_{suffix}"):
        value = environ.get(name, "").strip()
        if value:
            return name, value
    return None


def _milliseconds(name: str, raw: str) -> float:
    """A duration variable in milliseconds (the specification's unit), as seconds.

    The Python SDK reads OTLP timeouts in seconds (open-telemetry/opentelemetry-python#4044), so
    values written for it (``10``) exist in the wild; below 100 a value is read as seconds rather than
    as a timeout too short for any collector, and the log says so.
    """
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(name, f"must be a number of milliseconds, got {raw!r}") from None
    if value <= 0:
        raise SettingsError(name, f"must be positive, got {raw!r}")
    if value < 100:
        log.warning("%s=%s read as seconds (the specification's unit is milliseconds)", name, raw)
        return value
    return value / 1000


def _one_of(
    environ: Mapping[str, str], suffix: str, options: tuple[str, ...], default: str, *, lower: bool = False
) -> str:
    found = _env(environ, suffix)
    if found is None:
        return default
    value = found[1].lower() if lower else found[1]
    if value not in options:
        raise SettingsError(found[0], f"must be {' or '.join(options)}, got {found[1]!r}")
    return value


def _http_endpoint(base: str) -> str:
    """``/v1/metrics`` appended to a base URL (``https://host/otlp`` too), a full URL kept as it is."""
    path = urlsplit(base).path.rstrip("/")
    return base if path.endswith(METRICS_PATH) else base.rstrip("/") + METRICS_PATH


def _endpoint(settings: OtlpSettings, protocol: str, env: Mapping[str, str]) -> str:
    base = settings.endpoint
    if not base and (specific := env.get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "").strip()):
        return specific  # the signal-specific URL is used as it is, per the specification
    base = base or env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip() or DEFAULT_ENDPOINTS[protocol]
    return _http_endpoint(base) if protocol == "http/protobuf" else base


def _env_headers(name: str, raw: str) -> dict[str, str]:
    """The headers of ``OTEL_EXPORTER_OTLP_[METRICS_]HEADERS``, one entry at a time.

    The SDK's parser drops an entry it cannot read with a warning quoting it whole, before logging (and
    its masking) is set up: a token with an unencoded ``/`` would be lost *and* printed. Such an entry is
    refused here instead, by its header name alone.
    """
    headers: dict[str, str] = {}
    quiet = logging.getLogger(parse_env_headers.__module__)
    for index, entry in enumerate(e for e in raw.split(",") if e.strip()):
        quiet.disabled, was = True, quiet.disabled
        try:
            parsed = parse_env_headers(entry, liberal=True)
        finally:
            quiet.disabled = was
        if not parsed:
            header = entry.partition("=")[0].strip() if "=" in entry else None
            what = f"header {header!r}" if header else f"entry {index + 1} (no name=value)"
            escapes = '" as %22, , as %2C, ; as %3B, \\ as %5C'
            raise SettingsError(name, f"{what} cannot be read; URL-encode its value ({escapes})")
        headers.update({k.lower(): v for k, v in parsed.items()})
    return headers


def _headers(settings: OtlpSettings, env: Mapping[str, str]) -> dict[str, str]:
    found = _env(env, "HEADERS")
    headers = _env_headers(*found) if found else {}
    # gRPC metadata keys must be lower case (the call fails otherwise); HTTP header names are not
    # case-sensitive, so one form serves both and a setting replaces a variable's header of any case.
    headers.update({k.lower(): v for k, v in settings.headers.items()})
    return headers


def _files(settings: OtlpSettings, env: Mapping[str, str]) -> dict[str, str | None]:
    files: dict[str, str | None] = {}
    for key in _FILES:
        given: Path | None = getattr(settings, key)
        found = _env(env, key.upper()) if given is None else None
        if found and not Path(found[1]).is_file():
            raise SettingsError(found[0], f"file {found[1]!r} does not exist")
        files[key] = str(given) if given is not None else found[1] if found else None
    return files


def resolve_otlp(settings: OtlpSettings, env: Mapping[str, str]) -> ResolvedOtlp:
    """Apply the precedence (setting > METRICS variable > generic variable > default) to every option.

    Invalid variables raise ``SettingsError`` naming the variable, so that ``serve`` and ``check-config``
    exit 2 with one line instead of failing at the first export.
    """
    protocol = settings.protocol or _one_of(env, "PROTOCOL", PROTOCOLS, "grpc")
    if settings.timeout is not None:
        timeout = settings.timeout
    else:
        found = _env(env, "TIMEOUT")
        timeout = _milliseconds(found[0], found[1]) if found else DEFAULT_TIMEOUT
    interval = settings.interval
    if interval is None:
        raw = env.get("OTEL_METRIC_EXPORT_INTERVAL", "").strip()
        interval = max(1.0, _milliseconds("OTEL_METRIC_EXPORT_INTERVAL", raw)) if raw else DEFAULT_INTERVAL
    insecure = settings.insecure
    if insecure is None and (found := _env(env, "INSECURE")):
        insecure = found[1].lower() == "true"
    temporality = env.get("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "").strip()
    if temporality and temporality.lower() not in TEMPORALITIES:
        raise SettingsError(
            "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
            f"must be cumulative, delta or lowmemory, got {temporality.lower()!r}",
        )
    files = _files(settings, env)
    return ResolvedOtlp(
        protocol=protocol,
        endpoint=_endpoint(settings, protocol, env),
        headers=_headers(settings, env),
        timeout=timeout,
        interval=interval,
        compression=settings.compression or _one_of(env, "COMPRESSION", COMPRESSIONS, "none", lower=True),
        insecure=insecure,
        certificate=files["certificate"],
        client_certificate=files["client_certificate"],
        client_key=files["client_key"],
        temporality=temporality.lower() or "cumulative",
        credential_provider=bool(
            env.get("OTEL_PYTHON_EXPORTER_OTLP_HTTP_CREDENTIAL_PROVIDER")
            or env.get("OTEL_PYTHON_EXPORTER_OTLP_HTTP_METRICS_CREDENTIAL_PROVIDER")
        ),
    )
