"""The socket side of the HTTP endpoint: asyncio moves bytes and does TLS, h11 speaks HTTP/1.1.

This module and :mod:`otel_ovh.serve.connection` (one client's requests, and the limits on them) decide
nothing about what a client may see: they turn each request into a
:class:`~otel_ovh.serve.handler.Request`, ask the handler and write the
:class:`~otel_ovh.serve.handler.Response` it gets. The handler answers on the event loop when it says the
answer is quick (copying the cached exposition), else in a worker thread, so that bcrypt or a render never
stalls the loop.

Why h11 on asyncio rather than a ready-made server: the protocol (parsing, framing, keep-alive, HEAD, the
431 for an oversized head) is h11's, the library uvicorn and hypercorn are built on; asyncio does TLS
without blocking, so a client that stalls its handshake costs one socket and no thread. cheroot does the
handshake in its accept loop and gives each slow client a thread; uvicorn answers an oversized head with 400
and has no deadline for a head; hypercorn cannot answer plain HTTP on the TLS port; waitress has no TLS.

Limits, each with a reason: a request head (line and headers together) is bounded in bytes and in header
count (431); a head must arrive within ``HEADER_TIMEOUT`` of its first byte and a connection may sit idle
for ``IDLE_TIMEOUT``; a request body is read and dropped up to ``MAX_BODY`` or refused (413, connection
closed) so a kept-alive connection never reads a body as the next request; an answer is written from
the copy all connections share, and a client that stops reading is dropped soon
(:mod:`otel_ovh.serve.answers`); large answers being written at once are capped (503 beyond);
connections are capped, and a listen backlog absorbs bursts. Under a burst, a kept-alive connection (a
scraper's) is never queued, and new connections' work is: a few reads and a few large first answers
begin in each turn of the loop, apart, so that a probe on a new connection waits for reads only.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Collection
from typing import Any

from otel_ovh.serve.channel import Channel, PlainHttpOnTls, TlsChannel
from otel_ovh.serve.connection import Connection, PerTurn
from otel_ovh.serve.handler import Handler, Probe, Render, Select
from otel_ovh.settings.web_config import WebConfig

log = logging.getLogger(__name__)


MAX_CONNECTIONS = 1024  # each holds at most MAX_HEAD and a read's worth of buffers
BACKLOG = 1024
WORKERS = 8  # threads answering requests (the handler may run bcrypt or render)
SEND_BUFFER = 256 * 1024  # bytes of an answer the kernel takes ahead of the client (it doubles it)
# Per turn of the event loop: connections taken from the backlog, reads of new connections, and large first
# answers of new connections begun (see connection.PerTurn).
ACCEPTS_PER_TURN = 8
READS_PER_TURN = 4
LARGE_PER_TURN = 4


class _Server:
    """The accept loop and the connections it serves, all on one event loop in one thread."""

    def __init__(self, listener: socket.socket, handler: Handler, tls: ssl.SSLContext | None) -> None:
        self.listener = listener
        self.handler = handler
        self.tls = tls
        self.pool = concurrent.futures.ThreadPoolExecutor(WORKERS, thread_name_prefix="otel-ovh-http")
        self.connections: set[asyncio.Task[None]] = set()
        self.stopping = asyncio.Event()  # one per run: an Event belongs to the loop that waits on it
        self.reads = PerTurn(READS_PER_TURN)
        self.large = PerTurn(LARGE_PER_TURN)
        self.writing: dict[bool, set[Connection]] = {True: set(), False: set()}  # see Connection

    async def run(self) -> None:
        """Until ``stopping`` is set; raises what ended the accept loop if anything else ended it, so that
        a server that no longer accepts is never a thread that merely looks alive."""
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(_quiet_exceptions)
        self.reads, self.large = PerTurn(READS_PER_TURN), PerTurn(LARGE_PER_TURN)  # this loop's own
        accepting = asyncio.create_task(self._accept(loop))
        stopping = asyncio.create_task(self.stopping.wait())
        await asyncio.wait((accepting, stopping), return_when=asyncio.FIRST_COMPLETED)
        for task in (accepting, stopping, *self.connections):
            task.cancel()
        await asyncio.gather(stopping, *self.connections, return_exceptions=True)
        if not self.stopping.is_set():
            accepting.result()

    async def _accept(self, loop: asyncio.AbstractEventLoop) -> None:
        accepted = 0
        while True:
            try:
                client, address = await loop.sock_accept(self.listener)
            except OSError as error:  # out of file descriptors, say: wait instead of spinning
                log.warning("cannot accept connections: %s", error)
                await asyncio.sleep(0.1)
                continue
            accepted += 1  # refused ones too: a client reconnecting at the cap must not keep the loop
            if len(self.connections) >= MAX_CONNECTIONS:
                log.debug("refused a connection from %s: %d already open", address[0], MAX_CONNECTIONS)
                client.close()
            else:
                task = asyncio.create_task(self._serve(client))
                self.connections.add(task)
                task.add_done_callback(self.connections.discard)
            # A burst is taken from the backlog ACCEPTS_PER_TURN at a time: a probe behind it is soon
            # accepted, and what the accepted connections then do waits its turn (``PerTurn``).
            if accepted % ACCEPTS_PER_TURN == 0:
                await asyncio.sleep(0)

    async def _serve(self, client: socket.socket) -> None:
        try:
            client.setblocking(False)
            # Small answers on kept-alive connections must not wait out the client's delayed-ACK timer.
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            # What the kernel holds for a client that does not read is the pod's memory too (cgroups count
            # socket buffers), and copying it is the loop's time: fixed, not grown up to tcp_wmem's 4 MiB.
            client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        except OSError as error:  # the client is already gone
            log.debug("connection closed before it was served: %s", error)
            client.close()
            return
        channel = Channel(client) if self.tls is None else TlsChannel(client, self.tls)
        linger = False
        try:
            if isinstance(channel, TlsChannel):
                await self.reads.turn()  # a handshake is a new connection's costliest read
                await channel.handshake()
            connection = Connection(self, channel)
            await connection.serve()
            linger = connection.linger
        except PlainHttpOnTls:
            log.debug("%s sent plain HTTP to the TLS port", channel.peer)
            linger = True
        except (OSError, TimeoutError) as error:  # ssl.SSLError is an OSError: failed handshakes end here
            log.debug("connection with %s failed: %s", channel.peer, error)
        except Exception:
            log.exception("error while serving %s", channel.peer)
        finally:
            with contextlib.suppress(OSError):
                await channel.close(linger=linger)


def _quiet_exceptions(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A client that goes away mid-answer is its own business: one DEBUG line, no traceback on stderr."""
    error = context.get("exception")
    if isinstance(error, OSError):
        log.debug("%s: %s", context.get("message"), error)
    else:
        log.error("event loop: %s", context.get("message"), exc_info=error)


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.create_server((host, port), family=family, backlog=BACKLOG)
    listener.setblocking(False)
    return listener


