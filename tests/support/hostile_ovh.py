"""A hostile OVH: a proxy in front of the simulator that rewrites, delays or bloats chosen answers.

The simulator answers as OVH documents; OVH in the wild (or a broken middlebox in front of it) can send
any valid JSON, trickle an answer byte by byte, send an answer of any size or a gzip bomb. This proxy
sits between the exporter and the simulator, passes every request through unchanged (the ``Host``
header included, so request signatures still verify) and lets a test turn chosen answers hostile:

    with HostileOvh(sim) as ovh:
        ovh.add(Rule("/cloud/project/{pid}/volume", rewrite=lambda body: ...))
        settings = settings_for(ovh, ...)   # ovh.url and ovh.credentials stand in for the simulator's

Rules match the request path without the ``/1.0`` prefix and the query, as an ``fnmatch`` glob; the first
matching rule acts, ``times`` times (None: until cleared). Everything the proxy forwards is counted per
path, so a test can tell which calls were made.
"""

from __future__ import annotations

import fnmatch
import functools
import http.client
import json
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Protocol, Self
from urllib.parse import urlsplit

Transform = Callable[[Any], Any]


class Upstream(Protocol):
    """What the proxy needs of the simulator."""

    @property
    def url(self) -> str: ...

    @property
    def credentials(self) -> dict[str, str]: ...


@dataclass
class Rule:
    """What to do with the answers to the paths matching ``path``; see the module docstring.

    At most one way of changing the body is given; ``delay`` and ``trickle`` combine with any of them.
    """

    path: str
    rewrite: Transform | None = None  # the decoded JSON in, the new JSON value (json.dumps'd) or bytes out
    body: bytes | None = None  # the raw body to send instead of the upstream one
    status: int | None = None  # the status to send instead of the upstream one
    headers: dict[str, str] = field(default_factory=dict)  # added to the answer's (a redirect's Location)
    huge: int = 0  # send a valid JSON array of about this many bytes, streamed, instead of the body
    gzip_bomb: int = 0  # send a gzip body that inflates to this many bytes of valid JSON
    delay: float = 0.0  # seconds to wait before the status line
    trickle: float = 0.0  # seconds between bytes of the body (the headers leave at once)
    times: int | None = None
    hits: int = field(default=0, init=False)

    def matches(self, path: str) -> bool:
        return fnmatch.fnmatchcase(path, self.path) and (self.times is None or self.hits < self.times)


@functools.lru_cache(maxsize=4)
def bomb(inflated: int) -> bytes:
    """A small gzip member that inflates to about ``inflated`` bytes of a valid JSON array of zeros.

    Compressed a block at a time, so that building a bomb of a gigabyte does not take one; kept, so that
    a rule answering every refresh does not build it again each time.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: a gzip header and trailer
    block = b"0," * 32768
    parts = [compressor.compress(b"[")]
    parts.extend(compressor.compress(block) for _ in range(max(1, inflated // len(block))))
    parts.append(compressor.compress(b"0]"))
    parts.append(compressor.flush())
    return b"".join(parts)


class HostileOvh:
    """The proxy; ``url`` and ``credentials`` stand in for the simulator's in settings."""

    def __init__(self, upstream: Upstream) -> None:
        self._upstream = upstream
        parts = urlsplit(upstream.url)
        self._target = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._prefix = parts.path.rstrip("/")
        self._rules: list[Rule] = []
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.times: list[float] = []  # time.monotonic() of every request, in arrival order
        self.paths: list[str] = []  # and its path
        self._server = _QuietServer(("127.0.0.1", 0), _ProxyHandler)
        self._server.daemon_threads = True
        self._server.proxy = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, name="hostile-ovh", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{self._prefix}"

    @property
    def credentials(self) -> dict[str, str]:
        return self._upstream.credentials

    def add(self, rule: Rule) -> Rule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def count(self, pattern: str) -> int:
        """How many requests for paths matching ``pattern`` the proxy has seen."""
        with self._lock:
            return sum(n for path, n in self.calls.items() if fnmatch.fnmatchcase(path, pattern))

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    def _rule_for(self, path: str) -> Rule | None:
        with self._lock:
            self.calls[path] += 1
            self.times.append(time.monotonic())
            self.paths.append(path)
            for rule in self._rules:
                if rule.matches(path):
                    rule.hits += 1
                    return rule
        return None

    def _path(self, raw: str) -> str:
        path = urlsplit(raw).path
        return path[len(self._prefix) :] if path.startswith(self._prefix) else path

    def _forward(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(*self._target, timeout=60)
        try:
            connection.request(method, target, body=body or None, headers=headers)
            answer = connection.getresponse()
            return answer.status, answer.getheaders(), answer.read()
        finally:
            connection.close()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gives up mid-answer (a deadline, a size cap) is what the tests provoke."""


_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read the exporter's logs, not the proxy's."""

    def do_GET(self) -> None:
        self._proxy()

    def do_POST(self) -> None:
        self._proxy()

    def do_PUT(self) -> None:
        self._proxy()

    def do_DELETE(self) -> None:
        self._proxy()

    def _proxy(self) -> None:
        proxy: HostileOvh = self.server.proxy  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        request_body = self.rfile.read(length) if length else b""
        dropped = ("connection", "accept-encoding")
        headers = {k: v for k, v in self.headers.items() if k.lower() not in dropped}
        rule = proxy._rule_for(proxy._path(self.path))
        status, upstream_headers, body = proxy._forward(self.command, self.path, headers, request_body)
        if rule is not None and rule.delay:
            time.sleep(rule.delay)
        out_headers = [(k, v) for k, v in upstream_headers if k.lower() not in _HOP_BY_HOP]
        out_headers += rule.headers.items() if rule is not None else []
        if rule is not None and rule.huge:
            self._send_huge(rule, status, out_headers)
            return
        encoding = None
        if rule is not None:
            status = rule.status if rule.status is not None else status
            if rule.rewrite is not None:
                rewritten = rule.rewrite(json.loads(body))
                # bytes go as they are: JSON that json.dumps cannot write (a literal 1e400)
                body = rewritten if isinstance(rewritten, bytes) else json.dumps(rewritten).encode()
            elif rule.body is not None:
                body = rule.body
            elif rule.gzip_bomb:
                body, encoding = bomb(rule.gzip_bomb), "gzip"
        self._send(status, out_headers, body, encoding, rule.trickle if rule else 0.0)

    def _head(self, status: int, headers: list[tuple[str, str]], length: int, encoding: str | None) -> None:
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def _send(
        self, status: int, headers: list[tuple[str, str]], body: bytes, encoding: str | None, trickle: float
    ) -> None:
        self._head(status, headers, len(body), encoding)
        try:
            if not trickle:
                self.wfile.write(body)
                return
            for chunk in _bytes(body):
                self.wfile.write(chunk)
                self.wfile.flush()
                time.sleep(trickle)
        except OSError:
            self.close_connection = True  # the client gave up: that is what a deadline looks like

    def _send_huge(self, rule: Rule, status: int, headers: list[tuple[str, str]]) -> None:
        piece = b'"' + b"x" * 1022 + b'",'
        count = max(1, rule.huge // len(piece))
        self._head(status, headers, 1 + count * len(piece) + 2, None)
        try:
            self.wfile.write(b"[")
            for _ in range(count):
                self.wfile.write(piece)
            self.wfile.write(b"0]")
        except OSError:
            self.close_connection = True


def _bytes(body: bytes) -> Iterator[bytes]:
    for index in range(len(body)):
        yield body[index : index + 1]
