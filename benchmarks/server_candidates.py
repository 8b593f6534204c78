"""Maintained HTTP servers around the very same pure handler, to measure them against ours (issue 19, 7a).

    python -m benchmarks.server_candidates uvicorn serve --config FILE     # otel-ovh, answered by uvicorn
    python -m benchmarks.server_candidates hypercorn serve --config FILE   # ... by hypercorn
    python -m benchmarks.server_candidates h11 serve --config FILE         # ... by our own server

The product is left as it is: this launcher puts a server of the same shape as
:class:`otel_ovh.serve.server.MetricsServer` in its place and runs ``otel-ovh``'s command line, so the
refresher, the telemetry, the supervisor and :class:`~otel_ovh.serve.handler.Handler` are the product's
own and only the code between the socket and the handler changes. ``benchmarks/attacks.py --servers``
starts these processes side by side and takes turns between them.

The adapter is ASGI, the interface both candidates speak, and as thin as it can be: the request's
method, target and headers become a :class:`~otel_ovh.serve.handler.Request`; the handler answers on the
event loop when it says the answer is quick and in a thread of 8 otherwise, as ours does; a refusal's
delay is slept; the body is handed over in 64 KiB pieces so that the candidate's flow control (uvicorn
waits while its transport is paused, hypercorn drains after every write) can bound what a client that
does not read holds, instead of one write queueing the whole answer.

Each candidate gets the limits it has that match ours (``otel_ovh.serve.server``): a request head of
32 KiB, 1024 connections, a backlog of 1024, 120 s idle keep-alive, a 10 s TLS handshake where it can
be set, and the very ``ssl.SSLContext`` the web config builds, so TLS versions and the client-certificate
requirement (mutual TLS) are the same bytes of configuration. What each cannot be told is the finding, in
``benchmarks/README.md`` ("Which HTTP server").
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import socket
import ssl
import sys
import threading
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from otel_ovh.serve.connection import IDLE_TIMEOUT, MAX_HEAD
from otel_ovh.serve.handler import Handler, Render, Request
from otel_ovh.serve.server import BACKLOG, MAX_CONNECTIONS, WORKERS
from otel_ovh.settings.web_config import WebConfig

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

CHUNK = 64 * 1024  # bytes of body per ASGI message: the unit a candidate's flow control can hold back
HANDSHAKE_TIMEOUT = 10  # seconds, as channel.HANDSHAKE_TIMEOUT, where the candidate lets us set it
CANDIDATES = ("h11", "uvicorn", "hypercorn")


class Adapter:
    """The ASGI application: every HTTP request to :meth:`Handler.handle`, nothing else."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.pool = concurrent.futures.ThreadPoolExecutor(WORKERS, thread_name_prefix="otel-ovh-asgi")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # nothing to set up: say so, so the server does not wait
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        target = scope.get("raw_path") or scope["path"].encode()
        if scope.get("query_string"):
            target += b"?" + scope["query_string"]
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]]
        request = Request.from_target(scope["method"], target.decode("latin-1"), headers)
        handler = self.handler  # read once: a reload swaps it
        if handler.quick(request):
            response = handler.handle(request)
        else:
            loop = asyncio.get_running_loop()
            response = await loop.run_in_executor(self.pool, handler.handle, request)
        if response.delay:
            await asyncio.sleep(response.delay)
        out = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in response.headers]
        if response.close:
            out.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": response.status, "headers": out})
        body = memoryview(response.content)
        for start in range(0, len(body), CHUNK):
            piece = bytes(body[start : start + CHUNK])
            await send({"type": "http.response.body", "body": piece, "more_body": start + CHUNK < len(body)})
        if not body:
            await send({"type": "http.response.body", "body": b""})


