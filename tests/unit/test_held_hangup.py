"""``serve`` holds SIGHUP from its start (``otel_ovh.process.hold_hangups``): one that comes before its
handlers are installed is kept for them, not fatal."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest

from otel_ovh.process import held_hangup, hold_hangups


@pytest.fixture
def restored() -> Iterator[None]:
    previous = signal.getsignal(signal.SIGHUP)
    yield
    signal.signal(signal.SIGHUP, previous)


@pytest.mark.usefixtures("restored")
def test_a_held_sighup_is_told_once() -> None:
    hold_hangups()
    assert not held_hangup()
    os.kill(os.getpid(), signal.SIGHUP)
    time.sleep(0.01)  # handlers run in the main thread between two bytecodes
    os.kill(os.getpid(), signal.SIGHUP)
    time.sleep(0.01)
    assert held_hangup()  # two signals, one reload
    assert not held_hangup()