class MetricsServer:
    """The HTTP endpoint, on an event loop of its own in one thread; no answer ever calls OVH."""

    def __init__(
        self,
        host: str,
        port: int,
        render: Render | None,
        *,
        healthy: Probe,
        ready: Probe,
        web_config: WebConfig | None = None,
        projects: Callable[[], Collection[str]] | None = None,
        select: Select | None = None,
    ) -> None:
        self._answers = (render, healthy, ready, projects, select)
        handler, tls = self._rules(web_config)
        self._listener = _listen(host, port)
        self._server = _Server(self._listener, handler, tls)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None  # when run by start()
        self._stopped = threading.Event()
        self._ended = threading.Event()  # no loop runs
        self._ended.set()

    def _rules(self, web_config: WebConfig | None) -> tuple[Handler, ssl.SSLContext | None]:
        web = web_config or WebConfig()
        render, healthy, ready, projects, select = self._answers
        tls = web.tls.context() if web.tls is not None else None  # raises before anything changes
        self.scheme = "https" if web.tls is not None else "http"
        if web.basic_auth is not None and web.tls is None:
            log.warning(
                "basic auth without TLS: passwords cross the network in clear; set tls_server_config in %s",
                "prometheus.web_config_file",
            )
        return Handler(render, healthy, ready, web, projects, select), tls

    def use_web_config(self, web_config: WebConfig | None) -> None:
        """A reloaded web config: its TLS for the connections accepted from now on, its users for every
        request; the listening socket stays. Raises (changing nothing) when its certificate does not load."""
        self._server.handler, self._server.tls = self._rules(web_config)

    @property
    def host(self) -> str:
        return str(self._listener.getsockname()[0])

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def serve(self) -> None:
        """Serves until :meth:`stop`, on a new event loop in the calling thread, and raises what ended the
        loop if anything else did: the exporter runs this under ``otel_ovh.serve.supervisor``, which logs the
        death, reports it on ``/healthz`` and starts it again after a backoff. The listener stays open
        between runs, so clients wait in its backlog meanwhile."""
        loop = asyncio.new_event_loop()
        self._server.stopping = asyncio.Event()  # before the loop is published: stop() sets this one
        self._ended.clear()
        try:
            self._loop = loop
            if not self._stopped.is_set():  # else stop() came before the loop was published
                loop.run_until_complete(self._server.run())
        finally:
            loop.close()
            self._ended.set()

    def start(self) -> None:
        """Serves from now on in a thread of its own, not restarted (tests; the exporter supervises
        :meth:`serve` instead); a second call while serving changes nothing (one loop, one listener)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self.serve, name="otel-ovh-http", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        loop, server = self._loop, self._server
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                loop.call_soon_threadsafe(server.stopping.set)
            self._ended.wait(timeout=5)
        self._server.pool.shutdown(wait=False, cancel_futures=True)
        self._listener.close()
