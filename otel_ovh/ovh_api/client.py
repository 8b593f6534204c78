"""Calls to the OVH API through the official ``ovh`` client: signing, retries, a fair-use ceiling, accounting.

python-ovh signs requests (or holds the OAuth2 token) but never retries, has no notion of rate and
decodes JSON before it looks at the status, so an HTML 502 from OVH's load balancer loses its status.
This module uses the client's ``raw_call`` (the official signed transport) and owns what comes after:
decoding, error classification, retries with backoff and jitter (honouring ``Retry-After``), a
process-wide ceiling on calls per second, and a count of calls by route and status for the
``otel_ovh_api_requests_total`` metric.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import ovh
import ovh.client
import requests

from otel_ovh.process import register_ovh_endpoint

log = logging.getLogger(__name__)

# Statuses worth another try: throttling, server errors, and load-balancer timeouts.
_RETRYABLE = frozenset({408, 425, 429, 500, 502, 503, 504})
TIME_ROUTE = "/auth/time"
NO_ANSWER = 0  # the status recorded when no HTTP answer came back (timeout, refused connection)


@dataclass(frozen=True)
class ApiError(Exception):
    """A failed OVH call, with what a log line and the retry policy need to know."""

    route: str
    status: int  # NO_ANSWER when there was no HTTP answer
    message: str
    error_code: str | None = None
    query_id: str | None = None
    retry_after: float | None = None

    def __str__(self) -> str:
        code = f" {self.error_code}" if self.error_code else ""
        status = f"HTTP {self.status}" if self.status != NO_ANSWER else "no answer"
        query = f" (OVH query id {self.query_id})" if self.query_id else ""
        return f"{self.route}: {status}{code}: {self.message}{query}"

    @property
    def retryable(self) -> bool:
        return self.status == NO_ANSWER or self.status in _RETRYABLE

    @property
    def is_credential_failure(self) -> bool:
        """The credentials themselves are refused: every call will fail until someone fixes them."""
        return (
            self.error_code in ("INVALID_CREDENTIAL", "NOT_CREDENTIAL", "INVALID_KEY")
            or (self.status == 401)
            or self.error_code == "OAUTH2"
        )


class CallStats:
    """Cumulative OVH calls by (route template, status): the source of ``otel_ovh.api.requests``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, int]] = Counter()

    def record(self, route: str, status: int) -> None:
        with self._lock:
            self._counts[(route, status)] += 1

    def snapshot(self) -> dict[tuple[str, int], int]:
        with self._lock:
            return dict(self._counts)

    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())


class CallPacer:
    """Spaces calls so that the whole process stays under a ceiling, and pauses everyone after a 429.

    A burst of 429s must never make us call faster: the pause OVH asks for (``Retry-After``) applies to
    every thread, not only to the one that was told.
    """

    def __init__(
        self,
        calls_per_second: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        # 2% wider than 1/rate: calls leave exactly spaced, but reach OVH with a few ms of jitter, and
        # exact spacing would then show rate+1 calls in some second at OVH's end.
        self._interval = 1.02 / calls_per_second if calls_per_second > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = 0.0
        self._paused_until = 0.0

    def wait_turn(self) -> None:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot, self._paused_until)
            self._next_slot = slot + self._interval
        delay = slot - now
        if delay > 0:
            self._sleep(delay)

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)


