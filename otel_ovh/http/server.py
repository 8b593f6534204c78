"""The socket side of the HTTP endpoint: TLS, threads, keep-alive; every answer comes from ``handle``.

This module decides nothing about what a client may see: it turns the request into a
:class:`~otel_ovh.http.handler.Request`, asks the handler, and writes the
:class:`~otel_ovh.http.handler.Response` it gets. Replacing it with another server means filling a
``Request`` and writing a ``Response``; the rules in :mod:`otel_ovh.http.handler` stay as they are.

TLS handshakes run in the connection's own thread, never in the accept loop, so a client that stalls its
handshake holds one thread for ``HANDSHAKE_TIMEOUT`` at most and blocks nobody else. A silent kept-alive
connection is dropped after ``IDLE_TIMEOUT``.
"""

from __future__ import annotations

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

from otel_ovh.http.handler import Handler, Probe, Render, Request, Response
from otel_ovh.web_config import WebConfig

log = logging.getLogger(__name__)

HANDSHAKE_TIMEOUT = 10.0  # seconds a client has to finish its TLS handshake
IDLE_TIMEOUT = 120.0  # seconds a kept-alive connection may stay silent (longer than usual scrape intervals)
_TLS_HANDSHAKE_RECORD = 0x16  # the first byte of every TLS ClientHello
_PLAIN_HTTP_ON_TLS = (
    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"
    b"Content-Length: 48\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"
)

Handle = Callable[[Request], Response]
_QUERY = re.compile(r"\?[^\s'\"]*")


class _Server(ThreadingHTTPServer):
    """The threaded server, with TLS taken out of the accept loop and quiet connection failures."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handle: Handle, tls: ssl.SSLContext | None) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.tls = tls
        self.answer = handle
        super().__init__(address, _Connection)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the bind address with getfqdn, a DNS lookup that can stall the
        # start for seconds on 0.0.0.0 in a container; the name is never used.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def finish_request(self, request: Any, client_address: Any) -> None:
        """Runs in the connection's thread: the TLS handshake happens here, not in ``accept``."""
        # Headers and body leave in two writes; with Nagle's algorithm and the client's delayed ACK a
        # small answer on a kept-alive connection would wait out the client's ACK timer for nothing.
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


class _Connection(BaseHTTPRequestHandler):
    """Bytes to ``Request`` and ``Response`` to bytes.

    Only GET reaches the handler; other methods keep ``http.server``'s own 501 until the server is
    replaced (the handler already answers them 405).
    """

    server: _Server
    server_version = "otel-ovh"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT  # a silent client releases its thread (StreamRequestHandler applies it)

    def version_string(self) -> str:
        """``http.server`` joins the two versions with a space, which an empty ``sys_version`` leaves
        trailing; the Python version is not the client's business."""
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Never the raw request line: its query string can carry a secret (a token some client puts in
        a URL), so whatever follows a ``?`` is left out."""
        log.debug("%s - %s", self.address_string(), _QUERY.sub("?...", format % args))

    def do_GET(self) -> None:
        request = Request.from_target(self.command, self.path, self.headers.items())
        self._write(self.server.answer(request))

    def _write(self, response: Response) -> None:
        if response.close:
            self.close_connection = True
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)


class MetricsServer:
    """A threaded HTTP server; each scrape gets its own thread and none of them calls OVH."""

    def __init__(
        self,
        host: str,
        port: int,
        render: Render | None,
        *,
        healthy: Probe,
        ready: Probe,
        web_config: WebConfig | None = None,
    ) -> None:
        self._answers = (render, healthy, ready)
        handle, tls = self._rules(web_config)
        self._server = _Server((host, port), handle, tls)
        self._thread: threading.Thread | None = None

    def _rules(self, web_config: WebConfig | None) -> tuple[Handle, ssl.SSLContext | None]:
        web = web_config or WebConfig()
        tls = web.tls.context() if web.tls is not None else None
        self.scheme = "https" if web.tls is not None else "http"
        if web.basic_auth is not None and web.tls is None:
            log.warning(
                "basic auth without TLS: passwords cross the network in clear; set tls_server_config in %s",
                "prometheus.web_config_file",
            )
        return Handler(*self._answers, web).handle, tls

    def use_web_config(self, web_config: WebConfig | None) -> None:
        """A reloaded web config: its TLS for the connections accepted from now on, its users for every
        request; the listening socket stays. Raises (changing nothing) when its certificate does not load."""
        handle, tls = self._rules(web_config)
        self._server.answer, self._server.tls = handle, tls

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
