"""Exception types shared by the harness helpers.

Two kinds are kept apart so that a reader of a failed test knows at once whether the harness could
not set up its peer (``HarnessError``) or the peer ran but never saw what the test expected
(``WaitTimeout``, an ``AssertionError`` so pytest reports it as an ordinary failed expectation).
"""

from __future__ import annotations


class HarnessError(RuntimeError):
    """A real server or tool the test needs could not be found, started or driven.

    Raised instead of skipping: a missing peer must turn the run red, or the end-to-end suite
    would silently prove nothing.
    """


class WaitTimeout(AssertionError):
    """A polled condition did not hold before its deadline; the message carries the last value seen."""
