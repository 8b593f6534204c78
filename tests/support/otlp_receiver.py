"""Real OTLP metrics receivers (gRPC and HTTP/protobuf) that decode and keep what they are sent.

Why not a collector binary: the tests must assert on the exact protobuf the bridge sends (names,
units, temporality, resource, attributes) and must be able to misbehave on demand (require a header,
require TLS or a client certificate, refuse everything like a collector in an outage, go down and
come back on the same port, answer slowly or with a partial success). A small in-process server
does all of that deterministically; the protobufs are the official ones from
``opentelemetry.proto``, so what decodes here decodes in any collector.
"""

from __future__ import annotations

import contextlib
import gzip
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from concurrent import futures
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socket import SHUT_RDWR, socket
from typing import Any, Literal, NamedTuple

import grpc

# protobuf ships no type stubs and types-protobuf is not a dependency: DecodeError is all we use.
from google.protobuf.message import DecodeError  # type: ignore[import-untyped]
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsPartialSuccess,
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.metrics.v1.metrics_pb2 import (
    AggregationTemporality,
    HistogramDataPoint,
    Metric,
    NumberDataPoint,
)

from tests.support.certs import TlsMaterial
from tests.support.errors import HarnessError
from tests.support.ports import LOOPBACK, free_port
from tests.support.process import Service
from tests.support.waiting import wait_until

Transport = Literal["grpc", "http"]
Kind = Literal["sum", "gauge", "histogram", "exponential_histogram", "summary"]
Temporality = Literal["cumulative", "delta", "unspecified"]
AttrKey = tuple[tuple[str, Any], ...]

# -- decoded shapes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistogramValue:
    """A histogram-like point. For exponential histograms ``bucket_counts`` are the positive
    buckets and ``explicit_bounds`` is empty; for summaries only count and sum are set."""

    count: int
    sum: float | None
    bucket_counts: tuple[int, ...] = ()
    explicit_bounds: tuple[float, ...] = ()
    min: float | None = None
    max: float | None = None


PointValue = int | float | HistogramValue


class Point(NamedTuple):
    """One data point; times are Unix nanoseconds as on the wire (``start_time`` 0 for gauges)."""

    attributes: dict[str, Any]
    value: PointValue
    start_time: int
    time: int


@dataclass(frozen=True)
class MetricRecord:
    """One metric of one request, flattened with its resource and scope.

    ``is_monotonic`` is None except for sums; ``temporality`` is None for gauges and summaries.
    """

    resource_attributes: dict[str, Any]
    scope_name: str
    scope_version: str
    metric_name: str
    unit: str
    description: str
    kind: Kind
    is_monotonic: bool | None
    temporality: Temporality | None
    points: list[Point]
    transport: Transport
    received_at: float


@dataclass(frozen=True)
class ReceivedRequest:
    """One export attempt as the receiver saw it, accepted or refused.

    ``status`` is the gRPC status name (``OK``, ``UNAUTHENTICATED``, ``UNAVAILABLE``) or, over
    HTTP, the status code as a string; ``request`` is None when the body could not be decoded.
    """

    transport: Transport
    headers: dict[str, str]
    request: ExportMetricsServiceRequest | None
    accepted: bool
    status: str
    received_at: float
    compression: str = "identity"


def any_value(value: AnyValue) -> Any:
    """Convert an OTLP ``AnyValue`` to plain Python (lists for arrays, dicts for kvlists)."""
    which = value.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [any_value(item) for item in value.array_value.values]
    if which == "kvlist_value":
        return attributes_dict(value.kvlist_value.values)
    return getattr(value, which)


def attributes_dict(pairs: Iterable[KeyValue]) -> dict[str, Any]:
    """Convert repeated ``KeyValue`` to a dict."""
    return {pair.key: any_value(pair.value) for pair in pairs}


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((key, _freeze(item)) for key, item in value.items()))
    return value


