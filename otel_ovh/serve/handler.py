"""The answer to every request, as a pure function: ``/metrics``, ``/probe``, ``/healthz``, ``/readyz``.

Serving reads memory only: the exposition comes from :class:`~otel_ovh.export.telemetry.Telemetry`, which
renders OVH's series once per snapshot. Basic auth and the extra response headers follow the Prometheus
web-config file; TLS belongs to the server (:mod:`otel_ovh.serve.server`).

What an unauthenticated client may learn: ``/healthz`` and ``/readyz`` answer without credentials (a
kubelet or load balancer carries none): "ok", or one line saying what is wrong, which names no project
and no secret (``otel_ovh.serve.health`` words them); every other path answers
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
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from urllib.parse import parse_qs, urlsplit

from otel_ovh.export.exposition import filter_project
from otel_ovh.settings.web_config import AuthBusy, WebConfig

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
_ALLOW = {"Allow": "GET, HEAD, OPTIONS"}
# Credentials refused are answered this late: a client guessing passwords, or hammering while bcrypt is
# busy, gets a few tries a second per connection instead of as many as the server can answer.
REFUSAL_DELAY = 0.25

# An answer's body: one bytes, or segments (memoryviews of the copy every connection shares) written in
# turn, so that a large body is never copied per connection.
Body = bytes | tuple[bytes | memoryview, ...]
Render = Callable[[bool], Body]
# The exposition of one project (``/probe``): empty for a project without series.
Select = Callable[[str], Body]
# A probe's check: None (or True) when fine, else why not in one line (or False: no reason), as a 503.
Probe = Callable[[], str | bool | None]


class BadTarget(ValueError):
    """A request target that cannot be parsed: answered 400 by the server."""


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

        A repeated header keeps its first value, whatever the server, so which of two ``Authorization``
        headers is checked never depends on it. Raises :class:`BadTarget` for a target that is no URL.
        """
        try:
            url = urlsplit(target)
        except ValueError as error:  # an unclosed "[", say: the message quotes the target, not kept
            raise BadTarget from error
        lowered: dict[str, str] = {}
        for name, value in headers:
            lowered.setdefault(name.lower(), value)
        return cls(method.upper(), url.path, url.query, MappingProxyType(lowered))

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


@dataclass(frozen=True)
class Response:
    """Everything the server writes, in order; ``close`` asks it to end the connection afterwards, and
    ``delay`` to hold the answer that many seconds first (waiting, not working)."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: Body
    close: bool = False
    delay: float = 0.0

    @property
    def size(self) -> int:
        return _size(self.body)

    @property
    def content(self) -> bytes:
        """The body as one bytes: for tests and small answers, never for the exposition on a socket."""
        return self.body if isinstance(self.body, bytes) else b"".join(self.body)


def _size(body: Body) -> int:
    return len(body) if isinstance(body, bytes) else sum(len(part) for part in body)


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


def _credentials(authorization: str) -> tuple[str, str] | None:
    """User and password of a Basic ``Authorization`` header; None for anything else or malformed."""
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, separator, password = decoded.partition(":")
    return (user, password) if separator and user else None


@dataclass(frozen=True)
class Handler:
    """Routing, basic auth and content negotiation over the exporter's in-memory state.

    ``render(gzip)`` gives the exposition (``None`` when Prometheus is off and metrics are pushed over
    OTLP); ``select(project)`` that of one project, from an index built once per snapshot (``None``: it is
    filtered from the plain exposition per request); ``healthy`` and ``ready`` answer the probes (None,
    or what is wrong); ``projects`` gives the ids
    in the current snapshot (``None``: not known here, so ``/probe`` cannot tell an unknown project). None
    of them may call OVH: a scrape must not wait on it.
    """

    render: Render | None
    healthy: Probe
    ready: Probe
    web: WebConfig = field(default_factory=WebConfig)
    projects: Callable[[], Collection[str]] | None = None
    select: Select | None = None

    def handle(self, request: Request) -> Response:
        """Never raises: a failure while answering is a 500 (logged once) and the connection is closed.

        HEAD gets the headers GET would get, Content-Length included, and no body.
        """
        try:
            response = self._route(request)
        except Exception:
            log.exception("answering %s failed", request.path)
            response = self._response(500, b"internal error\n", TEXT, close=True)
        return replace(response, body=b"") if request.method == "HEAD" else response

    def error(self, status: int, body: bytes) -> Response:
        """A refusal decided by the server (a head too large, a body too long), with the web-config
        headers like every other answer; the connection is closed after it."""
        return self._response(status, body, TEXT, close=True)

    def _route(self, request: Request) -> Response:
        probe = request.path in PROBES  # probes stay open: kubelets carry no credentials
        try:
            authorised = probe or self._authorised(request.header("Authorization"))
        except AuthBusy:
            busy = self._response(503, b"busy checking passwords, retry\n", TEXT, {"Retry-After": "1"})
            return replace(busy, delay=REFUSAL_DELAY)
        if not authorised:
            return replace(self._response(401, b"unauthorized\n", TEXT, _CHALLENGE), delay=REFUSAL_DELAY)
        # After the 401, so a stranger learns nothing from the method either.
        if request.method == "OPTIONS":
            return self._response(200, b"", TEXT, _ALLOW)
        if request.method not in ("GET", "HEAD"):
            return self._response(405, b"method not allowed\n", TEXT, _ALLOW)
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
        if self.projects is not None and target not in self.projects():
            # A 200 with no series would have Prometheus record up=1 for a project nobody collects.
            if self.ready() not in (None, True):
                return self._response(503, b"no data yet: the first collection has not finished\n", TEXT)
            reason = f"project {target} is not among the projects collected\n"
            return self._response(404, reason.encode(), TEXT)
        if self.select is not None:
            return self._response(200, self.select(target), CONTENT_TYPE)
        plain = self.render(False)
        whole = plain if isinstance(plain, bytes) else b"".join(plain)
        return self._response(200, filter_project(whole, target), CONTENT_TYPE)

    def quick(self, request: Request) -> bool:
        """True when the answer costs no bcrypt and no rendering (the exposition is cached, in plain text
        decompressed once per snapshot), so the server may give it on its event loop, without a hop to a
        worker thread: under hundreds of clients those hops, each a wait for the interpreter lock, are
        what keeps a probe waiting."""
        if request.path in PROBES:
            return True
        auth = self.web.basic_auth
        if auth is not None:
            credentials = _credentials(request.header("Authorization"))
            if credentials is None or not auth.remembered(*credentials):
                return False
        return request.path != "/probe"

    def _authorised(self, authorization: str) -> bool:
        """Basic credentials checked with bcrypt; anything malformed is simply not authorised."""
        if self.web.basic_auth is None:
            return True
        credentials = _credentials(authorization)
        return credentials is not None and self.web.basic_auth.check(*credentials)

    def _response(
        self,
        status: int,
        body: Body,
        content_type: str,
        extra: Mapping[str, str] | None = None,
        *,
        close: bool = False,
    ) -> Response:
        """Every answer carries the web-config headers, errors and 401s included."""
        headers = [("Content-Type", content_type), ("Content-Length", str(_size(body)))]
        headers.extend({**self.web.headers, **(extra or {})}.items())
        return Response(status, tuple(headers), body, close)
