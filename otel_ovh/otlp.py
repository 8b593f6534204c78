"""OTLP push: one exporter per pipeline, configured like any OpenTelemetry component, quiet in an outage.

Settings are resolved here, once, with one precedence for every option: a value given in ``otlp.*``,
then ``OTEL_EXPORTER_OTLP_METRICS_*``, then ``OTEL_EXPORTER_OTLP_*``, then the OTLP default. The SDK
exporters resolve the variables themselves, but not consistently (the gRPC exporter replaces the
variables' headers with the given ones where the HTTP exporter merges them; both read the timeout in
seconds where the specification says milliseconds; an invalid compression crashes one and is ignored
by the other), so we resolve everything and hand the exporter explicit values.

What else the SDK exporters get wrong for a long-running bridge, handled here:

* **Outages.** The exporters log every failed attempt and every retry, each interval, for as long as the
  collector is away (and gRPC's C core prints each failed TLS handshake to stderr).
  ``OutageLoggingExporter`` captures those messages during its own export call and logs one line when
  an outage starts, with the collector's answer or the connection error, and one when it ends.
* **Size.** A large organisation's inventory is tens of thousands of points in one collection; the
  Collector's gRPC receiver refuses messages over 4 MiB by default, so exports go in batches.
* **Delta temporality and observable counters.** Our counters are month-to-date totals observed from a
  snapshot. The SDK's own cumulative-to-delta conversion is computed at collection time, so a failed
  export loses its delta, a new billing period yields a negative delta on a monotonic sum, and a rebuilt
  pipeline starts again from zero and re-sends the whole month. ``DeltaState`` does the conversion
  against what the collector last *accepted*, outlives pipeline rebuilds, and treats a drop as a reset.
* **TLS over HTTP.** ``requests`` lets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` override
  ``Session.verify`` (psf/requests#3829), so a configured collector CA is silently ignored wherever
  those variables are set (most container images). ``_PinnedCaSession`` makes the configured CA win.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from opentelemetry.sdk.metrics import ObservableCounter
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Metric,
    MetricExporter,
    MetricExportResult,
    MetricsData,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.util.re import parse_env_headers

from otel_ovh.config import OtlpSettings, SettingsError

# gRPC's C core prints every TLS handshake failure to stderr (below Python logging, once per attempt,
# so several times per interval). The reason is already in our one-line outage log. This must be set
# before grpc is first imported; ``setdefault`` leaves an operator's own GRPC_VERBOSITY alone.
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

log = logging.getLogger(__name__)

PROTOCOLS = ("grpc", "http/protobuf")
DEFAULT_ENDPOINTS = {"grpc": "http://localhost:4317", "http/protobuf": "http://localhost:4318"}
DEFAULT_INTERVAL = 60.0
DEFAULT_TIMEOUT = 10.0
METRICS_PATH = "/v1/metrics"
# Points per request. A large organisation's inventory is tens of thousands of points (~400 bytes
# each); the Collector's gRPC receiver refuses messages over 4 MiB by default, so exports are split.
MAX_BATCH_POINTS = 5000

# Where the SDK exporters log their failures and retries (the HTTP client logs through the metric
# exporter's logger). tests/unit/test_otlp.py holds these names to what the installed SDK uses.
SDK_LOGGERS = (
    "opentelemetry.exporter.otlp.proto.grpc.exporter",
    "opentelemetry.exporter.otlp.proto.grpc.metric_exporter",
    "opentelemetry.exporter.otlp.proto.http.metric_exporter",
    "opentelemetry.exporter.otlp.proto.http._common",
    "opentelemetry.exporter.otlp.common.http",
)


# -- settings --------------------------------------------------------------------------------------


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


# -- capturing the SDK's complaints ----------------------------------------------------------------


class _Capture(logging.Filter):
    """Swallows the SDK exporters' warnings and errors *during our export call*, and keeps them.

    Thread-local on purpose: the inventory and self pipelines export from their own threads at the
    same time, and each must report its own reason. Outside an export (construction, shutdown) the
    SDK's messages pass through untouched.
    """

    def __init__(self) -> None:
        super().__init__()
        self._local = threading.local()

    def note(self, message: str) -> None:
        """Add a message of our own to the current export's list (ignored outside an export)."""
        messages: list[str] | None = getattr(self._local, "messages", None)
        if messages is not None:
            messages.append(message)

    @contextmanager
    def capturing(self) -> Iterator[list[str]]:
        messages: list[str] = []
        self._local.messages = messages
        try:
            yield messages
        finally:
            self._local.messages = None

    def filter(self, record: logging.LogRecord) -> bool:
        messages: list[str] | None = getattr(self._local, "messages", None)
        if messages is None or record.levelno < logging.WARNING:
            return True
        lines = record.getMessage().strip().splitlines()
        messages.append(lines[0] if lines else "")
        return False


