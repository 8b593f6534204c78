"""The HTTP transport under python-ovh: a total deadline per call and a cap on the size of an answer.

``requests`` bounds each socket operation, not a call: an answer that trickles a byte at a time never
times out, and an answer of any size (or a small gzip member that inflates to gigabytes) is read whole.
python-ovh sends everything through ``requests.Session.request``, so an adapter mounted on its sessions
bounds every call while python-ovh keeps the signing, the OAuth2 token and its own error mapping. The
adapter also refuses every redirect (``Redirected``): nothing is sent anywhere but the configured endpoint.

The adapter streams the answer and reads it a chunk at a time, decompressed, against the size cap; a
watchdog thread shuts the socket down at the call's deadline, which ends any blocking read (the status
line, the headers, or a body that blocks inside a buffered read), so a call ends at its deadline however
the bytes arrive. The connect phase is bounded by the connect timeout, clipped to the deadline; name
resolution is the system resolver's and is bounded by its own timeouts (``resolv.conf``).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Mapping
from typing import Any

import requests
import requests.adapters
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from otel_ovh.ovh.requests_internals import keep_body

CHUNK = 64 * 1024  # bytes read (decompressed) at a time; the size cap is checked after each


class CallTimeout(requests.exceptions.Timeout):
    """The call outlasted its total deadline (connect to last byte)."""


class AnswerTooLarge(requests.exceptions.RequestException):
    """The answer, decompressed, is larger than the cap."""


class Redirected(requests.exceptions.RequestException):
    """The answer was a redirect, which is never followed: ``requests`` would send OVH's signed
    ``X-Ovh-*`` headers (the consumer key among them) to wherever it points, and read that host's
    answer as OVH's."""


class _Call:
    """One call in flight: its deadline and, once connected, the socket the watchdog may shut down."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.aborted = False  # the deadline cut a connection: what failed after is the deadline's doing
        self._sock: socket.socket | None = None
        self._done = False
        self._late = False
        self._lock = threading.Lock()

    def watch(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._sock = sock
            late = self._late
            self.aborted = self.aborted or late
        if late:
            self._shutdown(sock)

    def finish(self) -> None:
        with self._lock:
            self._done = True
            self._sock = None

    @property
    def done(self) -> bool:
        return self._done

    def abort(self) -> None:
        """Cut the connection, or the one still being made once it is (name resolution and connecting
        cannot be cut: they fail on their own timeouts, with their own error)."""
        with self._lock:
            if self._done:
                return
            self._late = True
            sock = self._sock
            self.aborted = sock is not None
        self._shutdown(sock)

    @staticmethod
    def _shutdown(sock: socket.socket | None) -> None:
        # socket.socket's own shutdown, also for a TLS socket: SSLSocket.shutdown would unwrap the TLS
        # layer under the feet of the thread reading it.
        if sock is not None:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watchdog:
    """One thread for the process, aborting the calls whose deadline has passed."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Call]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, call: _Call) -> None:
        with self._cond:
            heapq.heappush(self._heap, (call.deadline, next(self._order), call))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="otel-ovh-deadlines", daemon=True)
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                deadline, _, call = self._heap[0]
                wait = deadline - time.monotonic()
                if not call.done and wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
            call.abort()


_WATCHDOG = _Watchdog()
_local = threading.local()


def _current_call() -> _Call | None:
    call: _Call | None = getattr(_local, "call", None)
    return call


def current_deadline() -> float | None:
    """The deadline this thread's calls are within, if any."""
    at: float | None = getattr(_local, "deadline", None)
    return at


class deadline:
    """Calls made by this thread within the block end by ``at`` (``time.monotonic``) at the latest.

    A class, not a generator context manager: those write ``__traceback__`` on the exception passing
    through, which a frozen dataclass exception refuses.
    """

    def __init__(self, at: float) -> None:
        self._at = at
        self._outer: float | None = None

    def __enter__(self) -> None:
        self._outer = current_deadline()
        _local.deadline = self._at if self._outer is None else min(self._at, self._outer)

    def __exit__(self, *_: object) -> None:
        _local.deadline = self._outer


class _Watched:
    """Hands the connection's socket to the call in flight before the answer is read (headers included)."""

    sock: Any

    def getresponse(self) -> Any:
        call = _current_call()
        if call is not None:
            call.watch(self.sock)
        return super().getresponse()  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOLS: Mapping[str, Any] = {"http": _HTTPPool, "https": _HTTPSPool}


class BoundedAdapter(requests.adapters.HTTPAdapter):
    """``timeout`` bounds a call made outside any ``deadline`` block; ``max_bytes`` caps every answer."""

    def __init__(self, timeout: float, max_bytes: int) -> None:
        self._total = timeout
        self._max_bytes = max_bytes
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _POOLS
        return manager

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None, **kwargs: Any
    ) -> requests.Response:
        now = time.monotonic()
        at = min(getattr(_local, "deadline", None) or now + self._total, now + self._total)
        remaining = at - now
        if remaining <= 0:
            raise CallTimeout("the call's deadline passed before it started", request=request)
        connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        timeout = (_clip(connect, remaining), _clip(read, remaining))
        call = _Call(at)
        _local.call = call
        _WATCHDOG.arm(call)
        try:
            response = super().send(request, stream=True, timeout=timeout, **kwargs)
            if 300 <= response.status_code < 400:  # raised here, before the session could follow it
                response.close()
                raise Redirected(f"HTTP {response.status_code}: a redirect, not followed", response=response)
            self._read(response, call)
            return response
        except Exception as exc:
            if call.aborted:
                raise CallTimeout(
                    f"no complete answer within {self._seconds(call, now)}", request=request
                ) from exc
            raise
        finally:
            call.finish()
            _local.call = None

    def _read(self, response: requests.Response, call: _Call) -> None:
        """The body, decompressed, a chunk at a time; too large or too late ends the call."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            response.close()
            raise AnswerTooLarge(
                self._too_large(f"of {int(declared)} bytes (announced) is over"), response=response
            )
        chunks: list[bytes] = []  # not one growing buffer: its reallocations hold two copies at once
        size = 0
        try:
            for chunk in response.raw.stream(CHUNK, decode_content=True):
                chunks.append(chunk)
                size += len(chunk)
                if size > self._max_bytes:
                    raise AnswerTooLarge(self._too_large("still arriving past"), response=response)
                if time.monotonic() >= call.deadline:
                    call.abort()
                    raise CallTimeout("the answer was still arriving at the deadline")
        except BaseException:
            response.close()
            raise
        keep_body(response, b"".join(chunks))
        response.raw.release_conn()

    def _too_large(self, how: str) -> str:
        return f"answer {how} the cap of {self._max_bytes} bytes (decompressed)"

    def _seconds(self, call: _Call, started: float) -> str:
        return f"{call.deadline - started:.1f}s"


def _clip(value: float | None, remaining: float) -> float:
    return remaining if value is None else min(value, remaining)


def mount(session: requests.Session, adapter: BoundedAdapter) -> None:
    """Every call of ``session`` goes through ``adapter``."""
    session.mount("https://", adapter)
    session.mount("http://", adapter)
