"""The socket side of the HTTP endpoint: asyncio moves bytes and does TLS, h11 speaks HTTP/1.1.

This module decides nothing about what a client may see: it turns each request into a
:class:`~otel_ovh.serve.handler.Request`, asks the handler and writes the
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
scraper's) goes first: new connections are accepted one per turn of the loop and only a few of their
steps run in each turn.
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
from dataclasses import replace
from typing import Any

import h11

from otel_ovh.serve.answers import SMALL_ANSWER, write_answer
from otel_ovh.serve.channel import Channel, PlainHttpOnTls, TlsChannel
from otel_ovh.serve.handler import BadTarget, Handler, Probe, Render, Request, Response, Select
from otel_ovh.settings.web_config import WebConfig

log = logging.getLogger(__name__)


HEADER_TIMEOUT = 10.0  # seconds from a request's first byte (or a new connection) to the end of its head
IDLE_TIMEOUT = 120.0  # seconds a kept-alive connection may stay silent (longer than usual scrape intervals)
MAX_HEAD = 32 * 1024  # bytes of request line and headers together
MAX_HEADERS = 100
MAX_BODY = 64 * 1024  # bytes of request body read and dropped; none of the paths takes one
MAX_CONNECTIONS = 1024  # each holds at most MAX_HEAD and a read's worth of buffers
BACKLOG = 1024
WORKERS = 8  # threads answering requests (the handler may run bcrypt or render)
ADMITTED = 4  # steps of new connections' work begun per turn of the event loop
LARGE_IN_FLIGHT = 64  # large answers being written at once; more are answered 503 until some end


class _Refused(Exception):
    """A request the server refuses before the handler sees it; the connection closes after the answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class _Connection:
    """One client: requests read through h11, one at a time, until it closes or breaks a rule."""

    def __init__(self, server: _Server, channel: Channel) -> None:
        self.server = server
        self.channel = channel
        self.linger = False  # set when the last answer was a refusal the client must still read
        self.new = True  # until its first answer: its work then waits its turn (see _Server.turn)
        self.http = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
        self.loop = asyncio.get_running_loop()

    async def serve(self) -> None:
        while True:
            try:
                request = await self._head(HEADER_TIMEOUT if self.new else IDLE_TIMEOUT)
                if request is None:
                    return
                await self._body(request)
            except _Refused as refused:
                await self._refuse(refused.status, str(refused))
                return
            except h11.RemoteProtocolError as error:  # its message may quote the request: not sent back
                status = error.error_status_hint
                await self._refuse(
                    status, f"request head over {MAX_HEAD} bytes" if status == 431 else "bad request"
                )
                return
            if self.new:
                await self.server.turn()
            response = await self._answer(request)
            self.new = False
            if response.delay:
                await asyncio.sleep(response.delay)
            if not await self._write_bounded(response) or not self._next_cycle():
                return

    async def _write_bounded(self, response: Response) -> bool:
        """At most ``LARGE_IN_FLIGHT`` large answers are written at once: clients that do not read hold
        their slot until the write deadline, and those beyond are told to come back (503)."""
        if response.size <= SMALL_ANSWER:
            return await self._write(response)
        server = self.server
        if server.large_in_flight >= LARGE_IN_FLIGHT:
            log.debug("refused %s: %d large answers being written", self.channel.peer, LARGE_IN_FLIGHT)
            busy = self.server.handler.error(503, b"too many answers being written, retry\n")
            await self._write(replace(busy, headers=(*busy.headers, ("Retry-After", "1"))))
            return False
        server.large_in_flight += 1
        try:
            return await self._write(response)
        finally:
            server.large_in_flight -= 1

    async def _answer(self, request: Request) -> Response:
        """On the loop when the handler says it is quick (a scrape's usual case: two thread hops fewer,
        each a wait for the interpreter lock while the refresher works), else in a worker thread."""
        if self.server.handler.quick(request):
            return self.server.handler.handle(request)
        return await self.loop.run_in_executor(self.server.pool, self.server.handler.handle, request)

    async def _receive(self, deadline: float) -> bytes | None:
        """Feeds h11 one read and gives what was read (b"" when the client closed); None past the deadline."""
        try:
            async with asyncio.timeout_at(deadline):  # unlike wait_for, no task per read
                data = await self.channel.recv()
        except TimeoutError:
            return None
        self.http.receive_data(data)
        return data

    async def _head(self, idle: float) -> Request | None:
        """The next request's head, or None when the client closes or misses a deadline.

        The client may stay silent for ``idle``; once a request has begun, its head must be complete
        within ``HEADER_TIMEOUT``, however slowly it trickles in.
        """
        deadline = self.loop.time() + idle
        waiting = not self.http.trailing_data[0]  # no byte of this request has arrived yet
        while True:
            event = self.http.next_event()
            if isinstance(event, h11.Request):
                break
            if event is not h11.NEED_DATA:  # the client closed
                return None
            data = await self._receive(deadline)
            if not data:
                return None
            if self.new:
                await self.server.turn()
            if waiting:
                waiting = False
                deadline = min(deadline, self.loop.time() + HEADER_TIMEOUT)
        if len(event.headers) > MAX_HEADERS:
            raise _Refused(431, f"more than {MAX_HEADERS} request headers")
        names = {name for name, _ in event.headers}
        if b"content-length" in names and b"transfer-encoding" in names:  # RFC 9112 6.1: a smuggling opening
            raise _Refused(400, "Content-Length with Transfer-Encoding")
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in event.headers]
        try:
            return Request.from_target(event.method.decode("ascii"), event.target.decode("latin-1"), headers)
        except BadTarget:
            raise _Refused(400, "malformed request target") from None

    async def _body(self, request: Request) -> None:
        """Reads and drops a small body; a large one is refused before it is read."""
        length = request.header("Content-Length")
        if length.isdigit() and int(length) > MAX_BODY:
            raise _Refused(413, f"a request body is limited to {MAX_BODY} bytes")
        if self.http.client_is_waiting_for_100_continue:
            await self._send(h11.InformationalResponse(status_code=100, headers=[]))
        deadline = self.loop.time() + HEADER_TIMEOUT
        received = 0
        while True:
            event = self.http.next_event()
            if isinstance(event, h11.EndOfMessage):
                return
            if isinstance(event, h11.Data):
                received += len(event.data)
                if received > MAX_BODY:
                    raise _Refused(413, f"a request body is limited to {MAX_BODY} bytes")
            elif event is h11.NEED_DATA:
                data = await self._receive(deadline)
                if data is None:
                    raise _Refused(408, "the request body did not arrive in time")
            else:  # the client closed mid-body: nobody to answer
                raise _Refused(400, "incomplete request body")

    async def _write(self, response: Response) -> bool:
        return await write_answer(self.http, self.channel, response)

    async def _send(self, event: h11.Event) -> None:
        data = self.http.send(event)
        if data:
            await self.channel.send(data)

    def _next_cycle(self) -> bool:
        """Ready for the next request on the same connection, or False when it must close."""
        if self.http.our_state is h11.DONE and self.http.their_state is h11.DONE:
            self.http.start_next_cycle()
            return True
        return False

    async def _refuse(self, status: int, reason: str) -> None:
        """An error answer; the connection then closes with a linger (see :meth:`Channel.close`)."""
        if self.http.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return
        log.debug("refused %s: %d %s", self.channel.peer, status, reason)
        self.linger = await self._write(self.server.handler.error(status, f"{reason}\n".encode()))


