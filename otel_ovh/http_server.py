"""The HTTP endpoint: ``/metrics``, ``/probe?target=<project id>``, ``/healthz`` and ``/readyz``.

Serving reads memory only: the exposition comes from :class:`~otel_ovh.telemetry.Telemetry`, which
renders OVH's series once per snapshot. TLS and basic auth follow the Prometheus web-config file.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from otel_ovh.web_config import WebConfig

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_PROJECT_ID = re.compile(r"^[0-9a-f]{32}$")


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


class MetricsServer:
    """A threaded HTTP server; each scrape gets its own thread and none of them calls OVH."""

    def __init__(
        self,
        host: str,
        port: int,
        render: Callable[[], bytes],
        *,
        healthy: Callable[[], bool],
        ready: Callable[[], bool],
        web_config: WebConfig | None = None,
    ) -> None:
        handler = _make_handler(render, healthy, ready, web_config or WebConfig())
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        if web_config is not None and web_config.tls is not None:
            context = web_config.tls.context()
            self._server.socket = context.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
        self._thread: threading.Thread | None = None
        self.scheme = "https" if web_config is not None and web_config.tls is not None else "http"

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = str(self._server.server_address[0])
        return f"{self.scheme}://{host}:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, name="otel-ovh-http", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _make_handler(
    render: Callable[[], bytes], healthy: Callable[[], bool], ready: Callable[[], bool], web: WebConfig
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "otel-ovh"
        sys_version = ""
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # TLS handshakes happen in the request thread, so one slow client cannot stall the others.
            do_handshake = getattr(self.connection, "do_handshake", None)
            if do_handshake is not None:
                self.connection.settimeout(10)
                do_handshake()

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s - %s", self.address_string(), format % args)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path in ("/healthz", "/readyz"):  # probes stay open: kubelets carry no credentials
                ok = healthy() if url.path == "/healthz" else ready()
                self._send(200 if ok else 503, b"ok\n" if ok else b"not ready\n", "text/plain; charset=utf-8")
                return
            if not self._authorised():
                return
            if url.path == "/metrics":
                self._send(200, render(), CONTENT_TYPE)
            elif url.path == "/probe":
                target = parse_qs(url.query).get("target", [""])[0].strip().lower()
                if not _PROJECT_ID.match(target):
                    self._send(
                        400,
                        b"target must be a project id (32 hexadecimal characters)\n",
                        "text/plain; charset=utf-8",
                    )
                    return
                self._send(200, filter_exposition(render(), target), CONTENT_TYPE)
            elif url.path == "/":
                self._send(
                    200,
                    b"<html><body><h1>otel-ovh</h1><a href='/metrics'>metrics</a></body></html>\n",
                    "text/html; charset=utf-8",
                )
            else:
                self._send(404, b"not found\n", "text/plain; charset=utf-8")

        def _authorised(self) -> bool:
            if web.basic_auth is None:
                return True
            header = self.headers.get("Authorization", "")
            if header.startswith("Basic "):
                try:
                    user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
                except (binascii.Error, UnicodeDecodeError):
                    user, password = "", ""
                if user and web.basic_auth.check(user, password):
                    return True
            self._send(
                401,
                b"unauthorized\n",
                "text/plain; charset=utf-8",
                {"WWW-Authenticate": 'Basic realm="otel-ovh"'},
            )
            return False

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
