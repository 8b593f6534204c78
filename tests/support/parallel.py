"""Tests that must run alone while the suite runs on several pytest-xdist workers.

``scripts/test`` runs ``-n <2 per core> --dist loadfile``: each test module goes whole to one worker, so a
module's shared fixtures (one Prometheus, one simulator, one ``otel-ovh serve``) start once, as in a
serial run. (``--dist loadgroup`` would let single tests spread, but with pytest 9 pytest-xdist 3.8
cannot tag the grouped tests and scatters them.)

A test marked ``@pytest.mark.serial`` runs while no other test of the run does (its own fixtures, and
the idle module fixtures of other workers, aside): for the few tests whose assertion is about time (a
deadline, a latency bound) that another test loading the CPU beside them would falsify. Each test holds
a shared lock on a file of the run; a serial test takes it exclusive. A second lock, the turnstile,
makes later tests queue behind a waiting serial test instead of overtaking it for ever. Without xdist
(``-n 0``, ``-p no:xdist``, a single file run by hand) the mark changes nothing.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

SERIAL = "serial"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{SERIAL}: run while no other test of the run does (tests.support.parallel)"
    )


def _lock_dir(config: pytest.Config) -> Path | None:
    """The directory all workers of this run share (the parent of each worker's base temp)."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return None
    factory: pytest.TempPathFactory = config._tmp_path_factory  # type: ignore[attr-defined]
    return factory.getbasetemp().parent


def _flock(path: Path, operation: int) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, operation)
    return fd


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    """Hold the run's lock (shared, or exclusive for a serial test) from setup to teardown."""
    directory = _lock_dir(item.config)
    if directory is None:
        yield
        return
    serial = item.get_closest_marker(SERIAL) is not None
    turnstile = _flock(directory / "otel-ovh-turnstile.lock", fcntl.LOCK_EX)
    try:
        held = _flock(directory / "otel-ovh-tests.lock", fcntl.LOCK_EX if serial else fcntl.LOCK_SH)
    finally:
        os.close(turnstile)
    try:
        yield
    finally:
        os.close(held)
