"""Bytes to and from one client socket on the event loop, in clear or through TLS.

TLS runs on an :class:`ssl.SSLObject` over memory buffers rather than through asyncio's SSL transport,
for two things that transport does not do: it drops the alert OpenSSL writes when a handshake fails (a
client refused for its certificate would see a bare EOF instead of "certificate required"), and it gives
no look at the first bytes, which tell plain HTTP sent to the TLS port (answered in HTTP, as Go servers
do) from a ClientHello. The handshake never blocks the accept loop: it is awaited in the connection's own
task, under ``HANDSHAKE_TIMEOUT``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl

HANDSHAKE_TIMEOUT = 10.0  # seconds a client has to finish its TLS handshake
STALL_TIMEOUT = 5.0  # seconds a client has to take each step of an answer: one that stops reading goes
PIECE = 1024 * 1024  # bytes written between two turns of the event loop
STEP = 256 * 1024  # bytes handed to the socket at a time: the client's progress is seen at each
TLS_PIECE = 64 * 1024  # bytes encrypted at a time: the ciphertext a client that does not read holds
LINGER = 2.0  # seconds spent reading what a refused client still sends, so the refusal reaches it
_LINGER_BYTES = 256 * 1024  # and at most this much: a flood is not read to its end
_READ = 16 * 1024
_TLS_HANDSHAKE_RECORD = 0x16  # the first byte of every TLS ClientHello
_PLAIN_HTTP_ON_TLS = (
    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"
    b"Content-Length: 48\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"
)


class PlainHttpOnTls(Exception):
    """The client spoke HTTP to the TLS port; it has been told so and the connection is done."""


class Channel:
    """A client socket in clear: ``recv`` gives b"" once the client has closed."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.loop = asyncio.get_running_loop()
        self.progress = self.loop.time()  # when the client last took a piece (or the channel opened)

    @property
    def peer(self) -> str:
        """The client's address, for debug lines (looked up only when one is written)."""
        try:
            return str(self.sock.getpeername()[0])
        except (OSError, IndexError):
            return "a client"

    async def recv(self) -> bytes:
        return await self.loop.sock_recv(self.sock, _READ)

    async def send(self, data: bytes | memoryview) -> None:
        """Step by step, each under ``STALL_TIMEOUT`` (a client that takes ``STEP`` bytes in that time is
        served, one that stops is dropped soon; the answer's deadline as a whole is the server's), with a
        turn of the loop after each ``PIECE``, so that hundreds of large answers never hold it from a probe.
        ``progress`` is stamped at each step: a client that keeps reading is never taken for a stalled one.

        Steps and pieces are large because each costs a system call or a turn of the loop, and each of
        those hands the interpreter lock to the refresher's threads, which may keep it for a switch
        interval (5 ms): a scrape written in small pieces during a refresh waited that many times."""
        view = memoryview(data)
        for start in range(0, len(view), STEP):
            if start and start % PIECE == 0:  # a send the kernel takes at once never yields: let others in
                await asyncio.sleep(0)
            async with asyncio.timeout(STALL_TIMEOUT):  # unlike wait_for, no task per call
                await self.loop.sock_sendall(self.sock, view[start : start + STEP])
            self.progress = self.loop.time()

    async def close(self, *, linger: bool = False) -> None:
        """Closes; with ``linger``, first ends the sending side and reads (and drops) what the client is
        still sending for a moment, so that the kernel does not reset the connection over the last
        answer before the client has read it."""
        try:
            if linger:
                await self._linger()
        finally:
            self.sock.close()

    async def _linger(self) -> None:
        """Past ``_LINGER_BYTES`` the client is flooding: it is held, unread, until ``LINGER`` ends, which
        costs one socket and no CPU and keeps it from coming straight back with the next flood."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_WR)
        drained = 0
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(LINGER):
                while chunk := await self.loop.sock_recv(self.sock, 4 * _READ):
                    drained += len(chunk)
                    if drained >= _LINGER_BYTES:
                        await asyncio.sleep(LINGER)


class TlsChannel(Channel):
    """A client socket through TLS; :meth:`handshake` must succeed before anything else."""

    def __init__(self, sock: socket.socket, context: ssl.SSLContext) -> None:
        super().__init__(sock)
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._incoming, self._outgoing, server_side=True)
        self._established = False

    async def handshake(self) -> None:
        """Raises :class:`PlainHttpOnTls`, ``TimeoutError`` or an ``OSError`` (``ssl.SSLError`` among
        them) when there is no TLS session to serve; the alert of a refused handshake is sent first."""
        async with asyncio.timeout(HANDSHAKE_TIMEOUT):
            await self._handshake()

    async def _handshake(self) -> None:
        first = await self.loop.sock_recv(self.sock, _READ)
        if not first:
            raise ConnectionResetError("closed before the TLS handshake")
        if first[0] != _TLS_HANDSHAKE_RECORD:
            await Channel.send(self, _PLAIN_HTTP_ON_TLS)
            raise PlainHttpOnTls
        self._incoming.write(first)
        while True:
            try:
                self._tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                await self._flush()
                if not await self._fill():
                    raise ConnectionResetError("closed during the TLS handshake") from None
            except ssl.SSLError:
                with contextlib.suppress(OSError, TimeoutError):
                    await self._flush()  # the alert: the client learns why
                raise
        self._established = True
        await self._flush()

    async def _fill(self) -> bool:
        data = await self.loop.sock_recv(self.sock, _READ)
        if not data:
            self._incoming.write_eof()
            return False
        self._incoming.write(data)
        return True

    async def _flush(self) -> None:
        pending = self._outgoing.read()
        if pending:
            await Channel.send(self, pending)

    async def recv(self) -> bytes:
        while True:
            try:
                return self._tls.read(_READ)
            except ssl.SSLWantReadError:
                await self._flush()  # TLS 1.3 may have records of its own to send
                if not await self._fill():
                    return b""
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                return b""

    async def send(self, data: bytes | memoryview) -> None:
        """At most ``TLS_PIECE`` encrypted at a time, each sent before the next: a client that does not read
        holds one piece of ciphertext, not a whole encrypted copy of the answer."""
        view = memoryview(data)
        while view:
            view = view[self._tls.write(view[:TLS_PIECE]) :]
            await self._flush()

    async def close(self, *, linger: bool = False) -> None:
        if self._established:
            with contextlib.suppress(OSError, TimeoutError, ValueError):
                # close_notify only: waiting for the client's own would let it hold the connection.
                with contextlib.suppress(ssl.SSLWantReadError):
                    self._tls.unwrap()
                async with asyncio.timeout(LINGER):
                    await self._flush()
        await super().close(linger=linger)