_capture = _Capture()
for _name in SDK_LOGGERS:
    logging.getLogger(_name).addFilter(_capture)

_GIVING_UP = "due to timeout, max retries or shutdown"


_RETRYING = re.compile(r",? retrying in [0-9.]+s\.?")


def outage_reason(messages: list[str]) -> str:
    """The most telling of the messages gathered during one failed export.

    What the collector answered (``HTTP 401 Unauthorized: <its body>``) or why it could not answer
    (``no answer from the collector: [Errno 111] Connection refused``), noted by our HTTP session, says
    most; otherwise the SDK's last specific message (the HTTP exporter ends with a generic "gave up"
    line after the retries that named the cause), without its "retrying in 1.02s".
    """
    answers = [m for m in messages if m.startswith(("HTTP ", _NO_ANSWER))]
    specific = [m for m in messages if m and _GIVING_UP not in m]
    if answers:
        reason = answers[-1]
    elif specific:
        reason = _RETRYING.sub("", specific[-1]).strip()
    elif messages:
        reason = messages[-1]
    else:
        reason = "no reason given by the exporter"
    if messages and _GIVING_UP in messages[-1]:
        reason += " (gave up after retries)"
    return reason if len(reason) <= 400 else reason[:397] + "..."


# -- delta temporality for observable counters -----------------------------------------------------

_SeriesKey = tuple[str, str, frozenset[tuple[str, Any]]]


