"""Helpers shared by the OTLP end-to-end tests (no test here; the name keeps it with them).

Every OTLP test runs the real ``python -m otel_ovh serve`` (``tests.e2e.conftest.start_serve``, whose
clean environment holds no stray ``OTEL_*`` variable) against the frozen simulated OVH API, with
``otlp.interval`` at 1 s so that each test is bounded by a few exports.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from otel_ovh.simulator import SimulatedOvh, World
from tests.e2e import expected
from tests.e2e.conftest import ServeProcess, start_serve, stop_serve
from tests.support.otlp_receiver import MetricRecord, OtlpHttpReceiver, OtlpReceiver
from tests.support.waiting import wait_until

COST = "ovh.cloud.cost"
OUTAGE_LINE = re.compile(
    r"OTLP export to (?P<target>\S+) \((?P<protocol>[^)]+)\) failed[^:]*: (?P<reason>.*)"
)
RECOVERY_LINE = re.compile(r"OTLP export to \S+ \([^)]+\) works again")


def otlp_env(
    receiver: OtlpReceiver | None = None, *, interval: float = 1, timeout: float = 2, **extra: str
) -> dict[str, str]:
    """``serve`` settings for OTLP push to ``receiver`` (its transport, its base URL), plus ``extra``."""
    env = {
        "OTEL_OVH_OTLP__ENABLED": "true",
        "OTEL_OVH_OTLP__INTERVAL": str(interval),
        "OTEL_OVH_OTLP__TIMEOUT": str(timeout),
    }
    if receiver is not None:
        if isinstance(receiver, OtlpHttpReceiver):
            env["OTEL_OVH_OTLP__PROTOCOL"] = "http/protobuf"
            env["OTEL_OVH_OTLP__ENDPOINT"] = receiver.base_endpoint  # the bridge must add /v1/metrics
        else:
            env["OTEL_OVH_OTLP__PROTOCOL"] = "grpc"
            env["OTEL_OVH_OTLP__ENDPOINT"] = receiver.endpoint
    env.update(extra)
    return env


@contextmanager
def serving(sim: SimulatedOvh, workdir: Path, **env: str) -> Iterator[ServeProcess]:
    """``otel-ovh serve`` for the test's duration; its log is printed at the end (shown on failure)."""
    process = start_serve(sim, workdir, **env)
    try:
        yield process
    finally:
        stop_serve(process)
        print(f"\n--- otel-ovh log ---\n{process.log()}")


def cost_by_project(records: list[MetricRecord]) -> dict[str, float]:
    """Sum of the cost points of the *last* export that carried them, per ``cloud.account.id``."""
    last = max((r for r in records if r.metric_name == COST), key=lambda r: r.received_at)
    totals: dict[str, float] = defaultdict(float)
    for point in last.points:
        totals[point.attributes["cloud.account.id"]] += float(point.value)  # type: ignore[arg-type]
    return dict(totals)


def has_every_project(world: World) -> Callable[[list[MetricRecord]], bool]:
    """A ``wait_for`` predicate: some cost export names every project of the world."""

    def predicate(records: list[MetricRecord]) -> bool:
        return any(
            r.metric_name == COST
            and {p.attributes["cloud.account.id"] for p in r.points} == set(world.project_ids)
            for r in records
        )

    return predicate


def assert_cost_matches_ovh(costs: dict[str, float], world: World) -> int:
    """Per project, the cost equals OVH's ``usage/current`` ``totalPrice`` to the cent; returns how
    many projects had a total to compare with (an older-shaped answer has none)."""
    checked = 0
    for pid in world.project_ids:
        total = expected.total_price(world, pid)
        if total is None:
            continue
        assert abs(costs[pid] - total) < 0.005, (pid, costs[pid], total)
        checked += 1
    assert checked >= 2, "the world should give OVH totals for most projects"
    return checked


def wait_for_log(
    serve: ServeProcess, pattern: re.Pattern[str], count: int = 1, timeout: float = 20
) -> list[str]:
    """Lines of the serve log matching ``pattern``, once there are at least ``count``."""

    def lines() -> list[str]:
        return [line for line in serve.log().splitlines() if pattern.search(line)]

    return wait_until(
        lines, lambda found: len(found) >= count, timeout=timeout, what=f"log line {pattern.pattern!r}"
    )


def settle(seconds: float) -> None:
    """Let a few export intervals pass (to show that something does *not* happen again)."""
    time.sleep(seconds)
