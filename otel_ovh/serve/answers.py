"""Writing one answer on a connection: bounded by design, whatever the client does.

The exposition is written from the copy every connection shares (memoryviews, never joined with the
head), piece by piece, each piece under the channel's stall deadline and the whole under
``WRITE_TIMEOUT``: a client that stops reading costs a socket and a view, not a copy of the answer, and
not for long. A failed write leaves no traceback behind, whose frames would keep buffers alive until the
cycle collector runs.
"""

from __future__ import annotations

import asyncio
import logging
from email.utils import formatdate
from http import HTTPStatus
from typing import cast

import h11

from otel_ovh.serve.channel import Channel
from otel_ovh.serve.handler import Body, Response

log = logging.getLogger(__name__)

_REASONS = {status.value: status.phrase.encode() for status in HTTPStatus}  # "200 OK", as clients show it
SMALL_ANSWER = 64 * 1024  # bytes of body written in one piece with the head
WRITE_TIMEOUT = 30.0  # seconds a client has to take a whole answer (each piece: channel.STALL_TIMEOUT)


async def write_answer(http: h11.Connection, channel: Channel, response: Response) -> bool:
    """False when the answer could not be written (the connection must then close)."""
    headers = [*response.headers, ("Date", formatdate(usegmt=True)), ("Server", "otel-ovh")]
    if response.close:
        headers.append(("Connection", "close"))
    try:
        reason = _REASONS.get(response.status, b"")
        head = http.send(h11.Response(status_code=response.status, headers=headers, reason=reason)) or b""
        async with asyncio.timeout(WRITE_TIMEOUT):
            await _write_body(http, channel, head, response.body)
        end = http.send(h11.EndOfMessage())
        if end:
            await channel.send(end)
    except (h11.LocalProtocolError, OSError, TimeoutError) as error:
        log.debug("answer to %s not written: %s", channel.peer, error)
        error.__traceback__ = error.__context__ = error.__cause__ = None
        return False
    return True


async def _write_body(http: h11.Connection, channel: Channel, head: bytes, body: Body) -> None:
    """A small answer in one write with its head (two segments would cost a round trip); a large one
    segment by segment."""
    if isinstance(body, bytes) and len(body) <= SMALL_ANSWER:
        await channel.send(b"".join([head, *_framed(http, body)]))
        return
    await channel.send(head)
    for part in (body,) if isinstance(body, bytes) else body:
        for piece in _framed(http, memoryview(part)):
            await channel.send(piece)


def _framed(http: h11.Connection, part: bytes | memoryview) -> list[bytes]:
    """h11's framing of one body segment, without the join ``h11.Connection.send`` makes (a copy).
    h11 hands the segment through as it is, a memoryview included, whatever its annotation says."""
    if not part:
        return []
    return http.send_with_data_passthrough(h11.Data(data=cast(bytes, part))) or []