def _freeze(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


class DeltaState:
    """Cumulative → delta for monotonic counters, against what the collector last accepted.

    Kept by ``Telemetry`` per pipeline name and handed to every exporter of that name, so a pipeline
    rebuilt to forget retired series continues the deltas instead of re-sending month-to-date totals.
    A value below the last accepted one is a counter reset (a new billing period): its delta is the
    new value. The first point of a series is its whole cumulative value (the spend the backend has
    not seen yet). Series not seen for ``retention`` seconds are forgotten; 40 days outlive a month.
    """

    def __init__(self, retention: float = 40 * 86400) -> None:
        self._lock = threading.Lock()
        self._accepted: dict[_SeriesKey, tuple[int | float, int]] = {}  # value, time (ns)
        self._retention_ns = int(retention * 1e9)

    def __len__(self) -> int:
        with self._lock:
            return len(self._accepted)

    def convert(self, data: MetricsData) -> tuple[MetricsData, dict[_SeriesKey, tuple[int | float, int]]]:
        """Deltas for ``data``'s cumulative monotonic sums; the second item is committed on success."""
        pending: dict[_SeriesKey, tuple[int | float, int]] = {}
        with self._lock:
            accepted = dict(self._accepted)

        def sum_points(scope: str, name: str, points: Any) -> list[NumberDataPoint]:
            result = []
            for point in points:
                key = (scope, name, frozenset((k, _freeze(v)) for k, v in (point.attributes or {}).items()))
                previous = accepted.get(key)
                value = point.value
                if previous is None:
                    delta, start = value, point.start_time_unix_nano
                elif value < previous[0]:  # the counter restarted: a new billing period
                    delta, start = value, previous[1]
                else:
                    delta, start = value - previous[0], previous[1]
                pending[key] = (value, point.time_unix_nano)
                result.append(dataclasses.replace(point, value=delta, start_time_unix_nano=start))
            return result

        resource_metrics = []
        for rm in data.resource_metrics:
            scope_metrics = []
            for sm in rm.scope_metrics:
                metrics = []
                for metric in sm.metrics:
                    d = metric.data
                    if (
                        isinstance(d, Sum)
                        and d.is_monotonic
                        and d.aggregation_temporality is AggregationTemporality.CUMULATIVE
                    ):
                        points = sum_points(sm.scope.name, metric.name, d.data_points)
                        metric = dataclasses.replace(
                            metric,
                            data=Sum(
                                data_points=points,
                                aggregation_temporality=AggregationTemporality.DELTA,
                                is_monotonic=True,
                            ),
                        )
                    metrics.append(metric)
                scope_metrics.append(dataclasses.replace(sm, metrics=metrics))
            resource_metrics.append(dataclasses.replace(rm, scope_metrics=scope_metrics))
        return MetricsData(resource_metrics=resource_metrics), pending

    def commit(self, pending: Mapping[_SeriesKey, tuple[int | float, int]]) -> None:
        """Record what the collector accepted; forget series unseen for longer than the retention."""
        with self._lock:
            newest = 0
            for key, (value, at) in pending.items():
                current = self._accepted.get(key)
                if current is None or at >= current[1]:
                    self._accepted[key] = (value, at)
                newest = max(newest, at)
            horizon = newest - self._retention_ns
            if newest and any(at < horizon for _, at in self._accepted.values()):
                self._accepted = {k: v for k, v in self._accepted.items() if v[1] >= horizon}


# -- the exporter ----------------------------------------------------------------------------------


def split_metrics(data: MetricsData, max_points: int) -> Iterator[MetricsData]:
    """``data`` in pieces of at most ``max_points`` points, resource and scope kept on each piece."""
    batch: list[ResourceMetrics] = []
    count = 0
    for rm in data.resource_metrics:
        scopes: list[ScopeMetrics] = []
        for sm in rm.scope_metrics:
            metrics: list[Metric] = []
            for metric in sm.metrics:
                points: list[Any] = list(metric.data.data_points)
                kind: Any = metric.data  # Sum, Gauge, Histogram...: all carry data_points
                while points:
                    chunk, points = points[: max_points - count], points[max_points - count :]
                    metrics.append(
                        dataclasses.replace(metric, data=dataclasses.replace(kind, data_points=chunk))
                    )
                    count += len(chunk)
                    if count >= max_points:
                        scopes.append(dataclasses.replace(sm, metrics=metrics))
                        batch.append(dataclasses.replace(rm, scope_metrics=scopes))
                        yield MetricsData(resource_metrics=batch)
                        batch, scopes, metrics, count = [], [], [], 0
            if metrics:
                scopes.append(dataclasses.replace(sm, metrics=metrics))
        if scopes:
            batch.append(dataclasses.replace(rm, scope_metrics=scopes))
    if batch:
        yield MetricsData(resource_metrics=batch)


_NO_ANSWER = "no answer from the collector: "
_CAUSES = re.compile(
    r"\[SSL: [^\]]+\][^'\"()]*(?:\([^)]*\))?|\[Errno -?\d+\][^'\"()]*|Read timed out[^'\"()]*"
)


def _root_cause(exc: Exception) -> str:
    """The telling part of a requests/urllib3 error ("[Errno 111] Connection refused", "[SSL: ...]")."""
    text = str(exc)
    found = _CAUSES.findall(text)
    return found[-1].strip() if found else f"{type(exc).__name__}: {text}"


class _PinnedCaSession(requests.Session):
    """A session whose configured CA (``verify`` set to a path) is not overridden by the environment.

    ``requests`` replaces a session's ``verify`` with ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` when
    those are set; a collector behind a private CA would then fail its handshake for no visible
    reason. Proxies and the rest of the environment still apply.
    """

    def __init__(self) -> None:
        super().__init__()
        self.hooks["response"].append(self._note_refusal)

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        """Note why a request got no answer: with a short timeout the SDK gives up without saying."""
        try:
            return super().request(*args, **kwargs)
        except requests.RequestException as exc:
            _capture.note(f"{_NO_ANSWER}{_root_cause(exc)}")
            raise

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> Any:
        merged = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if isinstance(self.verify, str) and verify in (None, True):
            merged["verify"] = self.verify
        return merged

    @staticmethod
    def _note_refusal(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Keep what the collector said when it refused a batch: the SDK logs only the reason phrase,
        while the status and the body ("missing tenant", "too many series") are what an operator needs."""
        if response.status_code >= 400:
            body = " ".join(response.text.split())[:200]
            _capture.note(f"HTTP {response.status_code} {response.reason}" + (f": {body}" if body else ""))


class _Outages:
    """Which exporters are failing, per collector: one warning when the first fails, one line when the
    last recovers.

    The inventory and self pipelines export to the same collector from their own threads; an outage
    is one event for an operator, not one per pipeline. Module-wide because exporters are rebuilt
    with their pipelines; an exporter that shuts down leaves the set.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failing: dict[str, set[int]] = {}

    def failed(self, target: str, exporter: int, pipeline: str, reason: str) -> None:
        with self._lock:
            failing = self._failing.setdefault(target, set())
            first = not failing
            failing.add(exporter)
        if first:
            log.warning(
                "OTLP export to %s failed%s: %s; will keep trying every interval",
                target,
                f" ({pipeline} metrics)" if pipeline else "",
                reason,
            )

    def succeeded(self, target: str, exporter: int) -> None:
        with self._lock:
            failing = self._failing.get(target)
            if not failing or exporter not in failing:
                return
            failing.discard(exporter)
            last = not failing
        if last:
            log.info("OTLP export to %s works again", target)

    def forget(self, target: str, exporter: int) -> None:
        with self._lock:
            self._failing.get(target, set()).discard(exporter)


_outages = _Outages()


class OutageLoggingExporter(MetricExporter):
    """Delegates to the SDK's OTLP exporter; logs once when the collector stops taking data, once when
    it takes it again, and converts counters to deltas when asked.

    Nothing is lost across an outage: with cumulative temporality the first export after it carries the
    full month-to-date totals; with delta, ``DeltaState`` has kept the last *accepted* values, so the
    first delta after the outage covers it.
    """

    def __init__(
        self, inner: MetricExporter, target: str, delta: DeltaState | None = None, pipeline: str = ""
    ) -> None:
        temporality = dict(inner._preferred_temporality or {})
        if delta is not None:
            # The SDK must hand us cumulative totals; we make the deltas ourselves (see DeltaState).
            temporality[ObservableCounter] = AggregationTemporality.CUMULATIVE
        super().__init__(
            preferred_temporality=temporality,
            preferred_aggregation=inner._preferred_aggregation,
        )
        self._inner = inner
        self._target = target
        self._pipeline = pipeline
        self._delta = delta
        self._lock = threading.Lock()
        self.max_points = MAX_BATCH_POINTS
        self.failures = 0
        self.successes = 0
        self.last_reason: str | None = None

    @property
    def target(self) -> str:
        """Where the data goes: ``<endpoint> (<protocol>)``."""
        return self._target

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: object
    ) -> MetricExportResult:
        """Send in batches of ``max_points``; stop at the first failure (the collector is away: the
        remaining batches would each wait out the timeout), commit deltas batch by batch."""
        result = MetricExportResult.SUCCESS
        with _capture.capturing() as complaints:
            for batch in split_metrics(metrics_data, self.max_points):
                pending: Mapping[_SeriesKey, tuple[int | float, int]] = {}
                if self._delta is not None:
                    batch, pending = self._delta.convert(batch)
                try:
                    result = self._inner.export(batch, timeout_millis=timeout_millis)
                except Exception as exc:  # an exporter bug or a transport error must not kill the reader
                    complaints.append(f"{type(exc).__name__}: {exc}")
                    result = MetricExportResult.FAILURE
                if result is not MetricExportResult.SUCCESS:
                    break
                if self._delta is not None:
                    self._delta.commit(pending)
        if result is MetricExportResult.SUCCESS:
            with self._lock:
                self.successes += 1
            if complaints:
                log.debug("OTLP export to %s succeeded after: %s", self._target, "; ".join(complaints))
            _outages.succeeded(self._target, id(self))
        else:
            reason = outage_reason(complaints)
            with self._lock:
                self.failures += 1
                self.last_reason = reason
            _outages.failed(self._target, id(self), self._pipeline, reason)
        return result

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self._inner.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: object) -> None:
        _outages.forget(self._target, id(self))
        with _capture.capturing():  # "already shut down" and the like are not news at exit
            self._inner.shutdown(timeout_millis=timeout_millis)


