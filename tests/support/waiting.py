"""Polling with a deadline, shared by every ``wait_for`` of the harness.

Real servers deliver asynchronously (a scrape every interval, an export every period), so tests
poll; a single implementation keeps the timeout message uniform: it always shows the last value
seen, which is what one needs to understand why the condition never held.
"""

from __future__ import annotations

import pprint
import time
from collections.abc import Callable
from typing import TypeVar

from tests.support.errors import WaitTimeout

T = TypeVar("T")


def wait_until(
    probe: Callable[[], T],
    predicate: Callable[[T], object],
    *,
    timeout: float,
    what: str,
    interval: float = 0.1,
) -> T:
    """Call ``probe`` until ``predicate`` of its result is truthy, and return that result.

    Exceptions from ``probe`` propagate at once: a broken query or a dead server will not get
    better by retrying, and hiding them would turn a clear error into a vague timeout.
    On timeout, raise ``WaitTimeout`` naming ``what`` and pretty-printing the last result.
    """
    deadline = time.monotonic() + timeout
    while True:
        last = probe()
        if predicate(last):
            return last
        if time.monotonic() >= deadline:
            shown = pprint.pformat(last, width=110)
            if len(shown) > 6000:
                shown = shown[:6000] + "\n… (truncated)"
            raise WaitTimeout(f"{what}: not satisfied within {timeout:.1f}s; last value:\n{shown}")
        time.sleep(interval)