def attr_key(attributes: Mapping[str, Any]) -> AttrKey:
    """A hashable, order-independent key for an attribute set (the keys of ``latest()``)."""
    return tuple(sorted((key, _freeze(value)) for key, value in attributes.items()))


def _temporality(value: int) -> Temporality:
    if value == AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE:
        return "cumulative"
    if value == AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA:
        return "delta"
    return "unspecified"


def _number(point: NumberDataPoint) -> Point:
    value: PointValue = point.as_int if point.WhichOneof("value") == "as_int" else point.as_double
    return Point(attributes_dict(point.attributes), value, point.start_time_unix_nano, point.time_unix_nano)


def _histogram(point: HistogramDataPoint) -> Point:
    value = HistogramValue(
        count=point.count,
        sum=point.sum if point.HasField("sum") else None,
        bucket_counts=tuple(point.bucket_counts),
        explicit_bounds=tuple(point.explicit_bounds),
        min=point.min if point.HasField("min") else None,
        max=point.max if point.HasField("max") else None,
    )
    return Point(attributes_dict(point.attributes), value, point.start_time_unix_nano, point.time_unix_nano)


def _decode_metric(metric: Metric) -> tuple[Kind, bool | None, Temporality | None, list[Point]]:
    which = metric.WhichOneof("data")
    if which == "sum":
        points = [_number(p) for p in metric.sum.data_points]
        return "sum", metric.sum.is_monotonic, _temporality(metric.sum.aggregation_temporality), points
    if which == "gauge":
        return "gauge", None, None, [_number(p) for p in metric.gauge.data_points]
    if which == "histogram":
        points = [_histogram(p) for p in metric.histogram.data_points]
        return "histogram", None, _temporality(metric.histogram.aggregation_temporality), points
    if which == "exponential_histogram":
        exp = metric.exponential_histogram
        points = [
            Point(
                attributes_dict(p.attributes),
                HistogramValue(
                    count=p.count,
                    sum=p.sum if p.HasField("sum") else None,
                    bucket_counts=tuple(p.positive.bucket_counts),
                    min=p.min if p.HasField("min") else None,
                    max=p.max if p.HasField("max") else None,
                ),
                p.start_time_unix_nano,
                p.time_unix_nano,
            )
            for p in exp.data_points
        ]
        return "exponential_histogram", None, _temporality(exp.aggregation_temporality), points
    if which == "summary":
        points = [
            Point(
                attributes_dict(p.attributes),
                HistogramValue(count=p.count, sum=p.sum),
                p.start_time_unix_nano,
                p.time_unix_nano,
            )
            for p in metric.summary.data_points
        ]
        return "summary", None, None, points
    raise HarnessError(f"metric {metric.name!r} carries no data (oneof 'data' unset)")


def flatten(
    request: ExportMetricsServiceRequest, transport: Transport, received_at: float
) -> list[MetricRecord]:
    """Flatten one request into ``MetricRecord`` rows (one per metric per scope per resource)."""
    records: list[MetricRecord] = []
    for resource_metrics in request.resource_metrics:
        resource = attributes_dict(resource_metrics.resource.attributes)
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                kind, monotonic, temporality, points = _decode_metric(metric)
                records.append(
                    MetricRecord(
                        resource_attributes=resource,
                        scope_name=scope_metrics.scope.name,
                        scope_version=scope_metrics.scope.version,
                        metric_name=metric.name,
                        unit=metric.unit,
                        description=metric.description,
                        kind=kind,
                        is_monotonic=monotonic,
                        temporality=temporality,
                        points=points,
                        transport=transport,
                        received_at=received_at,
                    )
                )
    return records


# -- shared state and queries ----------------------------------------------------------------------


@dataclass
class _Policy:
    """What the receiver demands and how it misbehaves; changed by tests while it runs."""

    required_headers: dict[str, str] = field(default_factory=dict)
    refusing: bool = False
    delay: float = 0.0
    rejected_data_points: int = 0
    partial_error_message: str = ""
    refusal_message: str = "missing or wrong credentials header"


