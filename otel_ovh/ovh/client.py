"""Calls to the OVH API through the official ``ovh`` client: signing, retries, a fair-use ceiling,
deadlines, accounting.

python-ovh signs requests (or holds the OAuth2 token) but never retries, has no notion of rate and
decodes JSON before it looks at the status, so an HTML 502 from OVH's load balancer loses its status.
This module uses the client's ``raw_call`` (the official signed transport, sent through
``otel_ovh.ovh.transport``) and owns what comes after: decoding, error classification, retries with
backoff and jitter (honouring ``Retry-After``), a process-wide ceiling on calls per second, and a count
of calls by route and status for the ``otel_ovh_api_requests_total`` metric.

Deadlines: ``timeout`` bounds each attempt, connect to last byte; retries get their own. What bounds the
call with its retries is the deadline of the work it is part of (``OvhApi.until``: a refresh), which no
attempt, backoff or retry outlives.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import urlencode

import ovh
import ovh.client
import requests

from otel_ovh.ovh import transport
from otel_ovh.ovh.credentials import Credentials
from otel_ovh.ovh.errors import (
    DEADLINE,
    NO_ANSWER,
    REDIRECT,
    TIMEOUT,
    TOO_LARGE,
    UNDECODABLE,
    ApiError,
    innermost,
    no_answer_reason,
)
from otel_ovh.ovh.ovh_internals import clock_offset, set_clock_offset
from otel_ovh.ovh.pacing import CallPacer
from otel_ovh.settings.config import MAX_ANSWER_BYTES

__all__ = ["NO_ANSWER", "TIME_ROUTE", "Answer", "ApiError", "CallPacer", "CallStats", "Credentials", "OvhApi"]

log = logging.getLogger(__name__)

TIME_ROUTE = "/auth/time"
# A server time further than this from ours is not an answer to sign with (OVH tolerates little skew).
MAX_CLOCK_SKEW = 86400


@dataclasses.dataclass(frozen=True, slots=True)
class Answer:
    """A decoded answer and its headers (case-insensitive names, as ``requests`` gives them)."""

    body: Any
    headers: Mapping[str, str]


class CallStats:
    """Cumulative OVH calls by (route template, status), and the calls that brought no usable answer by
    (route template, reason): the sources of ``otel_ovh.api.requests`` and ``otel_ovh.api.failures``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, int]] = Counter()
        self._failures: Counter[tuple[str, str]] = Counter()

    def record(self, route: str, status: int) -> None:
        with self._lock:
            self._counts[(route, status)] += 1

    def record_failure(self, route: str, reason: str) -> None:
        with self._lock:
            self._failures[(route, reason)] += 1

    def snapshot(self) -> dict[tuple[str, int], int]:
        with self._lock:
            return dict(self._counts)

    def failures(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self._failures)

    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())


