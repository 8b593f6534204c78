"""OTLP settings resolved once, with one precedence for every option.

A value given in ``otlp.*``, then ``OTEL_EXPORTER_OTLP_METRICS_*``, then ``OTEL_EXPORTER_OTLP_*``, then
the OTLP default. The SDK exporters resolve the variables themselves, but not consistently (the gRPC
exporter replaces the variables' headers with the given ones where the HTTP exporter merges them; both
read the timeout in seconds where the specification says milliseconds; an invalid compression crashes
one and is ignored by the other), so everything is resolved here and the exporter gets explicit values.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from opentelemetry.util.re import parse_env_headers

from otel_ovh.config import OtlpSettings, SettingsError

log = logging.getLogger(__name__)

PROTOCOLS = ("grpc", "http/protobuf")
DEFAULT_ENDPOINTS = {"grpc": "http://localhost:4317", "http/protobuf": "http://localhost:4318"}
DEFAULT_INTERVAL = 60.0
DEFAULT_TIMEOUT = 10.0
METRICS_PATH = "/v1/metrics"


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


def _http_endpoint(base: str) -> str:
    """``/v1/metrics`` appended to a base URL (``https://host/otlp`` too), a full URL kept as it is."""
    path = urlsplit(base).path.rstrip("/")
    return base if path.endswith(METRICS_PATH) else base.rstrip("/") + METRICS_PATH


def resolve_otlp(settings: OtlpSettings, environ: Mapping[str, str] | None = None) -> ResolvedOtlp:
    """Apply the precedence (setting > METRICS variable > generic variable > default) to every option.

    Invalid variables raise ``SettingsError`` naming the variable, so ``serve`` exits 2 with one line
    instead of failing at the first export.
    """
    env = os.environ if environ is None else environ

    protocol = settings.protocol
    if protocol is None:
        found = _env(env, "PROTOCOL")
        protocol = found[1] if found else "grpc"
        if protocol not in PROTOCOLS:
            assert found is not None
            raise SettingsError(found[0], f"must be grpc or http/protobuf, got {protocol!r}")

    if settings.endpoint:
        endpoint = _http_endpoint(settings.endpoint) if protocol == "http/protobuf" else settings.endpoint
    elif specific := env.get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "").strip():
        endpoint = specific  # the signal-specific URL is used as it is, per the specification
    elif generic := env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip():
        endpoint = _http_endpoint(generic) if protocol == "http/protobuf" else generic
    else:
        default = DEFAULT_ENDPOINTS[protocol]
        endpoint = _http_endpoint(default) if protocol == "http/protobuf" else default

    found = _env(env, "HEADERS")
    headers = {k.lower(): v for k, v in parse_env_headers(found[1], liberal=True).items()} if found else {}
    # gRPC metadata keys must be lower case (the call fails otherwise); HTTP header names are not
    # case-sensitive, so one form serves both and a setting replaces a variable's header of any case.
    headers.update({k.lower(): v for k, v in settings.headers.items()})

    if settings.timeout is not None:
        timeout = settings.timeout
    else:
        found = _env(env, "TIMEOUT")
        timeout = _milliseconds(found[0], found[1]) if found else DEFAULT_TIMEOUT

    if settings.interval is not None:
        interval = settings.interval
    elif raw := env.get("OTEL_METRIC_EXPORT_INTERVAL", "").strip():
        interval = max(1.0, _milliseconds("OTEL_METRIC_EXPORT_INTERVAL", raw))
    else:
        interval = DEFAULT_INTERVAL

    compression = settings.compression
    if compression is None:
        found = _env(env, "COMPRESSION")
        compression = found[1].lower() if found else "none"
        if compression not in ("none", "gzip"):
            assert found is not None
            raise SettingsError(found[0], f"must be none or gzip, got {found[1]!r}")

    insecure = settings.insecure
    if insecure is None and (found := _env(env, "INSECURE")):
        insecure = found[1].lower() == "true"

    files: dict[str, str | None] = {}
    for key, suffix in (
        ("certificate", "CERTIFICATE"),
        ("client_certificate", "CLIENT_CERTIFICATE"),
        ("client_key", "CLIENT_KEY"),
    ):
        given: str | None = getattr(settings, key)
        if given is None and (found := _env(env, suffix)):
            if not Path(found[1]).is_file():
                raise SettingsError(found[0], f"file {found[1]!r} does not exist")
            given = found[1]
        files[key] = given

    raw_temporality = env.get("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "").strip().lower()
    temporality = raw_temporality or "cumulative"
    if temporality not in ("cumulative", "delta", "lowmemory"):
        raise SettingsError(
            "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
            f"must be cumulative, delta or lowmemory, got {raw_temporality!r}",
        )

    return ResolvedOtlp(
        protocol=protocol,
        endpoint=endpoint,
        headers=headers,
        timeout=timeout,
        interval=interval,
        compression=compression,
        insecure=insecure,
        certificate=files["certificate"],
        client_certificate=files["client_certificate"],
        client_key=files["client_key"],
        temporality=temporality,
    )