class OtlpReceiver(Service):
    """Common storage, policy and queries of the gRPC and HTTP receivers (thread-safe)."""

    transport: Transport

    def __init__(
        self,
        *,
        port: int | None = None,
        tls: TlsMaterial | None = None,
        require_client_cert: bool = False,
        required_headers: Mapping[str, str] | None = None,
    ) -> None:
        if require_client_cert and tls is None:
            raise HarnessError("require_client_cert needs tls material")
        self.port = port if port is not None else free_port()
        self.tls = tls
        self.require_client_cert = require_client_cert
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._policy = _Policy(required_headers={k.lower(): v for k, v in (required_headers or {}).items()})
        self._attempts: list[ReceivedRequest] = []
        self._records: list[MetricRecord] = []
        self._running = False

    # lifecycle (subclasses implement _serve/_shutdown)

    def _serve(self) -> None:
        raise NotImplementedError

    def _shutdown(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        """Start serving on ``self.port`` (the same port after a ``stop()``: a collector coming back)."""
        if self._running:
            return
        self._serve()
        self._running = True

    def stop(self) -> None:
        """Stop serving and drop open connections (a collector going down); stored data is kept."""
        if not self._running:
            return
        self._shutdown()
        self._running = False

    @property
    def running(self) -> bool:
        """Whether the server is listening."""
        return self._running

    @property
    def endpoint(self) -> str:
        """The URL an OTLP exporter of this transport should be given."""
        raise NotImplementedError

    @property
    def scheme(self) -> str:
        """``https`` when TLS is on, else ``http``."""
        return "https" if self.tls is not None else "http"

    @property
    def address(self) -> str:
        """``127.0.0.1:<port>``."""
        return f"{LOOPBACK}:{self.port}"

    # policy

    def require_headers(self, headers: Mapping[str, str]) -> None:
        """Demand these headers (names case-insensitive, values exact); others get UNAUTHENTICATED/401."""
        with self._lock:
            self._policy.required_headers = {k.lower(): v for k, v in headers.items()}

    def refuse_all(self, refuse: bool = True) -> None:
        """Answer every export with UNAVAILABLE (HTTP 503), as a collector in an outage does."""
        with self._lock:
            self._policy.refusing = refuse

    def set_delay(self, seconds: float) -> None:
        """Sleep this long before answering, to exercise exporter timeouts."""
        with self._lock:
            self._policy.delay = seconds

    def set_refusal_message(self, message: str) -> None:
        """What a refusal for wrong credentials says (collectors often quote what they were sent)."""
        with self._lock:
            self._policy.refusal_message = message

    def refusal_message(self) -> str:
        with self._lock:
            return self._policy.refusal_message

    def set_partial_success(self, rejected_data_points: int, error_message: str = "") -> None:
        """Accept exports but report a partial success with this many rejected points."""
        with self._lock:
            self._policy.rejected_data_points = rejected_data_points
            self._policy.partial_error_message = error_message

    def _judge(self, headers: Mapping[str, str]) -> tuple[str | None, float]:
        """Return (refusal reason or None, delay) for a request with these (lower-cased) headers."""
        with self._lock:
            policy = self._policy
            if policy.refusing:
                return "UNAVAILABLE", policy.delay
            for name, expected in policy.required_headers.items():
                got = headers.get(name)
                if got != expected:
                    return "UNAUTHENTICATED", policy.delay
            return None, policy.delay

    def _response(self) -> ExportMetricsServiceResponse:
        with self._lock:
            rejected = self._policy.rejected_data_points
            message = self._policy.partial_error_message
        if not rejected and not message:
            return ExportMetricsServiceResponse()
        return ExportMetricsServiceResponse(
            partial_success=ExportMetricsPartialSuccess(rejected_data_points=rejected, error_message=message)
        )

    def _record(self, attempt: ReceivedRequest) -> None:
        records = (
            flatten(attempt.request, attempt.transport, attempt.received_at)
            if attempt.accepted and attempt.request is not None
            else []
        )
        with self._changed:
            self._attempts.append(attempt)
            self._records.extend(records)
            self._changed.notify_all()

    # queries

    def attempts(self) -> list[ReceivedRequest]:
        """Every export attempt seen, accepted or refused, in arrival order."""
        with self._lock:
            return list(self._attempts)

    def requests(self) -> list[ExportMetricsServiceRequest]:
        """The accepted requests, decoded, in arrival order."""
        with self._lock:
            return [a.request for a in self._attempts if a.accepted and a.request is not None]

    def metrics(self, name: str | None = None) -> list[MetricRecord]:
        """Accepted metrics flattened to records, in arrival order (optionally only ``name``)."""
        with self._lock:
            return [r for r in self._records if name is None or r.metric_name == name]

    def metric_names(self) -> set[str]:
        """Names of all metrics received so far."""
        return {r.metric_name for r in self.metrics()}

    def clear(self) -> None:
        """Forget everything received (policy unchanged)."""
        with self._lock:
            self._attempts.clear()
            self._records.clear()

    def latest(self, name: str, resource: Mapping[str, Any] | None = None) -> dict[AttrKey, PointValue]:
        """The last value of ``name`` per attribute set (by point time, then arrival order).

        ``resource``, if given, keeps only records whose resource has these attributes.
        Index the result with ``attr_key({...})``.
        """
        best: dict[AttrKey, tuple[int, PointValue]] = {}
        for record in self.metrics(name):
            if resource is not None and not _subset(resource, record.resource_attributes):
                continue
            for point in record.points:
                key = attr_key(point.attributes)
                if key not in best or point.time >= best[key][0]:
                    best[key] = (point.time, point.value)
        return {key: value for key, (_, value) in best.items()}

    def latest_value(
        self,
        name: str,
        attributes: Mapping[str, Any] | None = None,
        resource: Mapping[str, Any] | None = None,
    ) -> PointValue:
        """The last value of the single series of ``name`` whose attributes include ``attributes``."""
        wanted = attributes or {}
        matches = {
            key: value for key, value in self.latest(name, resource).items() if _subset(wanted, dict(key))
        }
        if len(matches) != 1:
            raise AssertionError(
                f"expected one series of {name!r} matching {wanted}, found {len(matches)}: {matches}"
            )
        return next(iter(matches.values()))

    def wait_for(
        self,
        predicate: Callable[[list[MetricRecord]], object],
        timeout: float = 10.0,
    ) -> list[MetricRecord]:
        """Wait until ``predicate(self.metrics())`` is truthy; return those records.

        On timeout the failure lists the metric names received and every attempt's status.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                records = list(self._records)
                if predicate(records):
                    return records
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(min(left, 0.2))
        summary = [f"{a.transport} {a.status} headers={sorted(a.headers)}" for a in self.attempts()]
        return wait_until(
            self.metrics,
            predicate,
            timeout=0,
            what=f"OTLP {self.transport} receiver on {self.address}; attempts={summary}; "
            f"names={sorted(self.metric_names())}",
        )

    def wait_for_metric(self, name: str, timeout: float = 10.0) -> list[MetricRecord]:
        """Wait until a metric called ``name`` arrives; return its records."""
        self.wait_for(lambda records: any(r.metric_name == name for r in records), timeout)
        return self.metrics(name)

    def wait_for_attempts(self, count: int = 1, timeout: float = 10.0) -> list[ReceivedRequest]:
        """Wait until at least ``count`` attempts (accepted or not) were seen; return them all."""
        return wait_until(
            self.attempts, lambda a: len(a) >= count, timeout=timeout, what=f"{count} export attempt(s)"
        )


def _subset(wanted: Mapping[str, Any], have: Mapping[str, Any]) -> bool:
    return all(key in have and _freeze(have[key]) == _freeze(value) for key, value in wanted.items())


# -- gRPC ------------------------------------------------------------------------------------------


class _Servicer(metrics_service_pb2_grpc.MetricsServiceServicer):
    """Implements ``MetricsService/Export`` on top of an ``OtlpReceiver``'s policy and storage."""

    def __init__(self, receiver: OtlpGrpcReceiver) -> None:
        self.receiver = receiver

    def Export(
        self, request: ExportMetricsServiceRequest, context: grpc.ServicerContext
    ) -> ExportMetricsServiceResponse:
        headers: dict[str, str] = {}
        for key, value in context.invocation_metadata():
            headers[key.lower()] = value if isinstance(value, str) else value.decode("latin-1")
        refusal, delay = self.receiver._judge(headers)
        if delay:
            time.sleep(delay)
        received_at = time.time()
        if refusal is not None:
            self.receiver._record(ReceivedRequest("grpc", headers, request, False, refusal, received_at))
            message = (
                "collector unavailable (simulated outage)"
                if refusal == "UNAVAILABLE"
                else self.receiver.refusal_message()
            )
            context.abort(getattr(grpc.StatusCode, refusal), message)
        compression = headers.get("grpc-encoding", "identity")
        self.receiver._record(ReceivedRequest("grpc", headers, request, True, "OK", received_at, compression))
        return self.receiver._response()


class OtlpGrpcReceiver(OtlpReceiver):
    """OTLP/gRPC metrics receiver on 127.0.0.1 (``endpoint`` is ``http(s)://127.0.0.1:<port>``)."""

    transport: Transport = "grpc"
    _server: Any = None

    @property
    def endpoint(self) -> str:
        """The URL an OTLP gRPC exporter should be given."""
        return f"{self.scheme}://{self.address}"

    def _serve(self) -> None:
        # so_reuseport off: two servers must never share a port silently (grpc enables it by default).
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), options=[("grpc.so_reuseport", 0)])
        # The generated *_pb2_grpc module has no annotations (no .pyi is shipped for it).
        metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(_Servicer(self), server)  # type: ignore[no-untyped-call]
        try:
            if self.tls is not None:
                credentials = grpc.ssl_server_credentials(
                    [(self.tls.server_key_pem, self.tls.server_cert_pem)],
                    root_certificates=self.tls.ca_pem if self.require_client_cert else None,
                    require_client_auth=self.require_client_cert,
                )
                bound = server.add_secure_port(self.address, credentials)
            else:
                bound = server.add_insecure_port(self.address)
        except RuntimeError as exc:
            raise HarnessError(f"OTLP gRPC receiver could not bind {self.address}: {exc}") from exc
        if bound != self.port:
            raise HarnessError(f"OTLP gRPC receiver could not bind {self.address} (bound {bound})")
        server.start()
        self._server = server

    def _shutdown(self) -> None:
        self._server.stop(grace=None).wait(5)
        self._server = None


