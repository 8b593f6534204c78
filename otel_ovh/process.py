"""Every change otel-ovh makes to process-wide state, in one place.

Libraries we use keep some of their configuration in module tables or environment variables rather
than in objects we could pass around; changing those affects the whole process, so each change is made
here, once, with its reason:

* python-ovh accepts only endpoint names from ``ovh.client.ENDPOINTS`` (and OAuth2 token URLs from
  ``OAUTH2_TOKEN_URLS``): a URL endpoint (a regional API, a proxy, the simulator) is registered there
  under its own text. OAuth2 over plain http needs ``OAUTHLIB_INSECURE_TRANSPORT``, which would open
  plain http for every host: it is set only when the token URL is on loopback (the simulator).
* gRPC's C core prints every TLS handshake failure to stderr, below Python logging; the reason is in our
  one-line outage log already. ``GRPC_VERBOSITY`` must be set before grpc is first imported, and an
  operator's own value is kept.
* An interrupted command, and ``serve`` once stopped, leave with ``os._exit`` (see ``leave_now``).
* ``serve`` takes SIGTERM, SIGINT and SIGHUP itself (see ``handle_serve_signals``).
* ``serve`` tunes the interpreter for a long-running server with deadlines (see ``tune_for_serving``).
* The metrics SDK keys each attribute set it stores by a nested tuple many times the size of the set;
  ``otel_ovh.export.sdk_internals.compact_attribute_keys`` gives it an equivalent flat key. It lives
  there, with the SDK's other private parts we use, as the export stage is the first to need it.
"""

from __future__ import annotations

import contextlib
import gc
import ipaddress
import logging
import os
import signal
import sys
from collections.abc import Callable
from typing import Any, NoReturn
from urllib.parse import urlsplit


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def oauth2_token_url_for(endpoint_url: str) -> str:
    """OVH serves its token endpoint at the root of the API's host, not under ``/1.0``."""
    parts = urlsplit(endpoint_url)
    return f"{parts.scheme}://{parts.netloc}/auth/oauth2/token"


def register_ovh_endpoint(endpoint: str, *, oauth2: bool = False, token_url: str | None = None) -> str:
    """The name to give ``ovh.Client`` for ``endpoint`` (a python-ovh name, or a URL registered here)."""
    if "://" not in endpoint:
        return endpoint
    import ovh.client

    name = endpoint.rstrip("/")
    ovh.client.ENDPOINTS[name] = name
    if oauth2:
        url = token_url or oauth2_token_url_for(name)
        ovh.client.OAUTH2_TOKEN_URLS[name] = url
        parts = urlsplit(url)
        if parts.scheme == "http" and is_loopback(parts.hostname or ""):
            os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    return name


def quiet_grpc() -> None:
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")


def tune_for_serving() -> None:
    """Interpreter settings for ``serve``, where scrapes have deadlines and the refresher burns CPU.

    A scrape thread waiting for the interpreter lock while the refresher parses or renders waits up to
    the switch interval at each step (5 ms by default, several steps per scrape): 0.5 ms keeps scrapes
    fast during a refresh, for a negligible cost in throughput. The cyclic garbage collector stops every
    thread, and its full passes over the SDK's per-series storage made the slowest scrapes; our garbage
    is acyclic (freed by reference counting), so collections can be far rarer.
    """
    sys.setswitchinterval(0.0005)
    gc.set_threshold(100_000, 50, 100)


def leave_now(code: int) -> NoReturn:
    """End the process without joining the worker threads still inside an OVH call.

    A call cannot be cancelled, and the interpreter joins every pool thread at exit, so a Ctrl-C during
    a slow refresh would otherwise wait for the slowest call (up to ``collect.timeout`` each). Whatever
    had to be written is written by then (outputs go to a file whole, or to stdout at the end).
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


_held_hangups: list[int] = []  # appended to by a signal handler: no lock may be taken there


def hold_hangups() -> None:
    """From the start of ``serve``: a SIGHUP that comes before its handlers are installed (reading the
    settings, starting the demo's simulated OVH) is kept for them instead of ending the process, which is
    Python's default for it. A reloader that signals as the pod starts must not kill it."""
    signal.signal(signal.SIGHUP, lambda signum, _frame: _held_hangups.append(signum))


def held_hangup() -> bool:
    """Whether a SIGHUP came while held (see ``hold_hangups``); forgotten once told."""
    held = bool(_held_hangups)
    _held_hangups.clear()
    return held


def handle_serve_signals(stop: Callable[[int, Any], None], hangup: Callable[[int, Any], None]) -> None:
    """SIGTERM and SIGINT call ``stop``, SIGHUP ``hangup`` (Python's default for it ends the process)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
    signal.signal(signal.SIGHUP, hangup)
