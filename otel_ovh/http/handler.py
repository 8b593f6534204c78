"""The answer to every request, as a pure function: ``/metrics``, ``/probe``, ``/healthz``, ``/readyz``.

Serving reads memory only: the exposition comes from :class:`~otel_ovh.telemetry.Telemetry`, which
renders OVH's series once per snapshot. Basic auth and the extra response headers follow the Prometheus
web-config file; TLS belongs to the server (:mod:`otel_ovh.http.server`).

What an unauthenticated client may learn: ``/healthz`` and ``/readyz`` answer without credentials (a
kubelet or load balancer carries none): "ok", or one line saying what is wrong, which names no project
and no secret (``otel_ovh.health`` words them); every other path answers
401 with ``WWW-Authenticate`` and a fixed body before anything is rendered, so not even which paths exist
leaks.

Nothing here touches a socket: a :class:`Request` comes in, a :class:`Response` goes out, so the rules
above are unit-tested directly and any HTTP server that can fill a ``Request`` can serve them.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import parse_qs, urlsplit

from otel_ovh.web_config import WebConfig

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
HTML = "text/html; charset=utf-8"
PROBES = ("/healthz", "/readyz")
_PROJECT_ID = re.compile(r"^[0-9a-f]{32}$")
_INDEX = b"<html><body><h1>otel-ovh</h1><a href='/metrics'>metrics</a></body></html>\n"
_PUSH_ONLY = b"no Prometheus endpoint: prometheus.enabled is false (metrics go over OTLP)\n"
_BAD_TARGET = b"target must be a project id (32 hexadecimal characters)\n"
_CHALLENGE = {"WWW-Authenticate": 'Basic realm="otel-ovh"'}

Render = Callable[[bool], bytes]
# A probe's check: None (or True) when fine, else why not in one line (or False: no reason), as a 503.
Probe = Callable[[], str | bool | None]


@dataclass(frozen=True)
class Request:
    """What the handler may base an answer on; header names are lower-cased so lookups cannot miss."""

    method: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_target(cls, method: str, target: str, headers: Iterable[tuple[str, str]] = ()) -> Request:
        """From the request line's target and the header pairs as received.

        A repeated header keeps its first value, as ``http.server`` reads it, so swapping the server
        does not change which of two ``Authorization`` headers is checked.
        """
        url = urlsplit(target)
        lowered: dict[str, str] = {}
        for name, value in headers:
            lowered.setdefault(name.lower(), value)
        return cls(method.upper(), url.path, url.query, MappingProxyType(lowered))

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


@dataclass(frozen=True)
class Response:
    """Everything the server writes, in order; ``close`` asks it to end the connection afterwards."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    close: bool = False


def _accepts_gzip(header: str) -> bool:
    """``Accept-Encoding`` names gzip with a non-zero quality (Prometheus sends ``gzip``)."""
    for part in header.split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() == "gzip":
            quality = params.strip().removeprefix("q=").strip()
            try:
                return not quality or float(quality) > 0
            except ValueError:
                return False
    return False


def filter_exposition(body: bytes, project_id: str) -> bytes:
    """The series of one project (multi-target pattern), keeping each family's HELP and TYPE lines."""
    needle = f'cloud_account_id="{project_id}"'.encode()
    out: list[bytes] = []
    header: list[bytes] = []
    for line in body.splitlines(keepends=True):
        if line.startswith(b"#"):
            header.append(line)
            continue
        if needle in line:
            if header:
                out.extend(header)
                header = []
            out.append(line)
        elif header and not line.strip():
            continue
    return b"".join(out)


@dataclass(frozen=True)
class Handler:
    """Routing, basic auth and content negotiation over the exporter's in-memory state.

    ``render(gzip)`` gives the exposition (``None`` when Prometheus is off and metrics are pushed over
    OTLP); ``healthy`` and ``ready`` answer the probes (None, or what is wrong). None of them may call
    OVH: a scrape must not wait on it.
    """

    render: Render | None
    healthy: Probe
    ready: Probe
    web: WebConfig = field(default_factory=WebConfig)

    def handle(self, request: Request) -> Response:
        """Never raises: a failure while answering is a 500 (logged once) and the connection is closed."""
        try:
            return self._route(request)
        except Exception:
            log.exception("answering %s failed", request.path)
            return self._response(500, b"internal error\n", TEXT, close=True)

    def _route(self, request: Request) -> Response:
        probe = request.path in PROBES  # probes stay open: kubelets carry no credentials
        if not probe and not self._authorised(request.header("Authorization")):
            return self._response(401, b"unauthorized\n", TEXT, _CHALLENGE)
        if request.method != "GET":  # after the 401, so a stranger learns nothing from the method either
            return self._response(405, b"method not allowed\n", TEXT, {"Allow": "GET"})
        if probe:
            if request.path == "/healthz":
                return self._probe(self.healthy, "unhealthy")
            return self._probe(self.ready, "not ready")
        if request.path in ("/metrics", "/probe"):
            return self._metrics(request)
        if request.path == "/":
            return self._response(200, _INDEX, HTML)
        return self._response(404, b"not found\n", TEXT)

    def _probe(self, check: Probe, failing: str) -> Response:
        """``check`` failing is itself the answer: a probe that cannot tell is not a healthy one."""
        try:
            trouble = check()
        except Exception as exc:
            log.debug("probe check failed", exc_info=True)
            trouble = f"cannot tell ({type(exc).__name__})"
        if trouble is None or trouble is True:
            return self._response(200, b"ok\n", TEXT)
        line = " ".join(str(trouble or failing).split())[:300]
        return self._response(503, line.encode("utf-8", "backslashreplace") + b"\n", TEXT)

    def _metrics(self, request: Request) -> Response:
        if self.render is None:
            return self._response(404, _PUSH_ONLY, TEXT)
        if request.path == "/metrics":
            if _accepts_gzip(request.header("Accept-Encoding")):
                extra = {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
                return self._response(200, self.render(True), CONTENT_TYPE, extra)
            return self._response(200, self.render(False), CONTENT_TYPE, {"Vary": "Accept-Encoding"})
        target = parse_qs(request.query).get("target", [""])[0].strip().lower()
        if not _PROJECT_ID.match(target):
            return self._response(400, _BAD_TARGET, TEXT)
        return self._response(200, filter_exposition(self.render(False), target), CONTENT_TYPE)

    def _authorised(self, authorization: str) -> bool:
        """Basic credentials checked with bcrypt; anything malformed is simply not authorised."""
        if self.web.basic_auth is None:
            return True
        scheme, _, encoded = authorization.strip().partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return False
        user, separator, password = decoded.partition(":")
        return bool(separator and user) and self.web.basic_auth.check(user, password)

    def _response(
        self,
        status: int,
        body: bytes,
        content_type: str,
        extra: Mapping[str, str] | None = None,
        *,
        close: bool = False,
    ) -> Response:
        """Every answer carries the web-config headers, errors and 401s included."""
        headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        headers.extend({**self.web.headers, **(extra or {})}.items())
        return Response(status, tuple(headers), body, close)