# -- HTTP/protobuf ---------------------------------------------------------------------------------


class _HttpServer(ThreadingHTTPServer):
    """Threading HTTP server that does the TLS handshake in the request thread and tracks
    connections, so that ``stop()`` really cuts keep-alive clients (as a dead collector would)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, receiver: OtlpHttpReceiver, ssl_context: ssl.SSLContext | None) -> None:
        self.receiver = receiver
        self.ssl_context = ssl_context
        self.connections: set[socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__((LOOPBACK, receiver.port), _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        conn: socket = request
        if self.ssl_context is not None:
            conn.settimeout(5.0)
            try:
                conn = self.ssl_context.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError):
                conn.close()
                return
            conn.settimeout(None)
        with self.connections_lock:
            self.connections.add(conn)
        try:
            super().finish_request(conn, client_address)
        finally:
            with self.connections_lock:
                self.connections.discard(conn)
            if conn is not request:
                conn.close()

    def drop_connections(self) -> None:
        with self.connections_lock:
            conns = list(self.connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    """``POST /v1/metrics`` with ``application/x-protobuf`` (optionally gzip/deflate compressed)."""

    protocol_version = "HTTP/1.1"
    timeout = 30
    server: _HttpServer

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging; attempts are recorded instead."""

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _reply(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        receiver = self.server.receiver
        body = self._body()
        headers = {key.lower(): value for key, value in self.headers.items()}
        received_at = time.time()
        encoding = headers.get("content-encoding", "identity").lower()

        def refuse(
            status: HTTPStatus, message: str, request: ExportMetricsServiceRequest | None = None
        ) -> None:
            receiver._record(
                ReceivedRequest("http", headers, request, False, str(status.value), received_at, encoding)
            )
            self._reply(status.value, message.encode())

        if self.path.split("?", 1)[0] != receiver.path:
            refuse(HTTPStatus.NOT_FOUND, f"no such path {self.path}; OTLP metrics go to {receiver.path}")
            return
        refusal, delay = receiver._judge(headers)
        if delay:
            time.sleep(delay)
        if refusal == "UNAVAILABLE":
            refuse(HTTPStatus.SERVICE_UNAVAILABLE, "collector unavailable (simulated outage)")
            return
        if refusal == "UNAUTHENTICATED":
            refuse(HTTPStatus.UNAUTHORIZED, receiver.refusal_message())
            return
        content_type = headers.get("content-type", "").split(";")[0].strip()
        if content_type != "application/x-protobuf":
            refuse(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                f"content-type {content_type!r} is not application/x-protobuf",
            )
            return
        try:
            if encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding == "deflate":
                body = zlib.decompress(body)
            elif encoding not in ("identity", ""):
                refuse(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"content-encoding {encoding!r} not supported")
                return
            request = ExportMetricsServiceRequest.FromString(body)
        except (OSError, EOFError, zlib.error, DecodeError) as exc:
            refuse(HTTPStatus.BAD_REQUEST, f"undecodable body: {exc}")
            return
        receiver._record(ReceivedRequest("http", headers, request, True, "200", received_at, encoding))
        self._reply(200, receiver._response().SerializeToString(), "application/x-protobuf")


class OtlpHttpReceiver(OtlpReceiver):
    """OTLP/HTTP (protobuf) metrics receiver; ``endpoint`` is ``http(s)://127.0.0.1:<port>/v1/metrics``.

    Refusals: 503 during ``refuse_all()``, 401 without the required headers, 404 on another path,
    415 for a content type other than protobuf, 400 for an undecodable body.
    """

    transport: Transport = "http"
    #: The path served; set it on the instance before ``start()`` to emulate another route.
    path: str = "/v1/metrics"
    _server: _HttpServer | None = None
    _thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        """The full URL an OTLP HTTP exporter should be given (``OTEL_EXPORTER_OTLP_METRICS_ENDPOINT``)."""
        return f"{self.scheme}://{self.address}{self.path}"

    @property
    def base_endpoint(self) -> str:
        """The base URL (``OTEL_EXPORTER_OTLP_ENDPOINT``, to which exporters append ``/v1/metrics``)."""
        return f"{self.scheme}://{self.address}"

    def _ssl_context(self) -> ssl.SSLContext | None:
        if self.tls is None:
            return None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.tls.server_cert, self.tls.server_key)
        if self.require_client_cert:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(cafile=str(self.tls.ca_cert))
        return context

    def _serve(self) -> None:
        try:
            server = _HttpServer(self, self._ssl_context())
        except OSError as exc:
            raise HarnessError(f"OTLP HTTP receiver could not bind {self.address}: {exc}") from exc
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"otlp-http-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def _shutdown(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server.drop_connections()
        self._thread.join(5)
        self._server = None
        self._thread = None