class CandidateServer:
    """What ``otel_ovh.serve.app`` asks of its server (the constructor, ``serve``, ``stop``, ``url``,
    ``use_web_config``), with a maintained server underneath; ``kind`` names it."""

    kind = ""

    def __init__(
        self,
        host: str,
        port: int,
        render: Render | None,
        *,
        web_config: WebConfig | None = None,
        **probes: Any,
    ) -> None:
        """As ``MetricsServer``: ``probes`` are the handler's ``healthy``, ``ready`` and ``projects``."""
        self._answers = (render, probes)
        web = web_config or WebConfig()
        self.tls = web.tls.context() if web.tls is not None else None
        self.scheme = "https" if self.tls is not None else "http"
        self.adapter = Adapter(Handler(render, web=web, **probes))
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.listener = socket.create_server((host, port), family=family, backlog=BACKLOG)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: Callable[[], None] | None = None

    def use_web_config(self, web_config: WebConfig | None) -> None:
        """The users and headers of a reload (TLS stays as started: enough for a benchmark)."""
        render, probes = self._answers
        self.adapter.handler = Handler(render, web=web_config or WebConfig(), **probes)

    @property
    def host(self) -> str:
        return str(self.listener.getsockname()[0])

    @property
    def port(self) -> int:
        return int(self.listener.getsockname()[1])

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def serve(self) -> None:
        """Serves until :meth:`stop` on an event loop of its own in the calling thread (the supervisor's)."""
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._run())
        finally:
            loop.close()

    def start(self) -> None:
        threading.Thread(target=self.serve, name=f"otel-ovh-{self.kind}", daemon=True).start()

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop)
        self.adapter.pool.shutdown(wait=False, cancel_futures=True)

    async def _run(self) -> None:
        raise NotImplementedError


class UvicornServer(CandidateServer):
    """uvicorn with its h11 protocol (httptools is not installed: the same parser as ours)."""

    kind = "uvicorn"

    async def _run(self) -> None:
        import uvicorn

        config = uvicorn.Config(
            self.adapter,
            http="h11",
            ws="none",
            lifespan="off",
            loop="none",
            log_level="warning",
            access_log=False,
            h11_max_incomplete_event_size=MAX_HEAD,
            limit_concurrency=MAX_CONNECTIONS,
            backlog=BACKLOG,
            timeout_keep_alive=int(IDLE_TIMEOUT),
        )
        config.load()
        config.ssl = self.tls  # the web config's own context: same versions, same client-certificate rule
        server = uvicorn.Server(config)

        def stop() -> None:
            server.should_exit = True

        self._stop = stop
        await server.serve(sockets=[self.listener])


class HypercornServer(CandidateServer):
    """hypercorn on asyncio, HTTP/1.1 only (h2 is not what Prometheus speaks)."""

    kind = "hypercorn"

    async def _run(self) -> None:
        from hypercorn.asyncio import serve
        from hypercorn.config import Config

        tls = self.tls

        class WebConfigTls(Config):
            """Config whose TLS is the web config's context rather than one built from file names."""

            def create_ssl_context(self) -> ssl.SSLContext | None:
                return tls

            @property
            def ssl_enabled(self) -> bool:
                return tls is not None

        config = WebConfigTls.from_mapping(
            bind=[f"fd://{self.listener.fileno()}"],
            alpn_protocols=["http/1.1"],
            h11_max_incomplete_size=MAX_HEAD,
            backlog=BACKLOG,
            keep_alive_timeout=IDLE_TIMEOUT,
            ssl_handshake_timeout=HANDSHAKE_TIMEOUT,
            accesslog=None,
            errorlog=None,
        )
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        self._stop = stopping.set
        self._loop = loop
        await serve(self.adapter, config, shutdown_trigger=stopping.wait, mode="asgi")  # type: ignore[arg-type]


SERVERS: dict[str, type[CandidateServer]] = {"uvicorn": UvicornServer, "hypercorn": HypercornServer}


def main(argv: Sequence[str] | None = None) -> int:
    """``KIND`` then otel-ovh's own arguments; ``h11`` runs the product untouched."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in CANDIDATES:
        print(f"usage: python -m benchmarks.server_candidates {{{','.join(CANDIDATES)}}} serve --config FILE")
        return 2
    kind, rest = args[0], args[1:]
    if kind != "h11":
        import otel_ovh.serve.app

        setattr(otel_ovh.serve.app, "MetricsServer", SERVERS[kind])  # noqa: B010  (not a type to mypy)
    from otel_ovh.cli import main as otel_ovh_main

    return otel_ovh_main(rest)


if __name__ == "__main__":
    sys.exit(main())
