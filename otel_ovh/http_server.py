"""The HTTP endpoint: ``/metrics``, ``/probe?target=<project id>``, ``/healthz`` and ``/readyz``.

Serving reads memory only: the exposition comes from :class:`~otel_ovh.telemetry.Telemetry`, which
renders OVH's series once per snapshot. TLS and basic auth follow the Prometheus web-config file.

What an unauthenticated client may learn: ``/healthz`` and ``/readyz`` answer without credentials (a
kubelet or load balancer carries none, and they say only "ok" or "not ready"); every other path answers
401 with ``WWW-Authenticate`` and a fixed body before anything is rendered, so not even which paths exist
leaks. TLS handshakes run in the connection's own thread, never in the accept loop, so a client that
stalls its handshake holds one thread for ``HANDSHAKE_TIMEOUT`` at most and blocks nobody else.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import socket
import socketserver
import ssl
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from otel_ovh.web_config import WebConfig

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
HANDSHAKE_TIMEOUT = 10.0  # seconds a client has to finish its TLS handshake
IDLE_TIMEOUT = 120.0  # seconds a kept-alive connection may stay silent (longer than usual scrape intervals)
_TLS_HANDSHAKE_RECORD = 0x16  # the first byte of every TLS ClientHello
_PLAIN_HTTP_ON_TLS = (
    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"
    b"Content-Length: 48\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"
)
_PROJECT_ID = re.compile(r"^[0-9a-f]{32}$")


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


class _Server(ThreadingHTTPServer):
    """The threaded server, with TLS taken out of the accept loop and quiet connection failures."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        tls: ssl.SSLContext | None,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.tls = tls
        super().__init__(address, handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the bind address with getfqdn, a DNS lookup that can stall the
        # start for seconds on 0.0.0.0 in a container; the name is never used.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def finish_request(self, request: Any, client_address: Any) -> None:
        """Runs in the connection's thread: the TLS handshake happens here, not in ``accept``."""
        # Headers and body leave in two writes; with Nagle's algorithm and the client's delayed ACK a
        # small answer on a kept-alive connection would wait ~40 ms for nothing.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        secured = self._handshake(request, client_address)
        if secured is None:
            return
        try:
            super().finish_request(secured, client_address)
        finally:
            self.shutdown_request(secured)

    def _handshake(self, request: socket.socket, client_address: Any) -> ssl.SSLSocket | None:
        assert self.tls is not None
        request.settimeout(HANDSHAKE_TIMEOUT)
        try:
            first = request.recv(1, socket.MSG_PEEK)
            if first and first[0] != _TLS_HANDSHAKE_RECORD:
                # Plain HTTP on the TLS port: say so in HTTP (as Go servers do) instead of a TLS alert the
                # client would show as garbage, and close.
                request.sendall(_PLAIN_HTTP_ON_TLS)
                log.debug("%s sent plain HTTP to the TLS port", client_address[0])
                return None
            if not first:
                return None
            return self.tls.wrap_socket(request, server_side=True)
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError; the wrapped socket closed itself
            log.debug("TLS handshake with %s failed: %s", client_address[0], exc)
            return None

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that goes away mid-answer is its own business: one DEBUG line, no traceback on stderr."""
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            log.debug("connection from %s failed: %s", client_address[0], error)
        else:
            log.error("error while serving %s", client_address[0], exc_info=error)


class MetricsServer:
    """A threaded HTTP server; each scrape gets its own thread and none of them calls OVH."""

    def __init__(
        self,
        host: str,
        port: int,
        render: Callable[[bool], bytes] | None,
        *,
        healthy: Callable[[], bool],
        ready: Callable[[], bool],
        web_config: WebConfig | None = None,
    ) -> None:
        web = web_config or WebConfig()
        handler = _make_handler(render, healthy, ready, web)
        self._server = _Server((host, port), handler, web.tls.context() if web.tls is not None else None)
        self._thread: threading.Thread | None = None
        self.scheme = "https" if web.tls is not None else "http"
        if web.basic_auth is not None and web.tls is None:
            log.warning(
                "basic auth without TLS: passwords cross the network in clear; set tls_server_config in %s",
                "prometheus.web_config_file",
            )

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, name="otel-ovh-http", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        # shutdown() waits for serve_forever to end, so it would wait forever on a server never started.
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()


def _make_handler(
    render: Callable[[bool], bytes] | None,
    healthy: Callable[[], bool],
    ready: Callable[[], bool],
    web: WebConfig,
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "otel-ovh"
        sys_version = ""
        protocol_version = "HTTP/1.1"
        timeout = IDLE_TIMEOUT  # a silent client releases its thread (StreamRequestHandler applies it)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s - %s", self.address_string(), format % args)

        def do_GET(self) -> None:
            try:
                self._get()
            except OSError:
                raise  # the client went away: handle_error notes it
            except Exception:
                log.exception("answering %s failed", urlsplit(self.path).path)
                self.close_connection = True
                self._send(500, b"internal error\n", TEXT)

        def _get(self) -> None:
            url = urlsplit(self.path)
            if url.path in ("/healthz", "/readyz"):  # probes stay open: kubelets carry no credentials
                ok = healthy() if url.path == "/healthz" else ready()
                self._send(200 if ok else 503, b"ok\n" if ok else b"not ready\n", TEXT)
                return
            if not self._authorised():
                self._send(401, b"unauthorized\n", TEXT, {"WWW-Authenticate": 'Basic realm="otel-ovh"'})
                return
            if url.path in ("/metrics", "/probe"):
                self._metrics(url.path, url.query)
            elif url.path == "/":
                self._send(
                    200,
                    b"<html><body><h1>otel-ovh</h1><a href='/metrics'>metrics</a></body></html>\n",
                    "text/html; charset=utf-8",
                )
            else:
                self._send(404, b"not found\n", TEXT)

        def _metrics(self, path: str, query: str) -> None:
            if render is None:
                message = b"no Prometheus endpoint: prometheus.enabled is false (metrics go over OTLP)\n"
                self._send(404, message, TEXT)
                return
            if path == "/metrics":
                if _accepts_gzip(self.headers.get("Accept-Encoding", "")):
                    self._send(
                        200,
                        render(True),
                        CONTENT_TYPE,
                        {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
                    )
                else:
                    self._send(200, render(False), CONTENT_TYPE, {"Vary": "Accept-Encoding"})
                return
            target = parse_qs(query).get("target", [""])[0].strip().lower()
            if not _PROJECT_ID.match(target):
                self._send(400, b"target must be a project id (32 hexadecimal characters)\n", TEXT)
                return
            self._send(200, filter_exposition(render(False), target), CONTENT_TYPE)

        def _authorised(self) -> bool:
            """Basic credentials checked with bcrypt; anything malformed is simply not authorised."""
            if web.basic_auth is None:
                return True
            scheme, _, encoded = self.headers.get("Authorization", "").strip().partition(" ")
            if scheme.lower() != "basic":
                return False
            try:
                decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                return False
            user, separator, password = decoded.partition(":")
            return bool(separator and user) and web.basic_auth.check(user, password)

        def _send(
            self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in {**web.headers, **(extra or {})}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler
