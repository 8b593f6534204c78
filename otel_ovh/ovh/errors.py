"""A failed OVH call, and why: the words a log line, the retry policy and the metrics share.

An unreachable OVH (refused connection, unknown name, TLS failure, connect timeout) and refused
credentials call for different people and different fixes, so each failure carries a reason, one of
``REASONS``, and nothing that is not an HTTP answer from OVH is ever reported as refused credentials.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass

import requests
import urllib3.exceptions

from otel_ovh.ovh.transport import AnswerTooLarge, CallTimeout, Redirected

NO_ANSWER = 0  # the status recorded when no HTTP answer came back (timeout, refused connection)

# Statuses worth another try: throttling, server errors, and load-balancer timeouts.
_RETRYABLE = frozenset({408, 425, 429, 500, 502, 503, 504})

# Why a call brought no usable answer (the ``error.type`` of ``otel_ovh.api.failures``).
DNS = "dns"
REFUSED = "connection_refused"
TLS = "tls"
CONNECT_TIMEOUT = "connect_timeout"
CONNECTION = "connection"  # the connection broke after it was made
TIMEOUT = "timeout"  # connected, but no complete answer within collect.timeout
TOO_LARGE = "too_large"
UNDECODABLE = "undecodable"  # not JSON, or JSON Python cannot decode (nesting, integer length)
DEADLINE = "refresh_deadline"  # the refresh ended before the call could
REDIRECT = "redirect"  # a 3xx answer: never followed, so the credentials go nowhere else
REASONS = (
    DNS, REFUSED, TLS, CONNECT_TIMEOUT, CONNECTION, TIMEOUT, TOO_LARGE, UNDECODABLE, DEADLINE, REDIRECT
)
UNREACHABLE = frozenset({DNS, REFUSED, TLS, CONNECT_TIMEOUT})

_UNREACHABLE_WORDS = {
    DNS: "the name does not resolve",
    REFUSED: "the connection is refused",
    TLS: "TLS fails",
    CONNECT_TIMEOUT: "the connection times out",
}


@dataclass(frozen=True)
class ApiError(Exception):
    """A failed OVH call, with what a log line and the retry policy need to know."""

    route: str
    status: int  # NO_ANSWER when there was no HTTP answer
    message: str
    error_code: str | None = None
    query_id: str | None = None
    retry_after: float | None = None
    reason: str | None = None  # one of REASONS when no usable answer came back

    def __str__(self) -> str:
        code = f" {self.error_code}" if self.error_code else ""
        status = f"HTTP {self.status}" if self.status != NO_ANSWER else "no answer"
        query = f" (OVH query id {self.query_id})" if self.query_id else ""
        return f"{self.route}: {status}{code}: {self.message}{query}"

    @property
    def retryable(self) -> bool:
        if self.reason in (TOO_LARGE, DEADLINE, REDIRECT):
            return False  # the same answer again, or no time left for one
        return self.status == NO_ANSWER or self.status in _RETRYABLE

    @property
    def unreachable(self) -> bool:
        """No connection to OVH could be made: the network, the name or the endpoint is wrong."""
        return self.reason in UNREACHABLE

    @property
    def why_unreachable(self) -> str:
        return _UNREACHABLE_WORDS.get(self.reason or "", "no connection")

    @property
    def not_permitted(self) -> bool:
        """The key works but may not make this call: OVH's 403 ``NOT_GRANTED_CALL`` (no access rule for the
        route), or an IAM denial (403 without ``errorCode``). It stays so until the key's rights change."""
        return self.status == 403 and self.reason is None and not self.is_credential_failure

    @property
    def is_credential_failure(self) -> bool:
        """The credentials themselves are refused: every call will fail until someone fixes them."""
        if self.reason is not None:
            return False
        return (
            self.error_code in ("INVALID_CREDENTIAL", "NOT_CREDENTIAL", "INVALID_KEY")
            or (self.status == 401)
            or self.error_code == "OAUTH2"
        )


def no_answer_reason(exc: requests.RequestException) -> str:
    """Why ``requests`` brought no answer, from the chain of causes under its exception."""
    if isinstance(exc, AnswerTooLarge):
        return TOO_LARGE
    if isinstance(exc, Redirected):
        return REDIRECT
    if isinstance(exc, CallTimeout | requests.exceptions.ReadTimeout):
        return TIMEOUT
    causes = list(_causes(exc))
    if any(isinstance(c, urllib3.exceptions.NameResolutionError) for c in causes):
        return DNS
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return REFUSED
    if isinstance(exc, requests.exceptions.SSLError) or any(
        isinstance(c, ssl.SSLError | urllib3.exceptions.SSLError) for c in causes
    ):
        return TLS
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return CONNECT_TIMEOUT
    return CONNECTION


def innermost(exc: BaseException) -> str:
    """The message of the deepest cause (the operating system's or the TLS library's words), on one line:
    the layers above it only repeat the URL."""
    deepest = exc
    for cause in _causes(exc):
        if not isinstance(cause, requests.RequestException | urllib3.exceptions.HTTPError):
            deepest = cause
            break
    text = " ".join(str(deepest).split()) or type(deepest).__name__
    return text[:300]


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """Every exception under ``exc``: causes, contexts, and the ones urllib3 keeps in args and reason."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        nested = [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args]
        todo.extend(item for item in nested if isinstance(item, BaseException))