@dataclass(frozen=True)
class Credentials:
    """Who we are to OVH: an application key with its secret and consumer key, or an OAuth2 client.

    Secrets are plain text here (python-ovh needs them so) and kept out of reprs."""

    endpoint: str  # a python-ovh endpoint name (ovh-eu, ...) or an API URL
    application_key: str | None = None
    application_secret: str | None = field(default=None, repr=False)
    consumer_key: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    oauth2_token_url: str | None = None

    @property
    def uses_oauth2(self) -> bool:
        return self.client_id is not None

    def client(self, **options: Any) -> ovh.Client:
        """A python-ovh client for these credentials (a URL endpoint registered first)."""
        endpoint = register_ovh_endpoint(
            self.endpoint, oauth2=self.uses_oauth2, token_url=self.oauth2_token_url
        )
        if self.uses_oauth2:
            return ovh.Client(
                endpoint=endpoint, client_id=self.client_id, client_secret=self.client_secret, **options
            )
        return ovh.Client(
            endpoint=endpoint,
            application_key=self.application_key,
            application_secret=self.application_secret,
            consumer_key=self.consumer_key,
            **options,
        )


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
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._credentials = credentials
        self._timeout = timeout
        self._retries = retries
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._sleep = sleep
        self.stats = stats or CallStats()
        self.pacer = CallPacer(calls_per_second, sleep=sleep)
        self._local = threading.local()
        self._clock_lock = threading.Lock()
        self._time_delta: int | None = None

    def _client(self) -> ovh.Client:
        client: ovh.Client | None = getattr(self._local, "client", None)
        if client is None:
            client = self._credentials.client(timeout=(min(self._timeout, 10.0), self._timeout))
            if not self._credentials.uses_oauth2:
                self._sync_clock(client)
            self._local.client = client
        return client

    def _sync_clock(self, client: ovh.Client) -> None:
        """One ``/auth/time`` call for the process, paced and counted, instead of one per thread's client.

        python-ovh signs with ``server time - local time``, which it fetches lazily per client, outside any
        pacing; the offset is the same for every client of the process.
        """
        with self._clock_lock:
            if self._time_delta is None:
                self.pacer.wait_turn()
                try:
                    self._time_delta = int(client.time_delta)
                    self.stats.record(TIME_ROUTE, 200)
                except (ovh.exceptions.APIError, requests.RequestException, TypeError, ValueError):
                    self.stats.record(TIME_ROUTE, NO_ANSWER)
                    return  # python-ovh will try again lazily, on the first signed call
            client._time_delta = self._time_delta

    def get(
        self, route: str, path_params: Mapping[str, str] | None = None, query: Mapping[str, str] | None = None
    ) -> Any:
        """GET ``route`` (a path template such as ``/cloud/project/{serviceName}/quota``) and decode it."""
        path = route.format(**path_params) if path_params else route
        if query:
            path = f"{path}?{urlencode(query)}"
        client = self._client()  # before the pacing below: a new client's clock sync takes its own turn
        attempt = 0
        while True:
            self.pacer.wait_turn()
            try:
                return self._call_once(client, route, path)
            except ApiError as error:
                if not error.retryable or attempt >= self._retries:
                    raise
                delay = self._backoff(attempt, error.retry_after)
                log.debug("retrying %s in %.2fs after %s", path, delay, error)
                attempt += 1
                if error.status == 429:
                    self.pacer.pause(delay)  # throttled: every thread waits, the next turn sleeps for us
                else:
                    self._sleep(delay)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with full jitter, never shorter than what OVH asked for."""
        ceiling = min(self._backoff_cap, self._backoff_base * (2**attempt))
        delay = random.uniform(ceiling / 2, ceiling)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self._backoff_cap * 4))
        return delay

    def _call_once(self, client: ovh.Client, route: str, path: str) -> Any:
        try:
            response = client.raw_call("GET", path)
        except requests.RequestException as exc:
            self.stats.record(route, NO_ANSWER)
            raise ApiError(route, NO_ANSWER, f"{type(exc).__name__}: {_first_line(exc)}") from None
        except ovh.exceptions.APIError as exc:  # OAuth2 token failure, missing key: before any HTTP
            self.stats.record(route, NO_ANSWER)
            code = "OAUTH2" if isinstance(exc, ovh.exceptions.OAuth2FailureError) else "INVALID_KEY"
            raise ApiError(route, NO_ANSWER, _first_line(exc), error_code=code) from None
        status = response.status_code
        self.stats.record(route, status)
        query_id = response.headers.get("X-Ovh-Queryid")
        if status == 204:
            return None
        try:
            body = response.json()
        except ValueError:
            kind = response.headers.get("Content-Type", "unknown content").split(";")[0]
            raise ApiError(
                route,
                status if status >= 300 else 502,
                f"answer is not JSON ({kind}, {len(response.content)} bytes)",
                query_id=query_id,
            ) from None
        if 200 <= status < 300:
            return body
        details = body if isinstance(body, dict) else {}
        raise ApiError(
            route,
            status,
            str(details.get("message") or response.reason or "error"),
            error_code=str(details["errorCode"]) if details.get("errorCode") else None,
            query_id=query_id,
            retry_after=_retry_after(response.headers.get("Retry-After")),
        )


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
