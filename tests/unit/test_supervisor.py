"""The supervisor on plain loops: a loop that dies is restarted after a backoff, and health says so."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from otel_ovh.serve import supervisor as supervision
from otel_ovh.serve.supervisor import Supervisor


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> Iterator[Supervisor]:
    monkeypatch.setattr(supervision, "FIRST_BACKOFF", 0.2)
    monkeypatch.setattr(supervision, "WATCH_EVERY", 0.02)
    keeper = Supervisor()
    yield keeper
    keeper.stop()


def until(condition: Callable[[], object], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def flaky(deaths: int, stop: threading.Event, runs: list[str]) -> Callable[[], None]:
    """A loop that raises on its first ``deaths`` runs, then runs until ``stop``."""

    def work() -> None:
        runs.append(threading.current_thread().name)
        if len(runs) <= deaths:
            raise ValueError(f"bug number {len(runs)}")
        stop.wait()

    return work


def test_a_dead_loop_is_restarted_and_unhealthy_until_then(
    quick: Supervisor, caplog: pytest.LogCaptureFixture
) -> None:
    stop, runs = threading.Event(), list[str]()
    with caplog.at_level(logging.INFO, logger="otel_ovh.serve.supervisor"):
        quick.start("worker", flaky(2, stop, runs))
        until(lambda: quick.health() is not None)
        assert quick.health() == "worker thread died (ValueError: bug number 1); restarting in 0s"
        until(lambda: len(runs) == 3 and quick.health() is None)
    stop.set()
    assert runs == ["otel-ovh-worker"] * 3
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [bool(r.exc_info) for r in errors] == [True, False]  # the traceback once, then one line
    assert "died again (ValueError: bug number 2)" in errors[1].getMessage()
    assert "restarting in 0s" in errors[0].getMessage() and "in 0s" in errors[1].getMessage()
    assert sum("restarted" in r.getMessage() for r in caplog.records) == 2


def test_backoff_doubles_for_deaths_in_a_row(quick: Supervisor) -> None:
    stop, runs = threading.Event(), list[str]()
    started = time.monotonic()
    quick.start("worker", flaky(3, stop, runs))
    until(lambda: len(runs) == 4, timeout=10)
    stop.set()
    assert time.monotonic() - started >= 0.2 + 0.4 + 0.8  # 0.2 s, then 0.4 s, then 0.8 s


def test_a_loop_that_returns_before_stop_is_dead_too(quick: Supervisor) -> None:
    runs: list[int] = []
    quick.start("quitter", lambda: runs.append(1))
    until(lambda: quick.health() is not None)
    assert quick.health() == "quitter thread died (it returned); restarting in 0s"
    until(lambda: len(runs) >= 2)


def test_after_stop_nothing_is_restarted(quick: Supervisor) -> None:
    stop, runs = threading.Event(), list[str]()
    quick.start("worker", flaky(0, stop, runs))
    until(lambda: len(runs) == 1)
    quick.stop()
    stop.set()
    quick.join()
    time.sleep(0.3)
    assert runs == ["otel-ovh-worker"] and quick.health() is None


def test_watched_threads_are_reported_not_restarted(quick: Supervisor) -> None:
    trouble: list[str] = []
    quick.watch("OTLP export", lambda: trouble[0] if trouble else None)
    assert quick.health() is None
    trouble.append("the OTLP export thread of the self metrics died")
    assert quick.health() == "OTLP export: the OTLP export thread of the self metrics died"

    def broken() -> str | None:
        raise RuntimeError("x")

    quick.watch("other", broken)
    trouble.clear()
    assert quick.health() == "other: cannot tell (RuntimeError)"
