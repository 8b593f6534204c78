"""The simulator's HTTP transport: requests and replies as plain values, and a threaded HTTP/1.1 server
that hands each request to the site (``SimulatedOvh``) and writes its reply.

The server remembers its open connections, so that stopping it closes kept-alive ones too (python-ovh
keeps one session per client), and a stopped simulator really stops answering.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from otel_ovh.simulator.errors import ApiError, service_error

JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
log = logging.getLogger(__name__)


@dataclass
class Request:
    method: str
    target: str  # the raw request target: path and query, as signed
    headers: dict[str, str]  # lower-case names
    body: bytes
    client: str

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.target).query, keep_blank_values=True))


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(status: int, value: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(value, separators=(",", ":")).encode(), headers=headers or {})


def html_reply(status: int, text: str) -> Reply:
    return Reply(status, text.encode(), HTML_TYPE)


def error_reply(error: ApiError) -> Reply:
    return json_reply(error.status, error.body, error.headers)


class Site(Protocol):
    """What the server serves: an answer to each request, and a query id for each answer."""

    def handle(self, request: Request) -> Reply: ...

    def next_query_id(self) -> str: ...


class Server(ThreadingHTTPServer):
    """Threaded server that remembers its open connections, so that stop() can close kept-alive ones."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], sim: Site) -> None:
        self.sim = sim
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-answer (its deadline passed) is no error of the simulator's; anything
        else keeps ``socketserver``'s report."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def close_connections(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one segment: written apart, Nagle and the client's delayed ACK
    # cost 40 ms per answer on a kept-alive connection.
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a request log line on stderr per call would drown a demo's output."""

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(
            self.command,
            self.path,
            {k.lower(): v for k, v in self.headers.items()},
            body,
            str(self.client_address[0]),
        )
        try:
            reply = self.server.sim.handle(request)
        except Exception:  # a bug in the simulator must still answer, as OVH would, with a 500
            log.exception("simulated OVH API failed on %s %s", self.command, self.path)
            reply = error_reply(service_error(500))
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("X-Ovh-Queryid", self.server.sim.next_query_id())
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _dispatch