class OvhApi:
    """GET calls with retries and pacing; one ``ovh.Client`` per thread (a requests session is not shared)."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        timeout: float = 30.0,
        retries: int = 3,
        calls_per_second: float = 20.0,
        stats: CallStats | None = None,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._credentials = credentials
        self._timeout = timeout
        self._retries = retries
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._max_answer_bytes = max_answer_bytes
        self._sleep = sleep
        self.stats = stats or CallStats()
        self.pacer = CallPacer(calls_per_second, sleep=sleep)
        self._local = threading.local()
        self._clock_lock = threading.Lock()
        self._time_delta: int | None = None
        self._clock_failure: tuple[float, ApiError] | None = None  # when and why the last sync failed

    def until(self, deadline: float) -> AbstractContextManager[None]:
        """Calls of this thread within the block, retries included, end by ``deadline`` (monotonic)."""
        return _WorkDeadline(self._local, deadline)

    def _work_deadline(self) -> float | None:
        at: float | None = getattr(self._local, "work_deadline", None)
        return at

    def _attempt(self) -> transport.deadline:
        """The deadline of one attempt: ``timeout`` from now, within the work's deadline."""
        at = time.monotonic() + self._timeout
        work = self._work_deadline()
        return transport.deadline(at if work is None else min(at, work))

    def _client(self) -> ovh.Client:
        client: ovh.Client | None = getattr(self._local, "client", None)
        if client is None:
            adapter = transport.BoundedAdapter(self._timeout, self._max_answer_bytes)
            client = self._credentials.client(adapter, timeout=(min(self._timeout, 10.0), self._timeout))
            self._local.client = client
        if not self._credentials.uses_oauth2 and clock_offset(client) is None:
            self._sync_clock(client)
        return client

    def _sync_clock(self, client: ovh.Client) -> None:
        """One ``/auth/time`` call for the process, paced and counted, instead of one per thread's client.

        python-ovh signs with ``server time - local time``, which it fetches lazily per client, outside any
        pacing; the offset is the same for every client of the process. An answer that is not a plausible
        time (garbage, a trickle, an error page) leaves the local clock, with one warning for the process;
        no connection at all is this call's failure, and the calls of the next ``timeout`` seconds share
        it rather than each wait for their own (threads queue on the lock, each for one timeout).
        """
        with self._clock_lock:
            if self._time_delta is None:
                failed = self._clock_failure
                if failed is not None and time.monotonic() - failed[0] < self._timeout:
                    raise dataclasses.replace(failed[1])
                self.pacer.wait_slot()
                try:
                    self._time_delta = self._fetch_time_delta(client)
                except ApiError as error:
                    self._clock_failure = (time.monotonic(), error)
                    raise
            set_clock_offset(client, self._time_delta)

    def _fetch_time_delta(self, client: ovh.Client) -> int:
        try:
            with self._attempt():
                server_time = self._call_once(client, TIME_ROUTE, TIME_ROUTE, need_auth=False).body
        except ApiError as error:
            if error.unreachable or error.reason == DEADLINE:
                raise
            problem = str(error)
        else:
            if type(server_time) is int and abs(server_time - int(time.time())) <= MAX_CLOCK_SKEW:
                return server_time - int(time.time())
            problem = f"{TIME_ROUTE}: not a time within a day of ours: {_shown(server_time)}"
        log.warning("OVH's server time is unusable (%s); signing with the local clock", problem)
        return 0

    def get(
        self,
        route: str,
        path_params: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
        *,
        need_auth: bool = True,
    ) -> Any:
        """GET ``route`` (a path template such as ``/cloud/project/{serviceName}/quota``) and decode it.
        ``need_auth=False``: unsigned, for OVH's public routes (the price list), as python-ovh sends them."""
        return self.answer(route, path_params, query, need_auth=need_auth).body

    def answer(
        self,
        route: str,
        path_params: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        need_auth: bool = True,
    ) -> Answer:
        """GET ``route`` with request ``headers`` (the paging ones, see ``otel_ovh.ovh.paging``): the body
        decoded, with the answer's headers, where OVH names the next page of a list."""
        path = route.format(**path_params) if path_params else route
        if query:
            path = f"{path}?{urlencode(query)}"
        attempt = 0
        while True:
            try:
                self._check_deadline(route)
                client = self._client()  # before the pacing below: a clock sync takes its own slot
                self.pacer.wait_slot()
                with self._attempt():
                    return self._call_once(client, route, path, need_auth, headers)
            except ApiError as error:
                if not error.retryable or attempt >= self._retries:
                    raise
                delay = self._backoff(attempt, error.retry_after)
                work = self._work_deadline()
                if work is not None and time.monotonic() + delay >= work:
                    raise  # no time left for another try within the work's deadline
                log.debug("retrying %s in %.2fs after %s", path, delay, error)
                attempt += 1
                if error.status == 429:
                    self.pacer.pause(delay)  # throttled: every thread waits, the next slot sleeps for us
                else:
                    self._sleep(delay)

    def _check_deadline(self, route: str) -> None:
        if _past(self._work_deadline()):
            self.stats.record_failure(route, DEADLINE)
            raise ApiError(route, NO_ANSWER, "abandoned: the refresh's deadline has passed", reason=DEADLINE)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with full jitter, never shorter than what OVH asked for."""
        ceiling = min(self._backoff_cap, self._backoff_base * (2**attempt))
        delay = random.uniform(ceiling / 2, ceiling)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self._backoff_cap * 4))
        return delay

    def _call_once(
        self,
        client: ovh.Client,
        route: str,
        path: str,
        need_auth: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        response = self._send(client, route, path, need_auth, headers)
        status = response.status_code
        self.stats.record(route, status)
        query_id = response.headers.get("X-Ovh-Queryid")
        if status == 204:
            return Answer(None, response.headers)
        body = self._decode(response, route, query_id)
        if 200 <= status < 300:
            return Answer(body, response.headers)
        details = body if isinstance(body, dict) else {}
        raise ApiError(
            route,
            status,
            str(details.get("message") or response.reason or "error"),
            error_code=str(details["errorCode"]) if details.get("errorCode") else None,
            query_id=query_id,
            retry_after=_retry_after(response.headers.get("Retry-After")),
        )

    def _send(
        self, client: ovh.Client, route: str, path: str, need_auth: bool, headers: Mapping[str, str] | None
    ) -> requests.Response:
        try:
            response: requests.Response = client.raw_call(
                "GET", path, need_auth=need_auth, headers=dict(headers) if headers else None
            )
            return response
        except requests.RequestException as exc:
            reason = no_answer_reason(exc)
            if reason == TIMEOUT and _past(self._work_deadline()):
                reason = DEADLINE
            self.stats.record(route, NO_ANSWER)
            self.stats.record_failure(route, reason)
            said = _first_line(exc) if reason in (TIMEOUT, TOO_LARGE, REDIRECT) else innermost(exc)
            if reason == DEADLINE:
                said = "abandoned: the refresh's deadline passed during the call"
            raise ApiError(route, NO_ANSWER, f"{type(exc).__name__}: {said}", reason=reason) from None
        except ovh.exceptions.APIError as exc:  # OAuth2 token failure, missing key: before any HTTP
            self.stats.record(route, NO_ANSWER)
            code = "OAUTH2" if isinstance(exc, ovh.exceptions.OAuth2FailureError) else "INVALID_KEY"
            raise ApiError(route, NO_ANSWER, _first_line(exc), error_code=code) from None

    def _decode(self, response: requests.Response, route: str, query_id: str | None) -> Any:
        """JSON, or an ``ApiError`` saying why not: Python's decoder refuses deep nesting (RecursionError)
        and integers past its digit limit (ValueError), which python-ovh would let through."""
        status = response.status_code
        try:
            return json.loads(response.content)
        except RecursionError:
            problem = "answer nests deeper than Python can decode"
        except ValueError as exc:
            kind = response.headers.get("Content-Type", "unknown content").split(";")[0]
            problem = (
                "answer holds an integer too long to decode"
                if "digits" in str(exc)
                else f"answer is not JSON ({kind}, {len(response.content)} bytes)"
            )
        if status >= 300:  # an error page: the status says what happened
            raise ApiError(route, status, problem, query_id=query_id) from None
        self.stats.record_failure(route, UNDECODABLE)
        raise ApiError(route, 502, problem, query_id=query_id, reason=UNDECODABLE) from None


class _WorkDeadline:
    """``OvhApi.until``: a class, not a generator context manager, which would write ``__traceback__`` on
    the exception passing through (a frozen dataclass exception refuses it)."""

    def __init__(self, local: threading.local, at: float) -> None:
        self._local = local
        self._at = at
        self._outer: float | None = None

    def __enter__(self) -> None:
        self._outer = getattr(self._local, "work_deadline", None)
        self._local.work_deadline = self._at if self._outer is None else min(self._at, self._outer)

    def __exit__(self, *_: object) -> None:
        self._local.work_deadline = self._outer


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline


def _shown(value: object) -> str:
    text = repr(value) if not isinstance(value, int) or value.bit_length() < 256 else "a huge number"
    return text if len(text) <= 60 else f"{text[:57]}..."


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
