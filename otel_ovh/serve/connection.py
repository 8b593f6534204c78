"""One client connection: its requests read through h11, one at a time, and the answers written.

The limits a connection enforces on its client are declared here, with why; the server decides what is
accepted and shares the handler, the worker threads and the allowances per turn of the loop
(:class:`PerTurn`) among its connections.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from dataclasses import replace
from typing import Protocol

import h11

from otel_ovh.serve.answers import SMALL_ANSWER, write_answer
from otel_ovh.serve.channel import Channel
from otel_ovh.serve.handler import BadTarget, Handler, Request, Response

log = logging.getLogger(__name__)

HEADER_TIMEOUT = 10.0  # seconds from a request's first byte (or a new connection) to the end of its head
IDLE_TIMEOUT = 120.0  # seconds a kept-alive connection may stay silent (longer than usual scrape intervals)
MAX_HEAD = 32 * 1024  # bytes of request line and headers together
MAX_HEADERS = 100
MAX_BODY = 64 * 1024  # bytes of request body read and dropped; none of the paths takes one
# Large answers written at once, on new connections and as many on kept-alive ones: when all are taken, a
# client that has taken nothing for STALLED seconds gives its slot up, else the newcomer gets a 503.
LARGE_IN_FLIGHT = 64
STALLED = 1.0  # seconds without taking a step (channel.STEP) of its answer


class PerTurn:
    """At most ``count`` waiters go on per turn of the event loop, first come first served.

    New connections' work waits at two of these: each read, a TLS handshake included (a burst of new
    connections cannot fill a turn with its requests), and a large first answer (nor with its writes), so
    a kept-alive connection (a scraper's) waits one short turn at most. Two, not one: a probe on a new
    connection (a small answer) then waits behind other new connections' reads only, never behind
    hundreds of clients' large answers waiting to begin.
    """

    def __init__(self, count: int) -> None:
        self._slots = asyncio.Semaphore(count)

    async def turn(self) -> None:
        await self._slots.acquire()
        asyncio.get_running_loop().call_soon(self._slots.release)  # runs on the next turn


class Server(Protocol):
    """What a connection shares with the others (``otel_ovh.serve.server``)."""

    # The connections writing an answer over SMALL_ANSWER: new ones ([True]) and kept-alive ones ([False]).
    writing: dict[bool, set[Connection]]

    @property
    def handler(self) -> Handler: ...

    @property
    def pool(self) -> concurrent.futures.Executor: ...

    @property
    def reads(self) -> PerTurn: ...

    @property
    def large(self) -> PerTurn: ...


class _Refused(Exception):
    """A request the server refuses before the handler sees it; the connection closes after the answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class Connection:
    """One client: requests read through h11, one at a time, until it closes or breaks a rule."""

    def __init__(self, server: Server, channel: Channel) -> None:
        self.server = server
        self.channel = channel
        self.linger = False  # set when the last answer was a refusal the client must still read
        self.new = True  # until its first answer has been written: its work waits its turn (PerTurn)
        self.http = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
        self.loop = asyncio.get_running_loop()
        self.task = asyncio.current_task()

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
            response = await self._answer(request)
            if self.new and response.size > SMALL_ANSWER:
                await self.server.large.turn()
            if response.delay:
                await asyncio.sleep(response.delay)
            if not await self._write_bounded(response) or not self._next_cycle():
                return
            self.new = False

    async def _write_bounded(self, response: Response) -> bool:
        """At most ``LARGE_IN_FLIGHT`` large answers are written at once on new connections, and as many on
        kept-alive ones (so that a flood of new connections cannot crowd out a scraper's kept-alive one).
        When all are taken, the client that has gone longest without taking a piece, if ``STALLED``, is
        dropped to make room: one that does not read holds its slot only until a client that reads needs
        it. Else the newcomer is told to come back (503)."""
        if response.size <= SMALL_ANSWER:
            return await self._write(response)
        writing = self.server.writing[self.new]
        if len(writing) >= LARGE_IN_FLIGHT and not self._make_room(writing):
            log.debug("refused %s: %d large answers being written", self.channel.peer, LARGE_IN_FLIGHT)
            busy = self.server.handler.error(503, b"too many answers being written, retry\n")
            await self._write(replace(busy, headers=(*busy.headers, ("Retry-After", "1"))))
            return False
        writing.add(self)
        try:
            return await self._write(response)
        finally:
            writing.discard(self)

    def _make_room(self, writing: set[Connection]) -> bool:
        stalled = min(writing, key=lambda connection: connection.channel.progress)
        idle = self.loop.time() - stalled.channel.progress
        if idle < STALLED or stalled.task is None:
            return False
        log.debug("dropped %s: took nothing of its answer for %.1f s", stalled.channel.peer, idle)
        writing.discard(stalled)
        stalled.task.cancel()
        return True

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
                await self.server.reads.turn()
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
