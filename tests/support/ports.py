"""Loopback port helpers.

Tests run in parallel with other work on the same machine, so fixed ports collide; every server in
the harness asks the kernel for a free port on 127.0.0.1 instead. Only loopback is ever used.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

from tests.support.errors import HarnessError

LOOPBACK = "127.0.0.1"

_lock = threading.Lock()
_handed_out: set[int] = set()


def free_port(host: str = LOOPBACK) -> int:
    """Return a TCP port that is free on ``host`` now and that this process has not handed out before.

    The kernel may give the same ephemeral port to two callers that each close their probe socket
    before binding for real; remembering the ports already handed out removes that race between
    servers of the same test session (a race with other processes remains possible but is rare).
    """
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((host, 0))
            port = int(probe.getsockname()[1])
        with _lock:
            if port not in _handed_out:
                _handed_out.add(port)
                return port
    raise OSError(f"could not find a free TCP port on {host} after 100 attempts")


def port_is_open(port: int, host: str = LOOPBACK, timeout: float = 0.2) -> bool:
    """Tell whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(
    port: int,
    host: str = LOOPBACK,
    timeout: float = 10.0,
    check_alive: Callable[[], None] | None = None,
) -> None:
    """Block until ``host:port`` accepts connections, calling ``check_alive`` between attempts.

    ``check_alive`` lets a caller that launched a process raise at once (with the process log) when
    the process died, instead of waiting the whole timeout for a port that will never open.
    """
    deadline = time.monotonic() + timeout
    while True:
        if check_alive is not None:
            check_alive()
        if port_is_open(port, host):
            return
        if time.monotonic() >= deadline:
            raise HarnessError(f"nothing listens on {host}:{port} after {timeout:.1f}s")
        time.sleep(0.05)