class _Server:
    """The accept loop and the connections it serves, all on one event loop in one thread."""

    def __init__(self, listener: socket.socket, handler: Handler, tls: ssl.SSLContext | None) -> None:
        self.listener = listener
        self.handler = handler
        self.tls = tls
        self.pool = concurrent.futures.ThreadPoolExecutor(WORKERS, thread_name_prefix="otel-ovh-http")
        self.connections: set[asyncio.Task[None]] = set()
        self.stopping = asyncio.Event()  # one per run: an Event belongs to the loop that waits on it
        self.admission = asyncio.Semaphore(ADMITTED)
        self.large_in_flight = 0  # answers over SMALL_ANSWER being written (see _Connection._write_bounded)

    async def turn(self) -> None:
        """Each step of a new connection's work (a read, its first answer) waits here: at most ADMITTED
        begin per turn of the loop, so a burst of new connections cannot fill a turn with its work and
        a kept-alive connection (a scraper's) waits one short turn at most."""
        await self.admission.acquire()
        asyncio.get_running_loop().call_soon(self.admission.release)  # runs on the next turn

    async def run(self) -> None:
        """Until ``stopping`` is set; raises what ended the accept loop if anything else ended it, so that
        a server that no longer accepts is never a thread that merely looks alive."""
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(_quiet_exceptions)
        accepting = asyncio.create_task(self._accept(loop))
        stopping = asyncio.create_task(self.stopping.wait())
        await asyncio.wait((accepting, stopping), return_when=asyncio.FIRST_COMPLETED)
        for task in (accepting, stopping, *self.connections):
            task.cancel()
        await asyncio.gather(stopping, *self.connections, return_exceptions=True)
        if not self.stopping.is_set():
            accepting.result()

    async def _accept(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            try:
                client, address = await loop.sock_accept(self.listener)
            except OSError as error:  # out of file descriptors, say: wait instead of spinning
                log.warning("cannot accept connections: %s", error)
                await asyncio.sleep(0.1)
                continue
            if len(self.connections) >= MAX_CONNECTIONS:
                log.debug("refused a connection from %s: %d already open", address[0], MAX_CONNECTIONS)
                client.close()
                continue
            task = asyncio.create_task(self._serve(client))
            self.connections.add(task)
            task.add_done_callback(self.connections.discard)
            # One accept per turn of the loop: a burst waits in the backlog rather than queueing all its
            # work ahead of the requests of connections already open (a scraper's kept-alive one).
            await asyncio.sleep(0)

    async def _serve(self, client: socket.socket) -> None:
        client.setblocking(False)
        # Small answers on kept-alive connections must not wait out the client's delayed-ACK timer.
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        channel = Channel(client) if self.tls is None else TlsChannel(client, self.tls)
        linger = False
        try:
            if isinstance(channel, TlsChannel):
                await channel.handshake()
            connection = _Connection(self, channel)
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