def _read(path: str | None) -> bytes | None:
    return Path(path).read_bytes() if path else None


def build_otlp_exporter(
    settings: OtlpSettings,
    name: str = "",
    delta: DeltaState | None = None,
    resolved: ResolvedOtlp | None = None,
) -> OutageLoggingExporter:
    """The SDK exporter for the resolved settings, wrapped in ``OutageLoggingExporter``.

    ``delta`` is used only when the temporality preference is DELTA; pass the pipeline's long-lived
    state so that deltas survive pipeline rebuilds.
    """
    config = resolved or resolve_otlp(settings)
    inner: MetricExporter
    if config.protocol == "grpc":
        import grpc
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcExporter

        credentials = None
        gzip = grpc.Compression.Gzip if config.compression == "gzip" else grpc.Compression.NoCompression
        tls = config.insecure is not True and not config.endpoint.startswith("http://")
        if tls and (config.certificate or config.client_certificate):
            credentials = grpc.ssl_channel_credentials(
                root_certificates=_read(config.certificate),
                private_key=_read(config.client_key),
                certificate_chain=_read(config.client_certificate),
            )
        inner = GrpcExporter(
            endpoint=config.endpoint,
            insecure=config.insecure,
            credentials=credentials,
            headers=dict(config.headers),
            timeout=config.timeout,
            compression=gzip,
        )
    else:
        from opentelemetry.exporter.otlp.proto.http import Compression
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpExporter

        credential_provider = os.environ.get("OTEL_PYTHON_EXPORTER_OTLP_HTTP_CREDENTIAL_PROVIDER") or (
            os.environ.get("OTEL_PYTHON_EXPORTER_OTLP_HTTP_METRICS_CREDENTIAL_PROVIDER")
        )
        inner = HttpExporter(
            endpoint=config.endpoint,
            certificate_file=config.certificate,
            client_certificate_file=config.client_certificate,
            client_key_file=config.client_key,
            headers=dict(config.headers),
            timeout=config.timeout,
            compression=Compression.Gzip if config.compression == "gzip" else Compression.NoCompression,
            # A credential provider brings its own session; otherwise ours keeps the configured CA.
            session=None if credential_provider else _PinnedCaSession(),
        )
    target = f"{config.endpoint} ({config.protocol})"
    if not config.delta:
        return OutageLoggingExporter(inner, target, pipeline=name)
    return OutageLoggingExporter(inner, target, delta if delta is not None else DeltaState(), pipeline=name)
